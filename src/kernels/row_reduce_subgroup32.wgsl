// Reductions across 32 consecutive invocations (an aligned group of 32 lanes) with bare
// subgroup shuffles, for devices that report subgroups at least 32 wide (NVIDIA 32, AMD
// 32/64): no workgroup memory, no barrier, no runtime width. The butterfly needs
// invocation t to be lane t % width of a subgroup at least 32 wide. Checking that in the
// kernel (the width from subgroup_size or subgroupAdd, the lane from
// subgroup_invocation_id or subgroupExclusiveAdd, a NaN poison where it fails) made
// split-kv 2x slower on the H200 even with the check outside the loop (bench/RESULTS.md),
// so this prelude trusts the adapter's reported minimum width; row_reduce_subgroup reads
// the real width and serves devices that report narrower subgroups.
enable subgroups;

struct ReduceIds {
  @builtin(local_invocation_index) index: u32,
}

fn reduce_setup(ids: ReduceIds, t: u32) -> u32 {
  return 32u;
}

fn row_max32(v: f32, t: u32, w: u32) -> f32 {
  var x: f32 = v;
  x = max(x, subgroupShuffleXor(x, 16u));
  x = max(x, subgroupShuffleXor(x, 8u));
  x = max(x, subgroupShuffleXor(x, 4u));
  x = max(x, subgroupShuffleXor(x, 2u));
  x = max(x, subgroupShuffleXor(x, 1u));
  return x;
}

fn row_sum32(v: f32, t: u32, w: u32) -> f32 {
  var x: f32 = v;
  x = x + subgroupShuffleXor(x, 16u);
  x = x + subgroupShuffleXor(x, 8u);
  x = x + subgroupShuffleXor(x, 4u);
  x = x + subgroupShuffleXor(x, 2u);
  x = x + subgroupShuffleXor(x, 1u);
  return x;
}
