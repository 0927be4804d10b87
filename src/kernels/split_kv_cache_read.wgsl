// Split-kv decode where a separate pass already wrote this step's rows into the cache:
// every key comes from the cache (new_k / new_v are never called).
const NEW_ROWS_FROM_INPUT: bool = false;
fn new_k(i: u32) -> KvVec4 { return KvVec4(); }
fn new_v(i: u32) -> KvVec4 { return KvVec4(); }
