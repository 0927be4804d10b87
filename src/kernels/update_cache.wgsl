// Writes k_new/v_new [S, Hkv, D] into the caches [capacity, Hkv, D] at input_pos,
// converting to the cache's storage type. One thread per 4 values. k_new / v_new are
// f32 or packed f16 (generated k_new_vec4 / v_new_vec4 and their unpack functions).
// Bytes: read 2*S*Hkv*D*sizeof(activation), write 2*S*Hkv*D*sizeof(cache element).
override WG: u32 = 256u;

@group(0) @binding(1) var<storage, read> k_new: array<k_new_vec4>;
@group(0) @binding(2) var<storage, read> v_new: array<v_new_vec4>;
@group(0) @binding(3) var<storage, read_write> k_cache: array<KvVec4>;
@group(0) @binding(4) var<storage, read_write> v_cache: array<KvVec4>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * p.row_threads + gid.x;
  let n4 = p.seq_len * p.kv_heads * p.head_dim / 4u;
  if (i >= n4) {
    return;
  }
  let dst = p.input_pos * p.kv_heads * p.head_dim / 4u + i;
  k_put(dst, kv_pack(k_new_unpack(k_new[i])));
  v_put(dst, kv_pack(v_new_unpack(v_new[i])));
}
