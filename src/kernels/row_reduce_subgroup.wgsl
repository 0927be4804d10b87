// Reductions across 32 consecutive invocations (an aligned group of 32 lanes), with
// subgroup shuffles. Only used where the device's subgroups are >= 32 wide.
enable subgroups;

fn row_max32(v: f32, t: u32) -> f32 {
  var x: f32 = v;
  x = max(x, subgroupShuffleXor(x, 16u));
  x = max(x, subgroupShuffleXor(x, 8u));
  x = max(x, subgroupShuffleXor(x, 4u));
  x = max(x, subgroupShuffleXor(x, 2u));
  x = max(x, subgroupShuffleXor(x, 1u));
  return x;
}

fn row_sum32(v: f32, t: u32) -> f32 {
  var x: f32 = v;
  x = x + subgroupShuffleXor(x, 16u);
  x = x + subgroupShuffleXor(x, 8u);
  x = x + subgroupShuffleXor(x, 4u);
  x = x + subgroupShuffleXor(x, 2u);
  x = x + subgroupShuffleXor(x, 1u);
  return x;
}
