// Split-kv decode with the cache update moved into the reduce pass (one pass fewer per
// step): this step's rows (positions input_pos .. context_len-1) are read from k_new /
// v_new, stored-type rounded exactly as the cache will hold them, and split_kv_reduce
// writes them into the cache afterwards. The cache stays bound read-only here: bound
// read_write (to write the rows in this pass) the H200 ran this kernel 2.5-3x slower.
const NEW_ROWS_FROM_INPUT: bool = true;
@group(0) @binding(6) var<storage, read> k_new: array<vec4<f32>>;  // [S, Hkv, D]
@group(0) @binding(7) var<storage, read> v_new: array<vec4<f32>>;
// i indexes like the cache, relative to position input_pos.
fn new_k(i: u32) -> KvVec4 { return kv_pack(k_new[i]); }
fn new_v(i: u32) -> KvVec4 { return kv_pack(v_new[i]); }
