// Split-kv decode with the cache update fused in (one pass fewer per step): the caches are
// bound read_write, and the workgroup whose chunk holds a new position writes that
// position's k_new / v_new row of its own kv head before reading the chunk. Only that
// workgroup reads those cache rows (of that head) in this pass, and storageBarrier makes
// its own writes visible to its invocations, so no other synchronisation is needed.
// Used when each cache is one binding (no windows).
@group(0) @binding(2) var<storage, read_write> k_cache: array<KvVec4>;
@group(0) @binding(3) var<storage, read_write> v_cache: array<KvVec4>;
@group(0) @binding(6) var<storage, read> k_new: array<vec4<f32>>;  // [S, Hkv, D]
@group(0) @binding(7) var<storage, read> v_new: array<vec4<f32>>;

fn k_vec(i: u32) -> KvVec4 { return k_cache[i]; }
fn v_vec(i: u32) -> KvVec4 { return v_cache[i]; }

// Writes the new rows (positions input_pos .. context_len-1) that fall in [key_begin,
// key_end) for kv head kvh. Called by every invocation of the workgroup.
fn write_new_rows(t: u32, kvh: u32, key_begin: u32, key_end: u32) {
  let first = max(key_begin, p.input_pos);
  let n = select(0u, key_end - first, key_end > first);
  for (var i: u32 = t; i < n * D4; i = i + WG) {
    let s = first - p.input_pos + i / D4;
    let src = (s * p.kv_heads + kvh) * D4 + i % D4;
    let dst = ((first + i / D4) * p.kv_heads + kvh) * D4 + i % D4;
    k_cache[dst] = kv_pack(k_new[src]);
    v_cache[dst] = kv_pack(v_new[src]);
  }
  storageBarrier();
}
