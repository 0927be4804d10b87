// webattn in the browser: exact scaled-dot-product attention with a KV cache on the app's
// own GPUDevice and GPUBuffers. A thin layer over the C++ library compiled to wasm
// (dist/webattn_wasm.js); types and documentation in webattn.d.ts.
import createWebattnModule from './dist/webattn_wasm.js';

/** Base of everything webattn throws; `message` is the C++ library's message. */
export class WebattnError extends Error {
  constructor(message) {
    super(message);
    this.name = new.target.name;
  }
}
/** A bad argument: shape, position, buffer usage, offset, option. */
export class ShapeError extends WebattnError {}
/** Something this device or browser cannot do. */
export class UnsupportedError extends WebattnError {}
/** WebGPU reported a validation, out-of-memory or internal error. */
export class GpuError extends WebattnError {}
/** The GPUDevice was lost. */
export class DeviceLostError extends GpuError {}

const KINDS = { ShapeError, UnsupportedError, GpuError, DeviceLostError };

// The wasm side throws JS Errors named after the C++ exception class.
function rethrow(e) {
  if (e instanceof WebattnError) throw e;
  if (e && KINDS[e.name]) throw new KINDS[e.name](e.message);
  if (e && e.name === 'Error' && typeof e.message === 'string') throw new WebattnError(e.message);
  throw e;
}

function call(fn) {
  try {
    const r = fn();
    return r instanceof Promise ? r.catch(rethrow) : r;
  } catch (e) {
    rethrow(e);
  }
}

// "null", "number 3", "a KVCache", "an object": what was passed instead.
function describe(x) {
  if (x === null || x === undefined) return String(x);
  if (typeof x !== 'object') return `${typeof x} ${String(x)}`;
  const name = x.constructor?.name;
  return name && name !== 'Object' ? `a ${name}` : 'an object';
}

// Calls that wait for the GPU run one at a time: under JSPI a second call could otherwise
// enter the wasm while the first is suspended, interleaving its error scopes and encoders.
let tail = Promise.resolve();
function serial(fn) {
  const run = tail.then(() => call(fn));
  tail = run.catch(() => {});
  return run;
}

function requireBuffer(what, buffer) {
  if (typeof GPUBuffer === 'undefined' || !(buffer instanceof GPUBuffer))
    throw new ShapeError(`${what} must be a GPUBuffer, got ${describe(buffer)}`);
}

function requireOffset(what, offset) {
  if (!Number.isSafeInteger(offset) || offset < 0)
    throw new ShapeError(`${what} must be a non-negative integer byte offset, got ${offset}`);
}

function requirePosition(inputPos) {
  if (!Number.isInteger(inputPos) || inputPos < 0 || inputPos > 0xffffffff)
    throw new ShapeError(`inputPos must be an integer in [0, 2^32), got ${describe(inputPos)}`);
}

// The wasm object behind a Tensor / KVCache argument, refusing anything else.
function nativeOf(what, x, Kind, owner) {
  if (!(x instanceof Kind)) throw new ShapeError(`${what} must be a webattn ${Kind.name}, got ${describe(x)}`);
  if (!x._native) throw new ShapeError(`${what} was destroyed`);
  if (x._owner !== owner) throw new ShapeError(`${what} belongs to another Webattn (another device import)`);
  return x._native;
}

// The options as the wasm reads them: the Tensor-valued options (lse, mask.tensor) replaced
// by their wasm objects, checked here like a positional Tensor argument. The other fields
// are checked by the wasm side (unknown names, types, ranges), each refusal naming the field.
function nativeOptions(options, owner) {
  if (options === undefined || options === null) return {};
  const isObject = (x) => typeof x === 'object' && x !== null && !Array.isArray(x);
  if (!isObject(options)) throw new ShapeError(`options must be an object, got ${describe(options)}`);
  const out = { ...options };
  if (options.lse !== undefined && options.lse !== null) out.lse = nativeOf('lse', options.lse, Tensor, owner);
  if (options.mask !== undefined && options.mask !== null) {
    if (!isObject(options.mask)) throw new ShapeError(`mask must be an object {tensor, kind}, got ${describe(options.mask)}`);
    out.mask = { ...options.mask, tensor: nativeOf('mask.tensor', options.mask.tensor, Tensor, owner) };
    // the library reads a mask as 4-byte elements (fp32 entries or u32 words) whatever its dtype
    if (options.mask.tensor.dtype !== 'f32')
      throw new ShapeError(`mask.tensor must be an 'f32' tensor (fp32 entries or u32 words), got '${options.mask.tensor.dtype}'`);
  }
  return out;
}

let modulePromise = null;
function loadModule(moduleUrl) {
  if (!modulePromise) {
    modulePromise = (moduleUrl ? import(moduleUrl).then((m) => m.default()) : createWebattnModule()).catch((e) => {
      modulePromise = null;  // a later call may try again
      throw e;
    });
  }
  return modulePromise;
}

/**
 * A view of an app's GPUBuffer as a row-major tensor [rows, heads, headDim] (or [rows, heads]
 * for lse) of fp32 values or of IEEE halves packed two per u32 (dtype 'f16').
 */
export class Tensor {
  constructor(owner, native, buffer, offset, dtype) {
    this._owner = owner;
    this._native = native;
    this.buffer = buffer;
    this.offset = offset;
    this.dtype = dtype;
  }
  get shape() {
    return call(() => Array.from(this._native.shape()));
  }
  /** Drops webattn's reference to the buffer (the buffer itself stays the app's). */
  destroy() {
    if (this._native) this._native.delete();
    this._native = null;
  }
}

/** K and V caches [capacity, kvHeads, headDim] in the app's buffers. */
export class KVCache {
  constructor(owner, native, config) {
    this._owner = owner;
    this._native = native;
    this.config = config;
  }
  /** The stored keys as fp32 [capacity, kvHeads, headDim] (f16 caches widened). Needs CopySrc usage. */
  async downloadKeys() {
    this._owner._check();
    return serial(() => this._native.downloadKeys());
  }
  /** The stored values, as downloadKeys(). */
  async downloadValues() {
    this._owner._check();
    return serial(() => this._native.downloadValues());
  }
  destroy() {
    if (this._native) this._native.delete();
    this._native = null;
  }
}

/** A planned call: same tensors, cache and options, any input position. */
export class Plan {
  constructor(owner, native) {
    this._owner = owner;
    this._native = native;
    this.algorithm = native.algorithm();
    this.seqLen = native.seqLen();
    this.maxContext = native.maxContext();
  }
  /** One step at inputPos, submitted on the app's queue. */
  async run(inputPos) {
    this._owner._check();
    if (!this._native) throw new ShapeError('run() on a destroyed plan');
    requirePosition(inputPos);
    return serial(() => this._native.run(inputPos));
  }
  /**
   * Recording the step into the app's GPUCommandEncoder: native Dawn only (it needs
   * wgpuCommandEncoderWriteBuffer); in the browser this rejects with an UnsupportedError
   * saying so. Use run(inputPos).
   */
  async encode(encoder, inputPos) {
    this._owner._check();
    if (!this._native) throw new ShapeError('encode() on a destroyed plan');
    if (typeof GPUCommandEncoder === 'undefined' || !(encoder instanceof GPUCommandEncoder))
      throw new ShapeError(`encode needs a GPUCommandEncoder, got ${describe(encoder)}`);
    requirePosition(inputPos);
    const ptr = this._owner._M.WebGPU.importJsCommandEncoder(encoder, this._owner._devicePtr);
    return serial(() => this._native.encode(ptr, inputPos));
  }
  destroy() {
    if (this._native) this._native.delete();
    this._native = null;
  }
}

/** webattn on one GPUDevice of the app. */
export class Webattn {
  /**
   * Wraps the app's GPUDevice (referenced, never destroyed by webattn).
   * options.moduleUrl: where dist/webattn_wasm.js is, if not next to this file.
   */
  static async create(device, options = {}) {
    if (typeof GPUDevice === 'undefined' || !(device instanceof GPUDevice))
      throw new ShapeError(`Webattn.create needs a GPUDevice, got ${describe(device)}`);
    const M = await loadModule(options.moduleUrl);
    const instance = M.createInstance();
    const devicePtr = M.WebGPU.importJsDevice(device, instance);
    const native = call(() => M.Context.adopt(instance, devicePtr));
    return new Webattn(M, device, native, devicePtr);
  }

  constructor(M, device, native, devicePtr) {
    this._M = M;
    this.device = device;
    this._native = native;
    this._devicePtr = devicePtr;
    this._lost = null;
    this._buffers = new Map();  // GPUBuffer -> its one imported pointer (a reference held until destroy())
    // An imported GPUDevice has no lost future in wasm: watch the JS promise here.
    device.lost.then((info) => {
      this._lost = info;
    });
    /** Adapter and device facts: device name, backend, features, limits. */
    this.adapter = native.adapter();
  }

  _check() {
    if (this._lost) throw new DeviceLostError(`the GPUDevice was lost (${this._lost.reason}): ${this._lost.message}`);
    if (!this._native) throw new ShapeError('this Webattn was destroyed');
  }

  _import(what, buffer) {
    requireBuffer(what, buffer);
    let ptr = this._buffers.get(buffer);
    if (ptr === undefined) {
      ptr = this._M.WebGPU.importJsBuffer(buffer, this._devicePtr);
      this._buffers.set(buffer, ptr);
    }
    return ptr;
  }

  /**
   * A view of `buffer` holding values row-major in `shape` ([S, H, D], or [S, Hq] for lse):
   * tensor(buffer, shape, offset = 0, label = 'tensor') for fp32, or
   * tensor(buffer, shape, { offset, label, dtype }) with dtype 'f32' (default) or 'f16'.
   */
  tensor(buffer, shape, offsetOrOptions = 0, label = 'tensor') {
    this._check();
    let offset = offsetOrOptions, dtype = 'f32';
    if (typeof offsetOrOptions === 'object' && offsetOrOptions !== null) {
      for (const k of Object.keys(offsetOrOptions))
        if (!['offset', 'label', 'dtype'].includes(k))
          throw new ShapeError(`unknown tensor option '${k}'; expected offset, label or dtype`);
      ({ offset = 0, label = 'tensor', dtype = 'f32' } = offsetOrOptions);
    }
    if (typeof label !== 'string') throw new ShapeError(`a tensor's label must be a string, got ${describe(label)}`);
    requireOffset(`'${label}' offset`, offset);
    const ptr = this._import(label, buffer);
    const native = call(() => this._native.tensor(ptr, offset, shape, label, { dtype }));
    return new Tensor(this, native, buffer, offset, native.dtype());
  }

  /** K and V caches in the app's buffers (see webattn.d.ts for layout and usage). */
  kvCache(config) {
    this._check();
    const { keys, values, keysOffset = 0, valuesOffset = 0 } = config;
    requireOffset('keysOffset', keysOffset);
    requireOffset('valuesOffset', valuesOffset);
    const k = this._import('keys', keys);
    const v = this._import('values', values);
    const shape = { capacity: config.capacity, kvHeads: config.kvHeads, headDim: config.headDim, dtype: config.dtype };
    return new KVCache(this, call(() => this._native.cache(shape, k, keysOffset, v, valuesOffset)), {
      ...shape,
      dtype: config.dtype ?? 'f32',
    });
  }

  /** Writes kNew/vNew into the cache at inputPos, then out = attention (one submission). */
  async forward(q, kNew, vNew, cache, inputPos, out, options = {}) {
    this._check();
    const args = this._args(q, kNew, vNew, cache, out);
    requirePosition(inputPos);
    const opts = nativeOptions(options, this);
    return serial(() => this._native.forward(args[0], args[1], args[2], args[3], inputPos, args[4], opts));
  }

  _args(q, kNew, vNew, cache, out) {
    return [nativeOf('q', q, Tensor, this), nativeOf('kNew', kNew, Tensor, this), nativeOf('vNew', vNew, Tensor, this),
      nativeOf('cache', cache, KVCache, this), nativeOf('out', out, Tensor, this)];
  }

  /** Plans a call once (pipelines, bind groups, scratch); run(pos) per step. */
  async plan(q, kNew, vNew, cache, out, options = {}) {
    this._check();
    const args = this._args(q, kNew, vNew, cache, out);
    const opts = nativeOptions(options, this);
    const native = await serial(() => this._native.plan(...args, opts));
    return new Plan(this, native);
  }

  /** Which algorithm 'auto' runs for seqLen new tokens at inputPos with qHeads query heads. */
  choose(seqLen, inputPos, cache, qHeads) {
    this._check();
    requirePosition(inputPos);
    for (const [name, n] of [['seqLen', seqLen], ['qHeads', qHeads]])
      if (!Number.isInteger(n) || n < 1 || n > 0xffffffff) throw new ShapeError(`${name} must be a positive integer, got ${describe(n)}`);
    return call(() => this._native.choose(seqLen, inputPos, nativeOf('cache', cache, KVCache, this), qHeads));
  }

  /**
   * The float64-reference check of one random problem, as `webattn check` does natively:
   * random caches, output poisoned with NaN, whole cache compared after the update.
   */
  async verify(problem, algorithm, dtype, seed) {
    this._check();
    return serial(() => this._native.verify(problem, algorithm, dtype, seed));
  }

  /**
   * Drops webattn's references (the app's device and buffers stay alive). Tensors, caches
   * and plans made from this object must not be used afterwards.
   */
  destroy() {
    if (this._native) this._native.delete();
    this._native = null;
    for (const ptr of this._buffers.values()) this._M.releaseBuffer(ptr);
    this._buffers.clear();
  }
}

/** Every algorithm name ('auto' first). */
export async function algorithms() {
  return (await loadModule()).algorithms();
}

/**
 * A boolean mask visible [rows * cols] (row-major, truthy = visible) packed as a 'bool' mask
 * tensor holds it: a Uint32Array of rows * ceil(cols / 32) words, bit c % 32 of word
 * [r, c / 32] set when position c is visible to row r.
 */
export async function packBoolMask(visible, rows, cols) {
  const M = await loadModule();
  for (const [name, n] of [['rows', rows], ['cols', cols]])
    if (!Number.isInteger(n) || n < 1 || n > 0xffffffff) throw new ShapeError(`packBoolMask: ${name} must be a positive integer, got ${describe(n)}`);
  if (!Array.isArray(visible) && !ArrayBuffer.isView(visible))
    throw new ShapeError(`packBoolMask: visible must be an array or typed array, got ${describe(visible)}`);
  return call(() => M.packBoolMask(Array.from(visible, (x) => (x ? 1 : 0)), rows, cols));
}

/** float64 attention over already-updated caches (testing aid): see webattn.d.ts. */
export async function referenceAttention(q, kCache, vCache, problem) {
  const M = await loadModule();
  return call(() => M.referenceAttention(q, kCache, vCache, problem));
}
