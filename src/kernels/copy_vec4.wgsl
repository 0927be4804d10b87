// Bandwidth probe: dst = src, one vec4 (16 bytes) per thread.
// Bytes moved: 2 * 16 * n4 (one read, one write).
struct Params {
  n4: u32,
  row_threads: u32,  // threads per grid row: x-workgroups * WG
}
override WG: u32 = 256u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> dst: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * p.row_threads + gid.x;
  if (i < p.n4) {
    dst[i] = src[i];
  }
}
