// FMA-rate probe: every thread runs CHAINS independent fma chains of type V, the chain
// step repeated UNROLL times per loop iteration (a constant trip count the compiler
// unrolls). Generated header: `alias V = f32 | vec2<f32> | vec4<f32>;`,
// `const CHAINS: u32 = 4u | 8u | 16u;`, `const UNROLL: u32`.
// FLOPs: 2 (mul+add) * lanes(V) * CHAINS * UNROLL * iterations * threads. Every chain
// tends to 1, so the sum is never p.never (-1) and nothing is stored, but no fma is dead.
// The chains are 16 named variables; those at index >= CHAINS sit behind constant-false
// branches, so the compiler drops them (no array that could end up in local memory).
struct Params {
  iterations: u32,
  seed: f32,
  row_threads: u32,  // threads per grid row: x-workgroups * WG
  never: f32,        // the sum is stored only if it equals this (the probe passes -1)
}
override WG: u32 = 256u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> sink: array<V>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * p.row_threads + gid.x;
  let x = f32(i) * 1e-7 + p.seed;
  let m = V(0.9999);
  let a = V(1e-4);
  var c0: V = V(x);
  var c1: V = V(x + 1.0);
  var c2: V = V(x + 2.0);
  var c3: V = V(x + 3.0);
  var c4: V = V(x + 4.0);
  var c5: V = V(x + 5.0);
  var c6: V = V(x + 6.0);
  var c7: V = V(x + 7.0);
  var c8: V = V(x + 8.0);
  var c9: V = V(x + 9.0);
  var c10: V = V(x + 10.0);
  var c11: V = V(x + 11.0);
  var c12: V = V(x + 12.0);
  var c13: V = V(x + 13.0);
  var c14: V = V(x + 14.0);
  var c15: V = V(x + 15.0);
  for (var it: u32 = 0u; it < p.iterations; it = it + 1u) {
    for (var u: u32 = 0u; u < UNROLL; u = u + 1u) {
      c0 = fma(c0, m, a);
      c1 = fma(c1, m, a);
      c2 = fma(c2, m, a);
      c3 = fma(c3, m, a);
      if (CHAINS > 4u) {
        c4 = fma(c4, m, a);
        c5 = fma(c5, m, a);
        c6 = fma(c6, m, a);
        c7 = fma(c7, m, a);
      }
      if (CHAINS > 8u) {
        c8 = fma(c8, m, a);
        c9 = fma(c9, m, a);
        c10 = fma(c10, m, a);
        c11 = fma(c11, m, a);
        c12 = fma(c12, m, a);
        c13 = fma(c13, m, a);
        c14 = fma(c14, m, a);
        c15 = fma(c15, m, a);
      }
    }
  }
  var s: V = c0 + c1 + c2 + c3;
  if (CHAINS > 4u) {
    s = s + c4 + c5 + c6 + c7;
  }
  if (CHAINS > 8u) {
    s = s + c8 + c9 + c10 + c11 + c12 + c13 + c14 + c15;
  }
  if (any(s == V(p.never))) {
    sink[0] = s;
  }
}
