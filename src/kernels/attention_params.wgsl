// Uniform parameters shared by every attention kernel (mirrored once in C++ as
// webattn::attention::KernelParams, with a static_assert on its size).
struct Params {
  seq_len: u32,        // S: new tokens (query rows per head)
  q_heads: u32,        // Hq
  kv_heads: u32,       // Hkv
  head_dim: u32,       // D (a multiple of 4)
  input_pos: u32,      // absolute position of query row 0
  context_len: u32,    // input_pos + S: cache rows that exist after the update
  causal: u32,         // 1: row s sees positions 0..input_pos+s; 0: all context_len
  scores_stride: u32,  // three-pass: row length of the score matrix (context_len rounded up to 4)
  scale: f32,          // softmax scale, usually 1/sqrt(D)
  chunk_len: u32,      // split-KV: context positions per chunk
  n_chunks: u32,       // split-KV: chunks per kv head
  row_threads: u32,    // flat kernels: threads per grid row (x workgroups * workgroup size)
  window_left: u32,    // sliding window W: the row at position pos sees keys >= pos-W+1 (read only if WINDOW)
  softcap: f32,        // logit soft-cap c > 0: score <- c * tanh(score / c) (read only if SOFTCAP)
  mask_stride: u32,    // explicit mask: f32 entries or u32 words per row (read only with a mask)
}

// The variant flags WINDOW, SOFTCAP and ALIBI are generated `const`s (variant_wgsl on the
// host): a pipeline built for a sliding window sets WINDOW, and without it visible_start()
// is the constant 0 and the window costs nothing in the inner loops (a runtime test there
// cost 2x in split-kv on the H200); likewise SOFTCAP (cap_score() the identity without it)
// and ALIBI (alibi_score() the identity, alibi_offset() 0; the slopes come from the
// generated alibi_slope(h)). Constants, not pipeline overrides: a dead `if (ALIBI)` under
// a false override still cost 2.2-2.7x in split-kv decode on the H200.

// Masking is a rule on positions, never a score value: whether key c is visible to a row
// is decided by visible_start() / visible_len() (and, in the kernels, by the context length), and an
// invisible key contributes nothing to that row -- not "probability 0 times its value"
// (0 * Inf is NaN). Running maxima start at the lowest finite f32 instead of a sentinel,
// so every real score, down to -3.4e38, is a score; exp(score - max) of a visible key is
// never skipped, so a NaN or Inf in a visible key or value reaches its row as in the
// float64 reference. Without an explicit mask every row sees at least one key (its own
// position); a mask can empty a row: see no_key().
const LOWEST: f32 = -3.4028234663852886e38;
// The rule for a row that sees no key at all (only an explicit mask can empty one): its
// softmax has no term, so its output is 0 and its LSE log(0) = -inf (no_key()), never 0/0.
// Kernels decide it by counting visible keys, never from a score; a partial state of
// split-kv with no visible key carries m = no_key() so the merge can tell.
// (-inf cannot be a WGSL constant: a non-finite constant expression is an error.)
var<private> no_key_bits: u32 = 0xff800000u;
fn no_key() -> f32 {
  return bitcast<f32>(no_key_bits);
}

@group(0) @binding(0) var<uniform> p: Params;

// A scaled score after the logit soft-cap (Gemma 2): c * tanh(score / c). tanh is formed
// here, not by the builtin, so a huge score gives exactly +-c (the builtin may form
// e^2x / e^2x = Inf / Inf) and a small one keeps its relative accuracy: an odd series
// below |x| = 0.25 (terms to x^11, truncation < 1e-9 relative), (1 - e^-2|x|) / (1 + e^-2|x|)
// above (no cancellation there: the error stays near 2e-7 relative). A NaN stays NaN.
fn cap_score(score: f32) -> f32 {
  if (SOFTCAP) {
    let x = score / p.softcap;
    let a = abs(x);
    var t: f32 = 0.0;
    if (a < 0.25) {
      let x2 = x * x;
      t = x * (1.0 + x2 * (-1.0 / 3.0 + x2 * (2.0 / 15.0 + x2 * (-17.0 / 315.0 + x2 * (62.0 / 2835.0 +
              x2 * (-1382.0 / 155925.0))))));
    } else {
      let e = exp(-2.0 * a);
      t = sign(x) * (1.0 - e) / (1.0 + e);
      if (x != x) {
        t = x;
      }
    }
    return p.softcap * t;
  }
  return score;
}

// A score with the softmax scale applied after the dot product (SCALE_AFTER, generated: the
// scale exceeds 1 in magnitude), else as given (the kernel folded the scale into an operand).
fn scale_after(score: f32) -> f32 {
  if (SCALE_AFTER) {
    return score * p.scale;
  }
  return score;
}

// First cache position row `s` may attend to: pos - W + 1 under a sliding window of W
// (clamped at 0), else 0. A row always sees its own position, so its range is never empty.
fn visible_start(s: u32) -> u32 {
  if (WINDOW) {
    let pos = p.input_pos + s;
    return select(0u, pos + 1u - p.window_left, pos + 1u > p.window_left);
  }
  return 0u;
}

// Last cache position row `s` may attend to, plus one.
fn visible_len(s: u32) -> u32 {
  if (p.causal != 0u) {
    return min(p.input_pos + s + 1u, p.context_len);
  }
  return p.context_len;
}

// ALiBi (Press et al. 2022): a row's scores gain slope * (key - query_pos). Each row adds
// the bias relative to a reference key instead, slope * (key - ref_key) with ref_key the
// key of its largest bias (the last visible key for slope >= 0, else the first), so every
// biased score is <= the unbiased one: no large value arises that would cost fp32 its
// accuracy (C = 131072 would reach ~1e5). The softmax is unchanged by this per-row shift;
// the row's true scores are the shifted ones plus alibi_offset(), which the LSE and the
// sinks (on the shifted scale) take into account. Distances are formed in integers, so
// the only rounding is the product. alibi_ref_key(slope, s) is generated with the slopes
// (alibi_wgsl): select(visible_start(s), visible_len(s) - 1u, slope >= 0.0) with ALiBi, the
// literal 0 without, so a pipeline without ALiBi has no trace of it where it is called
// (measured: the slope and reference key formed under a dead `if (ALIBI)` made split-kv
// decode 2.2-2.7x slower on the H200, as a pipeline override and as a const alike).

fn alibi_score(score: f32, slope: f32, key: u32, ref_key: u32) -> f32 {
  if (ALIBI) {
    return score + slope * f32(i32(key) - i32(ref_key));
  }
  return score;
}

// What the row's true scores exceed its shifted ones by: slope * (ref_key - query_pos).
fn alibi_offset(slope: f32, ref_key: u32, s: u32) -> f32 {
  if (ALIBI) {
    return slope * f32(i32(ref_key) - i32(p.input_pos + s));
  }
  return 0.0;
}

// x itself, through an integer OR with a zero the compiler cannot see (seq_len is never 0):
// TwoSum's steps are exact only as written, and a compiler that reassociates floats
// (Mesa's, on lavapipe) otherwise folds them away (s - (s - a) -> a), leaving the rounding of
// a - b: rel 3e-6 at |a - b| = 80 there. Value-preserving everywhere.
fn opaque(x: f32) -> f32 {
  return bitcast<f32>(bitcast<u32>(x) | select(0u, 1u, p.seq_len == 0u));
}

// e^(a - b) to within a few f32 ulps even where a - b is far below 0: a row whose weight
// an attention sink holds is scaled by e^(m - sink) as a whole, so the rounding of m - sink
// (up to half an ulp of |m - sink|) and exp's error, which WGSL bounds by 3 + 2|x| ulps,
// would both become the row's relative error (1e-6 and more at |x| ~ 40). The subtraction's
// rounding is recovered exactly (TwoSum) and the exponential taken as 2^k e^r with
// |r| <= ln2/2 (Cody-Waite split of ln 2). Below e^-104 (smaller than any f32): 0; a NaN
// stays NaN.
fn exp_diff(a: f32, b: f32) -> f32 {
  let s = opaque(a - b);
  if (s < -104.0) {
    return 0.0;
  }
  let bv = opaque(s - a);
  let e = opaque(a - opaque(s - bv)) - opaque(b + bv);
  let k = round(s * 1.4426950408889634);
  let r = (s - k * 0.693145751953125) - k * 1.4286068203094172e-06 + e;
  return ldexp(exp(r), i32(k));
}

// 2^(a - (b + b_err)) likewise, for kernels working in log2 units (b_err: what b lost when
// it was formed, e.g. a logit times log2 e).
fn exp2_diff(a: f32, b: f32, b_err: f32) -> f32 {
  let s = opaque(a - b);
  if (s < -150.0) {
    return 0.0;
  }
  let bv = opaque(s - a);
  let e = opaque(a - opaque(s - bv)) - opaque(b + bv) - b_err;
  let k = round(s);
  return ldexp(exp2((s - k) + e), i32(k));
}
