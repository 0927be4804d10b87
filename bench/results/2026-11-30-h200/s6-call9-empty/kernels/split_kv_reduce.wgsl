// Timing probe only (wrong output): split_kv_reduce's bindings and grid, no work.
override WG: u32 = 256u;
@group(0) @binding(1) var<storage, read> part_o: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> part_ml: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read_write> out: array<out_vec4>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3<u32>) {
  if (p.seq_len == 0xffffffffu) {
    let v = part_o[0] + vec4<f32>(part_ml[0].x) + q_row(0u) + k_new_row(0u) + v_new_row(0u);
    put_new(0u, 0u);
    out[lid.x] = out_pack(v);
  }
}
