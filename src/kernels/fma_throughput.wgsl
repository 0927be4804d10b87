// FMA-rate probe: every thread runs 8 independent vec4 FMA chains.
// FLOPs: 2 (mul+add) * 4 lanes * 8 chains * iterations * threads.
struct Params {
  iterations: u32,
  seed: f32,
}
override WG: u32 = 256u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> sink: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  let x = f32(i) * 1e-7 + p.seed;
  let m = vec4<f32>(0.9999, 0.9998, 0.9997, 0.9996);
  let a = vec4<f32>(1e-4, 2e-4, 3e-4, 4e-4);
  var c0: vec4<f32> = vec4<f32>(x);
  var c1: vec4<f32> = vec4<f32>(x + 1.0);
  var c2: vec4<f32> = vec4<f32>(x + 2.0);
  var c3: vec4<f32> = vec4<f32>(x + 3.0);
  var c4: vec4<f32> = vec4<f32>(x + 4.0);
  var c5: vec4<f32> = vec4<f32>(x + 5.0);
  var c6: vec4<f32> = vec4<f32>(x + 6.0);
  var c7: vec4<f32> = vec4<f32>(x + 7.0);
  for (var it: u32 = 0u; it < p.iterations; it = it + 1u) {
    c0 = fma(c0, m, a);
    c1 = fma(c1, m, a);
    c2 = fma(c2, m, a);
    c3 = fma(c3, m, a);
    c4 = fma(c4, m, a);
    c5 = fma(c5, m, a);
    c6 = fma(c6, m, a);
    c7 = fma(c7, m, a);
  }
  sink[i] = c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7;
}
