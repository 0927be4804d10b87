// Split-KV decode, stage 2: merges the n_chunks partial states of one query row with
// log-sum-exp weights: M = max m_j, out = sum_j e^(m_j - M) o_j / sum_j e^(m_j - M) l_j.
// One workgroup per (row, kv head): threads split the chunks into LANES lanes, each
// thread of a lane owning one head-dim vec4; lanes are combined in workgroup memory.
// Attention sinks (SINKS, generated header with sink_logit(h)) join here: the sink's logit
// enters M and e^(sink - M) the denominator, with no value row.
// LSE (generated header with write_lse): each row's log-sum-exp, M + log(sum), is written too.
// ALIBI (generated alibi_slope(h)): the partial states are on the row's ALiBi-shifted scale
// (attention_params); the sink is moved onto it and the LSE back from it.
// MASK: chunks where a row saw no key carry m = no_key(); a row no chunk saw a key for has
// output 0 and LSE -inf (the sink's logit with a sink).
// FUSED (generated with q_row, k_new_row, v_new_row and put_new): the step's own keys,
// positions input_pos .. input_pos + S - 1, are not in the chunks; this pass writes them into
// the cache (converted to its storage type) and takes them from k_new / v_new as the cache
// will hold them: their scores join M and the sums here, with the same visibility, soft-cap,
// ALiBi and mask rules as the chunks' keys. One dispatch fewer per call than a separate cache
// update (a dispatch costs ~2.5 us per call on the H200 before any work: bench/RESULTS.md, session 6).
// Bytes: read Hkv * n_chunks * rows * (D*4 + 8), write S * Hq * D * 4.
override WG: u32 = 256u;  // a power of two, >= D/4

@group(0) @binding(1) var<storage, read> part_o: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> part_ml: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read_write> out: array<out_vec4>;  // f32 or packed f16 (generated out_pack)

var<workgroup> red_m: array<f32, WG>;
var<workgroup> red_o: array<vec4<f32>, WG>;
var<workgroup> red_l: array<f32, WG>;
var<workgroup> new_sc: array<f32, 32>;   // FUSED: each new key's score (S <= 32)
var<workgroup> new_vis: array<u32, 32>;  // FUSED: 1 where this row sees new key j

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let t = lid.x;
  let r = wg.x;
  let kvh = wg.y;
  let d4n = p.head_dim / 4u;
  let g = p.q_heads / p.kv_heads;
  let rows = p.seq_len * g;
  let first = kvh * p.n_chunks * rows + r;  // partial j of this row: first + c * rows

  var mx: f32 = LOWEST;
  if (MASK) {
    mx = no_key();
  }
  for (var c: u32 = t; c < p.n_chunks; c = c + WG) {
    mx = max(mx, part_ml[first + c * rows].x);
  }
  red_m[t] = mx;
  workgroupBarrier();
  for (var w: u32 = WG / 2u; w > 0u; w = w / 2u) {
    if (t < w) {
      red_m[t] = max(red_m[t], red_m[t + w]);
    }
    workgroupBarrier();
  }
  let h = kvh * g + r % g;
  var any_new: bool = false;
  if (FUSED) {
    let s = r / g;
    // The cache update: workgroup (r, kvh), r < S, writes new row r of kv head kvh.
    if (r < p.seq_len) {
      for (var d: u32 = t; d < d4n; d = d + WG) {
        put_new(((p.input_pos + r) * p.kv_heads + kvh) * d4n + d, (r * p.kv_heads + kvh) * d4n + d);
      }
    }
    let slope = alibi_slope(h);
    let ref_key = alibi_ref_key(slope, s);
    // The dot products are summed over the D/4 lanes that hold them, not the whole workgroup
    // (up to 1024 lanes: 10 barrier steps per new key instead of 5 at D = 128).
    var span: u32 = 1u;
    while (span < d4n) {
      span = span * 2u;
    }
    for (var j: u32 = 0u; j < p.seq_len; j = j + 1u) {
      var part: f32 = 0.0;
      for (var d: u32 = t; d < d4n; d = d + WG) {
        part = part + dot(q_row((s * p.q_heads + h) * d4n + d) * select(p.scale, 1.0, SCALE_AFTER),
                         k_new_row((j * p.kv_heads + kvh) * d4n + d));
      }
      red_l[t] = part;
      workgroupBarrier();
      for (var w: u32 = span / 2u; w > 0u; w = w / 2u) {
        if (t < w) {
          red_l[t] = red_l[t] + red_l[t + w];
        }
        workgroupBarrier();
      }
      if (t == 0u) {
        let key = p.input_pos + j;
        let vis = key >= visible_start(s) && key < visible_len(s) && mask_visible(s, key);
        new_vis[j] = select(0u, 1u, vis);
        new_sc[j] = mask_score(alibi_score(cap_score(scale_after(red_l[0])), slope, key, ref_key), s, key);
      }
      workgroupBarrier();
    }
    for (var j: u32 = 0u; j < p.seq_len; j = j + 1u) {
      any_new = any_new || new_vis[j] != 0u;
    }
  }
  var shift: f32 = 0.0;
  if (ALIBI) {
    let slope = alibi_slope(h);
    shift = alibi_offset(slope, alibi_ref_key(slope, r / g), r / g);
  }
  var sink: f32 = 0.0;
  if (SINKS) {
    sink = sink_logit(h);
    if (ALIBI) {
      sink = sink - shift;
    }
  }
  var m_all: f32 = red_m[0];
  if (SINKS) {
    m_all = max(m_all, sink);  // the sink is one more logit of the row
  }
  if (FUSED) {
    for (var j: u32 = 0u; j < p.seq_len; j = j + 1u) {
      if (new_vis[j] != 0u) {
        m_all = max(m_all, new_sc[j]);
      }
    }
  }

  // no key and no sink (bits: NaN-safe)
  let empty = MASK && !any_new && bitcast<u32>(m_all) == bitcast<u32>(no_key());
  let lanes = WG / d4n;
  let lane = t / d4n;
  let d4 = t % d4n;
  var o: vec4<f32> = vec4<f32>(0.0);
  var l: f32 = 0.0;
  if (lane < lanes && !empty) {
    for (var c: u32 = lane; c < p.n_chunks; c = c + lanes) {
      let j = first + c * rows;
      let ml = part_ml[j];
      // A chunk with no key visible to this row has m = LOWEST, l = 0 and o = 0: weight
      // exp(LOWEST - m_all) times zeros. No value of m is treated as "masked".
      var w: f32 = exp(ml.x - m_all);
      if (SINKS) {
        w = exp_diff(ml.x, m_all);  // every chunk's weight is tiny when the sink dominates: keep it exact
      }
      l = l + w * ml.y;
      o = o + w * part_o[j * d4n + d4];
    }
  }
  red_o[t] = o;
  red_l[t] = l;
  workgroupBarrier();
  if (t < d4n) {
    var os: vec4<f32> = vec4<f32>(0.0);
    var ls: f32 = 0.0;
    for (var x: u32 = 0u; x < lanes; x = x + 1u) {
      os = os + red_o[x * d4n + t];
      ls = ls + red_l[x * d4n + t];
    }
    if (FUSED) {
      for (var j: u32 = 0u; j < p.seq_len; j = j + 1u) {
        if (new_vis[j] != 0u) {
          var wj: f32 = exp(new_sc[j] - m_all);
          if (SINKS) {
            wj = exp_diff(new_sc[j], m_all);
          }
          ls = ls + wj;
          os = os + wj * v_new_row((j * p.kv_heads + kvh) * d4n + t);
        }
      }
    }
    if (SINKS) {
      ls = ls + exp(sink - m_all);  // in the denominator only: a sink has no value
    }
    let s = r / g;
    var o_row: vec4<f32> = os / ls;
    if (MASK && empty) {
      o_row = vec4<f32>(0.0);
    }
    out[(s * p.q_heads + h) * d4n + t] = out_pack(o_row);
    if (LSE && t == 0u) {
      var lse_row: f32 = m_all + log(ls);
      if (ALIBI) {
        lse_row = lse_row + shift;
      }
      if (MASK && empty) {
        lse_row = no_key();
      }
      write_lse(s * p.q_heads + h, lse_row);
    }
  }
}
