// Copy-bandwidth probe: dst = src in one of the forms src/probe.cpp tries.
// Prelude bandwidth_params: Params, WG, GRID_STRIDE, src. Generated header:
// `alias E = f32 | vec2<f32> | vec4<f32>;` (vector width) and `const ITEMS: u32`
// (elements per thread per step, all loaded before any is stored).
// Step s, item k of thread t touches element s * ITEMS * threads + k * threads + t, so
// neighbouring threads touch neighbouring elements. Bytes moved: 2 * sizeof(E) * n.
@group(0) @binding(2) var<storage, read_write> dst: array<E>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let t = gid.y * p.row_threads + gid.x;
  var base: u32 = 0u;
  loop {
    var v: array<E, ITEMS> = array<E, ITEMS>();
    for (var k: u32 = 0u; k < ITEMS; k = k + 1u) {
      let i = base + k * p.threads + t;
      if (i < p.n) {
        v[k] = src[i];
      }
    }
    for (var k: u32 = 0u; k < ITEMS; k = k + 1u) {
      let i = base + k * p.threads + t;
      if (i < p.n) {
        dst[i] = v[k];
      }
    }
    base = base + ITEMS * p.threads;
    if (!GRID_STRIDE || base >= p.n) {
      break;
    }
  }
}
