// split_kv_reduce writing this step's k_new / v_new rows into the cache (the split pass
// read them from k_new / v_new): workgroup (r, kvh) with r < S writes position
// input_pos + r of kv head kvh. Further cache windows' k_put / v_put are generated.
@group(0) @binding(6) var<storage, read> k_new: array<vec4<f32>>;  // [S, Hkv, D]
@group(0) @binding(7) var<storage, read> v_new: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read_write> k_cache: array<KvVec4>;
@group(0) @binding(9) var<storage, read_write> v_cache: array<KvVec4>;

fn put_new_rows(t: u32, r: u32, kvh: u32) {
  let d4n = p.head_dim / 4u;
  if (r < p.seq_len) {
    for (var i: u32 = t; i < d4n; i = i + WG) {
      let src = (r * p.kv_heads + kvh) * d4n + i;
      let dst = ((p.input_pos + r) * p.kv_heads + kvh) * d4n + i;
      k_put(dst, kv_pack(k_new[src]));
      v_put(dst, kv_pack(v_new[src]));
    }
  }
}
