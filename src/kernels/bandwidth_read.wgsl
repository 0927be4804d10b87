// Read-only bandwidth probe: every element of src is loaded once and summed per thread.
// The sum is stored only where it equals p.never, a value the data cannot produce (the
// probe fills src with non-negative values and passes -1), so nothing is written, yet the
// compiler must keep every load. Same prelude, header, indexing and forms as bandwidth_copy.wgsl.
// Bytes moved: sizeof(E) * n.
@group(0) @binding(2) var<storage, read_write> sink: array<E>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let t = gid.y * p.row_threads + gid.x;
  var acc: E = E(0.0);
  var base: u32 = 0u;
  loop {
    for (var k: u32 = 0u; k < ITEMS; k = k + 1u) {
      let i = base + k * p.threads + t;
      if (i < p.n) {
        acc = acc + src[i];
      }
    }
    base = base + ITEMS * p.threads;
    if (!GRID_STRIDE || base >= p.n) {
      break;
    }
  }
  if (any(acc == E(p.never))) {
    sink[0] = acc;
  }
}
