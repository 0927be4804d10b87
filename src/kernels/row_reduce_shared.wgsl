// Reductions across 32 consecutive invocations (an aligned group of 32 lanes) through
// workgroup memory: the portable fallback of row_reduce_subgroup (devices without the
// subgroups feature), with the same interface. Every invocation of the workgroup must
// call these together (they contain barriers). Needs WG.
var<workgroup> lane_red: array<f32, WG>;

struct ReduceIds {
  @builtin(local_invocation_index) index: u32,
}

fn reduce_setup(ids: ReduceIds, t: u32) -> u32 {
  return 1u;
}


fn row_max32(v: f32, t: u32, w: u32) -> f32 {
  lane_red[t] = v;
  workgroupBarrier();
  for (var s: u32 = 16u; s > 0u; s = s / 2u) {
    if ((t % 32u) < s) {
      lane_red[t] = max(lane_red[t], lane_red[t + s]);
    }
    workgroupBarrier();
  }
  let r = lane_red[t - t % 32u];
  workgroupBarrier();
  return r;
}

fn row_sum32(v: f32, t: u32, w: u32) -> f32 {
  lane_red[t] = v;
  workgroupBarrier();
  for (var s: u32 = 16u; s > 0u; s = s / 2u) {
    if ((t % 32u) < s) {
      lane_red[t] = lane_red[t] + lane_red[t + s];
    }
    workgroupBarrier();
  }
  let r = lane_red[t - t % 32u];
  workgroupBarrier();
  return r;
}
