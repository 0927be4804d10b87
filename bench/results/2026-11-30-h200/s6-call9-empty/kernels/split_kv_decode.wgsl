// Timing probe only (wrong output): split_kv_decode's bindings and grid, no work. What a call's
// two dispatches cost on their own.
@group(0) @binding(1) var<storage, read> q: array<q_vec4>;
@group(0) @binding(2) var<storage, read> k_cache: array<KvVec4>;
@group(0) @binding(3) var<storage, read> v_cache: array<KvVec4>;
@group(0) @binding(4) var<storage, read_write> part_o: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> part_ml: array<vec2<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3<u32>) {
  if (p.seq_len == 0xffffffffu) {
    part_o[lid.x] = q_unpack(q[0]) + kv_unpack(k_vec(0u)) + kv_unpack(v_vec(0u));
    part_ml[lid.x] = vec2<f32>(0.0);
  }
}
