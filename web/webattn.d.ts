// Types of webattn's JavaScript API (webattn.js): exact scaled-dot-product attention with a
// KV cache, run by the webattn C++ library (compiled to wasm) on the app's own GPUDevice and
// GPUBuffers.
//
// Layouts (all row-major, little-endian):
//   q, out        [S, Hq, D]        fp32/f16  S new tokens, Hq query heads, head dim D
//   kNew, vNew    [S, Hkv, D]       fp32/f16  Hq must be a multiple of Hkv (GQA: query head h
//                                             reads kv head floor(h / (Hq / Hkv)))
//   lse           [S, Hq]           fp32      optional output (AttentionOptions.lse)
//   mask          [S, L] / [S, W]   fp32/u32  optional input (AttentionOptions.mask)
//   keys, values  [capacity, Hkv, D]          'f32': fp32; 'f16': IEEE halves in element order
//                                             (as a Uint16Array holds them: two per u32 word,
//                                             the even element in the low half); D % 4 == 0
// Activations (q, kNew, vNew, out) are fp32 unless made with tensor(..., {dtype: 'f16'}):
// then IEEE halves in the same packing as an f16 cache (a Float16Array's bytes), each tensor
// on its own and independently of the cache's dtype. The kernels convert as they load and
// store; all arithmetic is fp32. An f16 out is the fp32 result rounded once to the nearest
// half (from 65520 on: ±Inf), so against float64 its relative L2 error is at most
// u + (1+u)·limit, u = 2^-11 and limit the cache dtype's (1e-6 fp32, 1e-5 f16); f16 inputs
// are exact halves and change no limit (the reference takes their rounded values).
// Buffers need GPUBufferUsage.STORAGE (COPY_SRC for downloadKeys/downloadValues), offsets
// that are multiples of the device's minStorageBufferOffsetAlignment (256 on most devices),
// and `out` in a different GPUBuffer than q and the caches (WebGPU forbids one buffer being
// read and written in the same pass, even at disjoint ranges); likewise kNew and vNew must
// not share a GPUBuffer with the caches. Anything else is refused with a ShapeError
// naming the buffer, the usage or the offset.
//
// A call writes kNew/vNew into the caches at rows inputPos .. inputPos+S-1, then computes
// out = softmax(q·Kᵀ·scale + mask)·V over cache rows 0 .. inputPos+S-1; with causal (the
// default) query row s sees rows 0 .. inputPos+s. scale defaults to 1/sqrt(D). The variants
// (sliding window, soft-cap, sinks, log-sum-exp out) are options, see AttentionOptions.
// Queries, softmax and accumulation are fp32.
//
// Every call that touches the GPU returns a Promise (the wasm side waits for WebGPU through
// JSPI); such calls may be issued without awaiting the previous one: webattn runs them in
// order, one at a time, as the app's queue would. Bad arguments reject the Promise (or,
// for tensor() / kvCache(), throw) with one of the errors below, whose message is the C++
// library's and names the offending value.

/** Base of everything webattn throws. */
export class WebattnError extends Error {}
/** A bad argument: shape, position, buffer usage, offset, option ("input_pos 30 + S 4 exceeds cache capacity 32"). */
export class ShapeError extends WebattnError {}
/** Something this device or browser cannot do (a limit, a missing feature). */
export class UnsupportedError extends WebattnError {}
/** WebGPU reported a validation, out-of-memory or internal error (message and pass labels included). */
export class GpuError extends WebattnError {}
/** The GPUDevice was lost (or destroyed by the app). */
export class DeviceLostError extends GpuError {}

export type DType = 'f32' | 'f16';
export type Algorithm = 'auto' | 'three-pass-strided' | 'three-pass-coalesced' | 'flash-prefill' | 'flash-prefill-tiled' | 'split-kv';

/**
 * Options of forward() and plan(). Every field is checked: an unknown name (a typo), a wrong
 * type, NaN, a fraction where an integer is wanted or a value out of range rejects with a
 * ShapeError naming the field ("'softcap' must be a number in [0, 2^32), got number NaN").
 * A variant an explicit algorithm cannot run rejects with an UnsupportedError saying why
 * ("three-pass: no sliding window (window_left 64); ..."); 'auto' routes around it.
 */
export interface AttentionOptions {
  /** 'auto' (default): split-kv when S·(Hq/Hkv) <= 16, else flash-prefill when its tile fits, else three-pass-coalesced. */
  algorithm?: Algorithm;
  /** Softmax scale; 0 or absent: 1/sqrt(D). */
  scale?: number;
  /** Default true. false: every row sees all inputPos+S rows (encoders). */
  causal?: boolean;
  /**
   * Sliding window W, in positions (Mistral, Phi-3, Gemma, gpt-oss): the query at absolute
   * position p = inputPos + s sees keys p-W+1 .. p (causal) or p-W+1 .. inputPos+S-1
   * (causal: false), clamped at 0; keys left of the window are never read for that row.
   * W >= the context is no window. An integer in [0, 2^32); 0 or absent: none.
   * flash-prefill, flash-prefill-tiled and split-kv; three-pass rejects it (UnsupportedError).
   */
  windowLeft?: number;
  /**
   * Logit soft-cap c (Gemma 2: 50): each scaled score becomes c·tanh(score/c) before the
   * masking and the softmax. A finite number >= 0; 0 or absent: none. Every algorithm.
   */
  softcap?: number;
  /**
   * Attention sinks (gpt-oss): one logit per query head, sinks[h] for head h, joining the
   * softmax denominator of each of its rows with no value row:
   * out = Σ e^(s_c-M)·v_c / (Σ e^(s_c-M) + e^(sinks[h]-M)), M the larger of the row's max and
   * the sink. Exactly Hq numbers, finite in fp32 (ShapeError otherwise: "sinks has 3 values;
   * expected none or one per query head (4)"); empty or absent: none. Uploaded when the call
   * or plan is prepared: a plan keeps its copy. flash-prefill, flash-prefill-tiled and split-kv; three-pass rejects them.
   */
  sinks?: number[] | Float32Array | Float64Array;
  /**
   * Log-sum-exp out: a Tensor [S, Hq] fp32 of the app's (wa.tensor(buffer, [S, Hq], offset)),
   * like out, that receives each row's natural-log softmax denominator, M + log Σ e^(s_c-M)
   * over the keys the row sees (scaled, capped scores; the sink included), so partial
   * attentions over disjoint keys merge: lse = logaddexp(lse_a, lse_b),
   * out = e^(lse_a-lse)·out_a + e^(lse_b-lse)·out_b. Not in the GPUBuffer of q, the caches or
   * out (ShapeError: "lse and out are in the same WGPUBuffer; ..."). A plan keeps the view:
   * every step writes it. flash-prefill, flash-prefill-tiled and split-kv; three-pass rejects it.
   */
  lse?: Tensor;
  /**
   * ALiBi (Press et al. 2022, "Train Short, Test Long"; BLOOM, MPT): every score of query head
   * h gains slope_h·(key_pos - query_pos), positions absolute (row s at inputPos + s), added
   * after the scale and the soft-cap. true: the paper's slopes for Hq heads (its rule for Hq
   * not a power of two included, as HF BLOOM's build_alibi_tensor); an array: exactly Hq
   * slopes, finite in fp32, any sign (ShapeError otherwise, naming 'alibi' or alibi_slopes);
   * false or absent: none. Compiled into the pipeline (one per slope set). Every algorithm but
   * flash-prefill-tiled (UnsupportedError; 'auto' never picks it while another can run).
   */
  alibi?: boolean | number[] | Float32Array | Float64Array;
  /**
   * An explicit mask in the app's buffer, combined with causal and the window (a key is
   * visible when both allow it); read by the call, and by every step of a plan (the app may
   * rewrite it between steps).
   *  - kind 'additive': tensor [S, L] fp32 (wa.tensor(buf, [S, L])), L >= inputPos + S
   *    (plans: >= maxContext); entry [s, c] is added to row s's score of cache position c
   *    after the scale, soft-cap and ALiBi; -Infinity hides the key by rule.
   *  - kind 'bool': tensor [S, W] of u32 words (viewed as an fp32 tensor of 4-byte elements;
   *    write a Uint32Array, e.g. from packBoolMask), W·32 >= inputPos + S (plans: >=
   *    maxContext); bit c % 32 of word [s, c / 32] set = position c visible to row s.
   * A row that sees no key has output 0 and lse -Infinity (with a sink: the sink), never NaN.
   * An 'f32' tensor (ShapeError for 'f16': its elements are 4 bytes, entries or words).
   * Not in the GPUBuffer of out, lse or the caches (ShapeError). kind is required (no
   * default: a packed mask read as additive would pass silently); unknown fields are refused.
   * flash-prefill and split-kv; three-pass and flash-prefill-tiled reject it (UnsupportedError).
   */
  mask?: { tensor: Tensor; kind: 'additive' | 'bool' };
  /** Time every pass with GPU timestamps (needs the device's 'timestamp-query' feature; waits for the GPU). */
  profile?: boolean;
  /** plan() only: the longest inputPos+S a step will have (default: the cache capacity). */
  maxContext?: number;
}

export interface StageTime {
  stage: string;
  /** GPU time of the pass in milliseconds (Chrome rounds timestamps to 100 µs unless started with --enable-webgpu-developer-features). */
  ms: number;
  /** Its start relative to the first pass, ms. */
  startMs: number;
}

export interface ForwardInfo {
  /** The algorithm that ran. */
  algorithm: Algorithm;
  /** With profile: one entry per pass; else empty. */
  stages: StageTime[];
  /** Sum of the passes' GPU times, ms (0 without profile). */
  totalMs: number;
  /** First pass start to last pass end, ms. */
  spanMs: number;
}

export interface AdapterInfo {
  device: string;
  vendor: string;
  architecture: string;
  description: string;
  backend: string;
  timestamps: boolean;
  subgroups: boolean;
  shaderF16: boolean;
  maxStorageBufferBindingSize: number;
  minStorageBufferOffsetAlignment: number;
  maxComputeWorkgroupStorageSize: number;
}

export interface KVCacheConfig {
  /** Rows (positions) each cache holds. */
  capacity: number;
  kvHeads: number;
  /** A multiple of 4. */
  headDim: number;
  /** Default 'f32'. 'f16' needs no shader-f16 (halves are unpacked from u32 words). */
  dtype?: DType;
  /** Keys [capacity, kvHeads, headDim] start at keysOffset bytes (default 0). */
  keys: GPUBuffer;
  keysOffset?: number;
  /** Values likewise; may be the same GPUBuffer as keys at a non-overlapping offset. */
  values: GPUBuffer;
  valuesOffset?: number;
}

/** A view of an app's GPUBuffer as a tensor of fp32 values or of packed IEEE halves. */
export class Tensor {
  readonly buffer: GPUBuffer;
  readonly offset: number;
  /** 'f32', or 'f16': halves packed two per u32 (the bytes of a Float16Array). */
  readonly dtype: DType;
  /** [rows, heads, headDim], or [S, Hq] for an lse output, [S, L] for a mask. */
  readonly shape: [number, number, number] | [number, number];
  /** Drops webattn's handle (plans made from it keep what they need). */
  destroy(): void;
}

/** K and V caches in the app's buffers. */
export class KVCache {
  readonly config: Required<Pick<KVCacheConfig, 'capacity' | 'kvHeads' | 'headDim' | 'dtype'>>;
  /** All keys as fp32 [capacity, kvHeads, headDim] (f16 widened); needs COPY_SRC. */
  downloadKeys(): Promise<Float32Array>;
  downloadValues(): Promise<Float32Array>;
  destroy(): void;
}

/**
 * A planned call: the same tensors, cache and options at any inputPos. Pipelines, bind groups
 * and scratch are made once by Webattn.plan(); a step only writes its parameters and submits
 * (one command buffer on the app's queue). Refill q / kNew / vNew in their buffers between steps.
 */
export class Plan {
  readonly algorithm: Algorithm;
  readonly seqLen: number;
  readonly maxContext: number;
  /** One step; ShapeError if inputPos + S exceeds maxContext. */
  run(inputPos: number): Promise<ForwardInfo>;
  /**
   * Native only: recording a step into the app's encoder needs Dawn's
   * wgpuCommandEncoderWriteBuffer, which browsers lack; rejects with an UnsupportedError.
   */
  encode(encoder: GPUCommandEncoder, inputPos: number): Promise<void>;
  destroy(): void;
}

/** webattn on one GPUDevice of the app (imported, referenced, never destroyed by webattn). */
export class Webattn {
  /**
   * Loads the wasm module (once per page) and wraps `device`. Create the device with the
   * adapter's limits for large caches (maxStorageBufferBindingSize,
   * maxComputeWorkgroupStorageSize) and with 'timestamp-query' for profile.
   * options.moduleUrl: URL of dist/webattn_wasm.js when it is not next to webattn.js.
   */
  static create(device: GPUDevice, options?: { moduleUrl?: string }): Promise<Webattn>;
  readonly device: GPUDevice;
  readonly adapter: AdapterInfo;
  /**
   * fp32 values row-major in `shape` [rows, heads, headDim] (q, kNew, vNew, out) or [S, Hq]
   * (AttentionOptions.lse) or [S, L] (AttentionOptions.mask), `offset` bytes into `buffer` (a multiple of
   * minStorageBufferOffsetAlignment); `label` names it in errors.
   */
  tensor(buffer: GPUBuffer, shape: [number, number, number] | [number, number], offset?: number, label?: string): Tensor;
  /**
   * The same with a dtype: 'f16' views rows·heads·headDim halves packed two per u32 (an odd
   * count pads one half), 2 bytes per element. q, kNew, vNew and out may each be 'f16'; lse
   * must be 'f32' (ShapeError). Unknown fields, a dtype other than 'f32' / 'f16' and a range
   * past the buffer's end are ShapeErrors naming them.
   */
  tensor(buffer: GPUBuffer, shape: [number, number, number] | [number, number],
         options: { offset?: number; label?: string; dtype?: DType }): Tensor;
  kvCache(config: KVCacheConfig): KVCache;
  /** Cache update + attention in one submission on the app's queue. */
  forward(q: Tensor, kNew: Tensor, vNew: Tensor, cache: KVCache, inputPos: number, out: Tensor,
          options?: AttentionOptions): Promise<ForwardInfo>;
  plan(q: Tensor, kNew: Tensor, vNew: Tensor, cache: KVCache, out: Tensor, options?: AttentionOptions): Promise<Plan>;
  /** The algorithm 'auto' runs for seqLen new tokens at inputPos. */
  choose(seqLen: number, inputPos: number, cache: KVCache, qHeads: number): Algorithm;
  /**
   * The float64-reference check of one random problem (as the native `webattn check`): random
   * caches, output poisoned with NaN, the whole cache compared after the update. Uses buffers
   * of its own on this device. The variants as in AttentionOptions (lse: true also checks
   * the lse output); unknown fields are refused.
   */
  verify(problem: Problem & { capacity?: number; lse?: boolean;
                             /** A mask of this kind drawn from the seed (about 30% of keys hidden, some rows empty). */
                             mask?: 'additive' | 'bool';
                             /** Activation dtypes (absent: 'f32'); the reference gets f16 inputs rounded. */
                             act?: { q?: DType; kNew?: DType; vNew?: DType; out?: DType } },
         algorithm: Algorithm, dtype: DType, seed: number): Promise<{
    case: string; supported: boolean; passed?: boolean; ran?: Algorithm; maxAbs?: number; relL2?: number;
    nonfinite?: number; cacheExact?: boolean; gpuMs?: number;
    /** With problem.lse: the lse output against float64 (part of `passed`). */
    lseMaxAbs?: number; lseRelL2?: number;
  }>;
  /** Drops webattn's references to the device and every GPUBuffer it was given; they stay the app's. */
  destroy(): void;
}

/** Every algorithm name, 'auto' first. */
export function algorithms(): Promise<Algorithm[]>;

/**
 * One call's shape, position and options for verify() and referenceAttention(); the
 * variants mean what AttentionOptions says (sinks: Hq numbers).
 */
export interface Problem {
  S: number; Hq: number; Hkv: number; D: number; inputPos?: number; causal?: boolean; scale?: number;
  windowLeft?: number; softcap?: number; sinks?: number[] | Float32Array | Float64Array;
  alibi?: boolean | number[] | Float32Array | Float64Array;
}

/**
 * float64 attention (every product and sum) over caches that already hold the update:
 * q [S, Hq, D], kCache / vCache at least [inputPos+S, Hkv, D] as fp32. Returns out [S, Hq, D];
 * with problem.lse true, {out, lse} with lse [S, Hq] (natural log, as AttentionOptions.lse).
 * ShapeError for lengths that do not match the problem or an unknown field.
 */
export function referenceAttention(q: Float32Array, kCache: Float32Array, vCache: Float32Array,
                                   problem: Problem & { lse?: false; mask?: ReferenceMask }): Promise<Float64Array>;
export function referenceAttention(q: Float32Array, kCache: Float32Array, vCache: Float32Array,
                                   problem: Problem & { lse: true; mask?: ReferenceMask }): Promise<{ out: Float64Array; lse: Float64Array }>;

/**
 * referenceAttention's mask: values [S, cols] row-major, cols >= inputPos + S; 'additive':
 * the fp32 entries (-Infinity hides the key), 'bool': the visibility unpacked (nonzero =
 * visible), i.e. what packBoolMask packs.
 */
export interface ReferenceMask {
  kind: 'additive' | 'bool';
  values: ArrayLike<number>;
  cols: number;
}

/**
 * visible [rows * cols] (row-major, truthy = visible) packed as a 'bool' mask tensor holds it:
 * rows * ceil(cols / 32) u32 words, bit c % 32 of word [r, c / 32] = position c visible to row
 * r. ShapeError when visible does not hold rows * cols values.
 */
export function packBoolMask(visible: ArrayLike<number | boolean>, rows: number, cols: number): Promise<Uint32Array>;
