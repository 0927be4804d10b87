// Split-kv decode reading a cache that a separate pass updated: the caches are bound
// read-only (window 0 here; further windows and the k_vec / v_vec accessors are generated).
@group(0) @binding(2) var<storage, read> k_cache: array<KvVec4>;
@group(0) @binding(3) var<storage, read> v_cache: array<KvVec4>;

fn write_new_rows(t: u32, kvh: u32, key_begin: u32, key_end: u32) {}
