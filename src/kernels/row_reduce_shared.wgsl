// Reductions across 32 consecutive invocations (an aligned group of 32 lanes) through
// workgroup memory: the portable fallback of row_reduce_subgroup. Every invocation of
// the workgroup must call these together (they contain barriers). Needs WG.
var<workgroup> lane_red: array<f32, WG>;

fn row_max32(v: f32, t: u32) -> f32 {
  lane_red[t] = v;
  workgroupBarrier();
  for (var w: u32 = 16u; w > 0u; w = w / 2u) {
    if ((t % 32u) < w) {
      lane_red[t] = max(lane_red[t], lane_red[t + w]);
    }
    workgroupBarrier();
  }
  let r = lane_red[t - t % 32u];
  workgroupBarrier();
  return r;
}

fn row_sum32(v: f32, t: u32) -> f32 {
  lane_red[t] = v;
  workgroupBarrier();
  for (var w: u32 = 16u; w > 0u; w = w / 2u) {
    if ((t % 32u) < w) {
      lane_red[t] = lane_red[t] + lane_red[t + w];
    }
    workgroupBarrier();
  }
  let r = lane_red[t - t % 32u];
  workgroupBarrier();
  return r;
}
