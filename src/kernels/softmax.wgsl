// Three-pass stage 2: in place, each score row becomes probabilities; positions the row
// cannot see (by position, not by value) and padding become exactly 0. One workgroup per
// (s, h) row. Each thread sums its strided share of the row (at most context/WG terms)
// and the partials meet in a tree, so the sum's rounding grows slowly with the context.
// Bytes: read 2x and write 1x Hq * S * stride * 4.
override WG: u32 = 256u;  // a power of two

@group(0) @binding(1) var<storage, read_write> scores: array<f32>;

var<workgroup> red: array<f32, WG>;

fn reduce_max(t: u32, v: f32) -> f32 {
  red[t] = v;
  workgroupBarrier();
  for (var w: u32 = WG / 2u; w > 0u; w = w / 2u) {
    if (t < w) {
      red[t] = max(red[t], red[t + w]);
    }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}

fn reduce_sum(t: u32, v: f32) -> f32 {
  red[t] = v;
  workgroupBarrier();
  for (var w: u32 = WG / 2u; w > 0u; w = w / 2u) {
    if (t < w) {
      red[t] = red[t] + red[t + w];
    }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let s = wg.x;
  let h = wg.y;
  let t = lid.x;
  let row = (h * p.seq_len + s) * p.scores_stride;
  let vis = visible_len(s);
  var m: f32 = LOWEST;
  for (var c: u32 = t; c < vis; c = c + WG) {
    m = max(m, scores[row + c]);
  }
  m = reduce_max(t, m);
  var sum: f32 = 0.0;
  for (var c: u32 = t; c < vis; c = c + WG) {
    sum = sum + exp(scores[row + c] - m);
  }
  sum = reduce_sum(t, sum);
  let inv = 1.0 / sum;
  for (var c: u32 = t; c < p.scores_stride; c = c + WG) {
    var prob: f32 = 0.0;
    if (c < vis) {
      prob = exp(scores[row + c] - m) * inv;
    }
    scores[row + c] = prob;
  }
}
