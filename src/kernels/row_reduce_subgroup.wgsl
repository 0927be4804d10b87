// Reductions across 32 consecutive invocations (an aligned group of 32 lanes) with
// subgroup shuffles, for devices that report subgroups narrower than 32 (lavapipe: 8);
// correct at whatever subgroup width the shader actually runs with
// (drivers may run narrower subgroups than the adapter reports; lavapipe's are 8 wide):
// a butterfly inside each subgroup, then, only where subgroups are narrower than 32, the
// subgroups' results combined through workgroup memory. reduce_setup() measures the
// width at run time and checks that invocation t is lane t % width (WebGPU does not
// promise that layout); if it is not, width 1 makes every reduction go through memory.
// Every invocation must call these together, in uniform control flow. Needs WG.
enable subgroups;

struct ReduceIds {
  @builtin(subgroup_invocation_id) sg_id: u32,
  @builtin(subgroup_size) sg_size: u32,
}

var<workgroup> lane_red: array<f32, WG>;
var<workgroup> sg_or: atomic<u32>;
var<workgroup> sg_max: atomic<u32>;
var<workgroup> sg_bad: atomic<u32>;
var<workgroup> sg_width: u32;


// The subgroup width every reduction of this workgroup uses (uniform): the real width,
// capped at 32, or 1 where the lanes are not laid out as consecutive invocations.
fn reduce_setup(ids: ReduceIds, t: u32) -> u32 {
  let w = ids.sg_size;
  atomicOr(&sg_or, w);
  atomicMax(&sg_max, w);
  if (w == 0u || (w & (w - 1u)) != 0u || ids.sg_id != t % w) {
    atomicStore(&sg_bad, 1u);
  }
  workgroupBarrier();
  if (t == 0u) {
    // All widths equal (their OR is their max) and powers of two laid out linearly.
    let same = atomicLoad(&sg_or) == atomicLoad(&sg_max);
    sg_width = select(1u, min(atomicLoad(&sg_max), 32u), same && atomicLoad(&sg_bad) == 0u);
  }
  return workgroupUniformLoad(&sg_width);
}

fn row_max32(v: f32, t: u32, w: u32) -> f32 {
  var x: f32 = v;
  x = select(x, max(x, subgroupShuffleXor(x, select(0u, 16u, 16u < w))), 16u < w);
  x = select(x, max(x, subgroupShuffleXor(x, select(0u, 8u, 8u < w))), 8u < w);
  x = select(x, max(x, subgroupShuffleXor(x, select(0u, 4u, 4u < w))), 4u < w);
  x = select(x, max(x, subgroupShuffleXor(x, select(0u, 2u, 2u < w))), 2u < w);
  x = select(x, max(x, subgroupShuffleXor(x, select(0u, 1u, 1u < w))), 1u < w);
  lane_red[t] = x;
  workgroupBarrier();
  let base = t - t % 32u;
  var r: f32 = lane_red[base];
  for (var k: u32 = w; k < 32u; k = k + w) {
    r = max(r, lane_red[base + k]);
  }
  workgroupBarrier();
  return r;
}

fn row_sum32(v: f32, t: u32, w: u32) -> f32 {
  var x: f32 = v;
  x = x + select(0.0, subgroupShuffleXor(x, select(0u, 16u, 16u < w)), 16u < w);
  x = x + select(0.0, subgroupShuffleXor(x, select(0u, 8u, 8u < w)), 8u < w);
  x = x + select(0.0, subgroupShuffleXor(x, select(0u, 4u, 4u < w)), 4u < w);
  x = x + select(0.0, subgroupShuffleXor(x, select(0u, 2u, 2u < w)), 2u < w);
  x = x + select(0.0, subgroupShuffleXor(x, select(0u, 1u, 1u < w)), 1u < w);
  lane_red[t] = x;
  workgroupBarrier();
  let base = t - t % 32u;
  var r: f32 = lane_red[base];
  for (var k: u32 = w; k < 32u; k = k + w) {
    r = r + lane_red[base + k];
  }
  workgroupBarrier();
  return r;
}
