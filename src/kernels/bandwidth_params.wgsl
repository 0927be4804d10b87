// Prelude of the bandwidth probes (bandwidth_copy, bandwidth_read): their parameters,
// tunables and input. E (the element type) and ITEMS come from the generated header.
struct Params {
  n: u32,            // elements of E
  row_threads: u32,  // threads per grid row: x-workgroups * WG
  threads: u32,      // threads in the whole grid
  never: f32,        // bandwidth_read stores its sum only if it equals this (the probe passes -1)
}
override WG: u32 = 256u;
// false: one step, the grid covers the buffer; true: a fixed grid loops over it.
override GRID_STRIDE: bool = false;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<E>;
