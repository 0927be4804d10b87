// webattn's browser suite, through the public JS API on a device this page creates:
//   reference  the float64-reference check (src/verify.cpp) on random shapes, every algorithm x f32/f16
//   embed      the app's own GPUDevice and GPUBuffers: prefill by forward(), decode by plan().run()
//   alibi      ALiBi and explicit masks (additive, bool): the verify harness with them, forward()
//              and plans with a mask tensor of the app's against referenceAttention
//   variants   window, soft-cap, sinks, lse: the verify harness with them, and forward() / plan()
//              options on the app's buffers against referenceAttention (out and lse)
//   f16        activations as halves: the verify harness with random activation dtypes, forward()
//              and a plan on the app's f16 buffers against float64 on the rounded inputs
//   fuzz       fixed-seed random calls of every kind, about 1 in 6 invalid (must throw ShapeError)
//   errors     each bad input arrives as a JS exception naming the value
//   lost       a device the app destroys: later calls throw DeviceLostError
// Query: ?parts=reference,variants,alibi,f16,embed,fuzz,errors,lost&cases=4&fuzz=30&seed=7. Sets window.webattnResult.
import { Webattn, WebattnError, ShapeError, algorithms, referenceAttention, packBoolMask } from '../webattn.js';

const params = new URLSearchParams(location.search);
const parts = (params.get('parts') ?? 'reference,variants,alibi,f16,embed,fuzz,errors,lost').split(',');
const CASES = Number(params.get('cases') ?? 4);
const FUZZ = Number(params.get('fuzz') ?? 30);
const SEED = Number(params.get('seed') ?? 7);
const HEAD_DIMS = (params.get('headDims') ?? '8,16').split(',').map(Number);

let passed = 0;
let failed = 0;
const out = document.getElementById('log');
function log(line) {
  console.log(line);
  out.textContent += line + '\n';
}
function check(ok, name, detail = '') {
  if (ok) passed++;
  else failed++;
  log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? ' — ' + detail : ''}`);
}

// mulberry32 + Box-Muller: the same numbers on every run of a seed.
function rng(seed) {
  let a = seed >>> 0;
  const u = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    u,
    int: (lo, hi) => lo + Math.floor(u() * (hi - lo + 1)),
    pick: (xs) => xs[Math.floor(u() * xs.length)],
    normal: (n) => {
      const v = new Float32Array(n);
      for (let i = 0; i < n; i++) v[i] = Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
      return v;
    },
  };
}

async function makeDevice() {
  const adapter = await navigator.gpu.requestAdapter();
  if (!adapter) throw new Error('no WebGPU adapter (Chromium needs --enable-unsafe-webgpu)');
  const want = ['timestamp-query', 'subgroups', 'shader-f16'].filter((f) => adapter.features.has(f));
  const limits = {};
  for (const k of ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize',
    'maxComputeInvocationsPerWorkgroup', 'maxStorageBuffersPerShaderStage', 'maxComputeWorkgroupSizeX'])
    limits[k] = adapter.limits[k];
  return adapter.requestDevice({ requiredFeatures: want, requiredLimits: limits });
}

const U = GPUBufferUsage;
function buffer(device, bytes, usage = U.STORAGE | U.COPY_SRC | U.COPY_DST) {
  return device.createBuffer({ size: Math.ceil(bytes / 4) * 4, usage });
}
async function read(device, buf, offset, count) {
  const staging = device.createBuffer({ size: count * 4, usage: U.MAP_READ | U.COPY_DST });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(buf, offset, staging, 0, count * 4);
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const v = new Float32Array(staging.getMappedRange().slice(0));
  staging.destroy();
  return v;
}
// Equal infinities (the lse of a row a mask empties: -Infinity) count as exact.
function compare(got, ref) {
  let maxAbs = 0, num = 0, den = 0, nonfinite = 0;
  for (let i = 0; i < ref.length; i++) {
    if (!Number.isFinite(ref[i]) && got[i] === ref[i]) continue;
    if (Number.isFinite(got[i]) !== Number.isFinite(ref[i])) nonfinite++;
    const d = got[i] - ref[i];
    maxAbs = Math.max(maxAbs, Math.abs(d));
    num += d * d;
    den += ref[i] * ref[i];
  }
  return { maxAbs, relL2: Math.sqrt(num / Math.max(den, 1e-300)), nonfinite };
}
// The library's limits (README, "Correctness and hard inputs"; an f16 out adds its one rounding,
// "f16 activations": rel L2 <= u + (1 + u)·limit, u = 2^-11, max abs then unbounded by itself).
function within(cmp, dtype, gain = 1, out = 'f32') {
  if (cmp.nonfinite) return false;
  const u = 2 ** -11, relLimit = (dtype === 'f32' ? 1e-6 : 1e-5) * gain;
  if (out === 'f16') return cmp.relL2 <= u + (1 + u) * relLimit;
  return dtype === 'f32' ? cmp.maxAbs <= 2e-6 * gain && cmp.relL2 <= relLimit : cmp.relL2 <= relLimit;
}
const fmt = (c) => `max abs ${c.maxAbs.toExponential(2)}, rel L2 ${c.relL2.toExponential(2)}`;

// ---- reference: the C++ verify harness, compiled to wasm, on random shapes ----
async function partReference(wa) {
  const r = rng(SEED);
  for (const algorithm of await algorithms()) {
    for (const dtype of ['f32', 'f16']) {
      for (let i = 0; i < CASES; i++) {
        const Hkv = r.int(1, 3), g = r.pick([1, 2, 4]), S = r.pick([1, 2, r.int(3, 24)]);
        const inputPos = r.pick([0, r.int(1, 40)]);
        const c = { S, Hq: Hkv * g, Hkv, D: HEAD_DIMS[i % HEAD_DIMS.length], inputPos,
          capacity: inputPos + S + r.int(0, 8), causal: r.u() < 0.8, scale: r.u() < 0.2 ? 0.5 : 0 };
        const res = await wa.verify(c, algorithm, dtype, SEED * 1000 + i);
        const name = `reference ${algorithm} ${dtype} ${res.case}`;
        if (!res.supported) log(`skip ${name} (not supported on this device)`);
        else check(res.passed, name, `ran ${res.ran}, max abs ${res.maxAbs.toExponential(2)}, rel L2 ${res.relL2.toExponential(2)}, cache ${res.cacheExact ? 'exact' : 'WRONG'}`);
      }
    }
  }
}

// ---- variants: sliding window, soft-cap, sinks and the lse output ----
// A variant drawn at random for a call of Hq heads over `context` keys (each about half the time).
function drawVariants(r, Hq, context) {
  const v = {};
  if (r.u() < 0.5) v.windowLeft = r.int(1, context);
  if (r.u() < 0.5) v.softcap = r.pick([0.5, 5, 50]);
  if (r.u() < 0.5) v.sinks = Array.from(r.normal(Hq), (x) => 2 * x);
  return v;
}
const describeVariants = (v) => [v.windowLeft && `window ${v.windowLeft}`, v.softcap && `softcap ${v.softcap}`,
  v.sinks && 'sinks', v.lse && 'lse'].filter(Boolean).join(', ') || 'none';

// Activations as the app holds them: fp32, or 'f16' halves (a Float16Array: rounded to the
// nearest, ties to even; padded to whole u32 words for writeBuffer). actValues: what webattn
// reads from them, the reference's input.
const ACT = (act = {}) => ({ q: act.q ?? 'f32', kNew: act.kNew ?? 'f32', vNew: act.vNew ?? 'f32', out: act.out ?? 'f32' });
function actData(x, dt) {
  if (dt !== 'f16') return x;
  const h = new Float16Array(x.length + (x.length & 1));
  h.set(x);
  return h;
}
const actValues = (x, dt) => (dt === 'f16' ? Float32Array.from(new Float16Array(x)) : x);
const actBytes = (n, dt) => (dt === 'f16' ? Math.ceil(n / 2) * 4 : n * 4);
const describeAct = (a) => (Object.values(a).includes('f16') ? ` act q ${a.q} k ${a.kNew} v ${a.vNew} out ${a.out}` : '');
async function readAct(device, buf, count, dt) {
  if (dt !== 'f16') return read(device, buf, 0, count);
  const words = await read(device, buf, 0, Math.ceil(count / 2));
  return Float32Array.from(new Float16Array(words.buffer, 0, count));
}
const worse = (a, b) => ({ maxAbs: Math.max(a.maxAbs, b.maxAbs), relL2: Math.max(a.relL2, b.relL2), nonfinite: a.nonfinite + b.nonfinite });

// ---- alibi: ALiBi and explicit masks: helpers ----
// A random mask over `cols` positions for S rows, as the native harness draws one: about 30% of
// keys hidden, 1 row in 5 empty (never the last row, so a call always has a row that sees keys);
// additive entries normal (sd 2) or -Infinity where hidden.
function drawMask(r, S, cols) {
  const visible = new Uint8Array(S * cols), additive = new Float32Array(S * cols);
  for (let s = 0; s < S; s++) {
    const empty = s < S - 1 && r.u() < 0.2;
    for (let c = 0; c < cols; c++) {
      visible[s * cols + c] = !empty && r.u() >= 0.3 ? 1 : 0;
      additive[s * cols + c] = visible[s * cols + c] ? 2 * r.normal(1)[0] : -Infinity;
    }
  }
  return { visible, additive };
}
// The mask tensor of the app: [S, cols] fp32 entries, or [S, ceil(cols / 32)] u32 words.
async function maskTensor(device, wa, kind, m, S, cols) {
  const data = kind === 'bool' ? await packBoolMask(m.visible, S, cols) : m.additive;
  const buf = buffer(device, data.byteLength);
  device.queue.writeBuffer(buf, 0, data);
  return { buf, tensor: wa.tensor(buf, [S, data.length / S], 0, `mask_${kind}`), reference: { kind, cols,
    values: kind === 'bool' ? m.visible : m.additive } };
}

// Rows that see no key (the mask, causal rule and window together): out 0, lse -Infinity (or the sink).
function emptyRows(visible, S, cols, inputPos, options) {
  let empty = 0;
  for (let s = 0; s < S; s++) {
    const last = options.causal === false ? inputPos + S - 1 : inputPos + s;
    const first = options.windowLeft ? Math.max(0, inputPos + s - options.windowLeft + 1) : 0;
    if (!visible.slice(s * cols + first, s * cols + last + 1).some((x) => x)) empty++;
  }
  return empty;
}

// One call through the JS API on fresh app buffers: random q/k/v written by the app in the
// activation dtypes `act`, out poisoned, forward() with `options` (lse: true makes an [S, Hq]
// lse tensor in a buffer of its own; mask: 'additive' | 'bool' draws a mask over inputPos + S + 5
// columns), then out and lse against referenceAttention over the downloaded caches.
async function variantCall(device, wa, r, { S, Hq, Hkv, D, inputPos, dtype, options, lse = false, act = {}, mask = null }) {
  const dt = ACT(act);
  const capacity = inputPos + S + 3;
  const kvBytes = Math.ceil((capacity * Hkv * D * (dtype === 'f16' ? 2 : 4)) / 256) * 256;
  const kv = buffer(device, 2 * kvBytes), qb = buffer(device, actBytes(S * Hq * D, dt.q)), ob = buffer(device, actBytes(S * Hq * D, dt.out));
  const kb = buffer(device, actBytes(S * Hkv * D, dt.kNew)), vb = buffer(device, actBytes(S * Hkv * D, dt.vNew)), lb = buffer(device, S * Hq * 4);
  const q = r.normal(S * Hq * D);
  device.queue.writeBuffer(qb, 0, actData(q, dt.q));
  device.queue.writeBuffer(kb, 0, actData(r.normal(S * Hkv * D), dt.kNew));
  device.queue.writeBuffer(vb, 0, actData(r.normal(S * Hkv * D), dt.vNew));
  device.queue.writeBuffer(ob, 0, actData(new Float32Array(S * Hq * D).fill(NaN), dt.out));  // poisoned
  device.queue.writeBuffer(lb, 0, new Float32Array(S * Hq).fill(NaN));
  const cols = inputPos + S + 5, drawn = mask && drawMask(r, S, cols);
  const m = mask && await maskTensor(device, wa, mask, drawn, S, cols);
  const cache = wa.kvCache({ capacity, kvHeads: Hkv, headDim: D, dtype, keys: kv, values: kv, valuesOffset: kvBytes });
  const t = (b, shape, label, dtype) => wa.tensor(b, shape, { label, dtype });
  const ts = [t(qb, [S, Hq, D], 'q', dt.q), t(kb, [S, Hkv, D], 'k_new', dt.kNew), t(vb, [S, Hkv, D], 'v_new', dt.vNew),
    t(ob, [S, Hq, D], 'out', dt.out), t(lb, [S, Hq], 'lse', 'f32')];
  try {
    const info = await wa.forward(ts[0], ts[1], ts[2], cache, inputPos, ts[3],
      { ...options, ...(lse ? { lse: ts[4] } : {}), ...(m ? { mask: { tensor: m.tensor, kind: mask } } : {}) });
    const { algorithm, ...problemOptions } = options;  // the rest are fields of the reference's problem too
    const ref = await referenceAttention(actValues(q, dt.q), await cache.downloadKeys(), await cache.downloadValues(),
      { S, Hq, Hkv, D, inputPos, ...problemOptions, ...(m ? { mask: m.reference } : {}), lse: true });
    return { info, empty: mask ? emptyRows(drawn.visible, S, cols, inputPos, options) : 0,
      out: compare(await readAct(device, ob, S * Hq * D, dt.out), ref.out), lse: lse ? compare(await read(device, lb, 0, S * Hq), ref.lse) : null };
  } finally {
    for (const x of [...ts, cache, ...(m ? [m.tensor] : [])]) x.destroy();
    for (const b of [kv, qb, ob, kb, vb, lb, ...(m ? [m.buf] : [])]) b.destroy();
  }
}

// A plan's steps after a plain prompt of 8 tokens: each step's q/k/v refilled by the app in
// the dtypes `act` (and with mask: 'additive' | 'bool' a new mask over maxContext columns, each
// row's own key visible), out and lse compared with float64 (worst over the steps). The lse
// view is destroyed once planned: the plan keeps its own.
async function planSteps(device, wa, r, { Hq, Hkv, D, dtype, S, steps, options, act = {}, mask = null }) {
  const dt = ACT(act);
  const prompt = 8, capacity = prompt + S * steps;
  const kvBytes = Math.ceil((capacity * Hkv * D * (dtype === 'f16' ? 2 : 4)) / 256) * 256;
  const kv = buffer(device, 2 * kvBytes), qb = buffer(device, actBytes(prompt * Hq * D, dt.q)), ob = buffer(device, actBytes(prompt * Hq * D, dt.out));
  const kb = buffer(device, actBytes(prompt * Hkv * D, dt.kNew)), vb = buffer(device, actBytes(prompt * Hkv * D, dt.vNew)), lb = buffer(device, S * Hq * 4);
  const cache = wa.kvCache({ capacity, kvHeads: Hkv, headDim: D, dtype, keys: kv, values: kv, valuesOffset: kvBytes });
  const t = (b, shape, label, dtype) => wa.tensor(b, shape, { label, dtype });
  const views = (n) => [t(qb, [n, Hq, D], `q${n}`, dt.q), t(kb, [n, Hkv, D], `k${n}`, dt.kNew), t(vb, [n, Hkv, D], `v${n}`, dt.vNew),
    t(ob, [n, Hq, D], `out${n}`, dt.out)];
  // the prompt, plainly (its keys are what a window slides over)
  device.queue.writeBuffer(qb, 0, actData(r.normal(prompt * Hq * D), dt.q));
  device.queue.writeBuffer(kb, 0, actData(r.normal(prompt * Hkv * D), dt.kNew));
  device.queue.writeBuffer(vb, 0, actData(r.normal(prompt * Hkv * D), dt.vNew));
  const pre = views(prompt);
  await wa.forward(pre[0], pre[1], pre[2], cache, 0, pre[3]);
  const st = [...views(S), t(lb, [S, Hq], 'lse1', 'f32')];
  const drawOwn = () => {  // a mask in which each row sees at least its own key
    const m = drawMask(r, S, capacity);
    for (let s = 0; s < S; s++) m.visible[s * capacity + pos + s] = 1, m.additive[s * capacity + pos + s] = 0;
    return m;
  };
  let pos = prompt;
  let m = mask && await maskTensor(device, wa, mask, drawOwn(), S, capacity);
  const plan = await wa.plan(st[0], st[1], st[2], cache, st[3],
    { ...options, lse: st[4], maxContext: capacity, ...(m ? { mask: { tensor: m.tensor, kind: mask } } : {}) });
  st[4].destroy();
  let worst = { maxAbs: 0, relL2: 0, nonfinite: 0 }, worstLse = { ...worst };
  for (; pos < capacity; pos += S) {
    if (m && pos > prompt) {  // the app rewrites the mask in place: the plan reads it every step
      const drawn = drawOwn();
      device.queue.writeBuffer(m.buf, 0, mask === 'bool' ? await packBoolMask(drawn.visible, S, capacity) : drawn.additive);
      m.reference.values = mask === 'bool' ? drawn.visible : drawn.additive;
    }
    const q1 = r.normal(S * Hq * D);
    device.queue.writeBuffer(qb, 0, actData(q1, dt.q));
    device.queue.writeBuffer(kb, 0, actData(r.normal(S * Hkv * D), dt.kNew));
    device.queue.writeBuffer(vb, 0, actData(r.normal(S * Hkv * D), dt.vNew));
    device.queue.writeBuffer(lb, 0, new Float32Array(S * Hq).fill(NaN));
    await plan.run(pos);
    const { algorithm, ...problemOptions } = options;
    const ref = await referenceAttention(actValues(q1, dt.q), await cache.downloadKeys(), await cache.downloadValues(),
      { S, Hq, Hkv, D, inputPos: pos, ...problemOptions, ...(m ? { mask: m.reference } : {}), lse: true });
    worst = worse(worst, compare(await readAct(device, ob, S * Hq * D, dt.out), ref.out));
    worstLse = worse(worstLse, compare(await read(device, lb, 0, S * Hq), ref.lse));
  }
  const algorithm = plan.algorithm;
  plan.destroy();
  for (const x of [...pre, ...st, cache, ...(m ? [m.tensor] : [])]) x.destroy();
  for (const b of [kv, qb, ob, kb, vb, lb, ...(m ? [m.buf] : [])]) b.destroy();
  return { algorithm, out: worst, lse: worstLse, prompt };
}

async function partVariants(device, wa) {
  const r = rng(SEED + 3);
  // the verify harness (src/verify.cpp) with variants drawn at random, GQA 3/5 and head dim 12
  for (const algorithm of ['auto', 'flash-prefill', 'flash-prefill-tiled', 'split-kv', 'three-pass-coalesced']) {
    for (const dtype of ['f32', 'f16']) {
      for (let i = 0; i < Math.max(1, CASES / 2); i++) {
        const Hkv = r.int(1, 2), g = r.pick([3, 5]), inputPos = r.pick([0, r.int(1, 30)]);
        const S = algorithm === 'split-kv' ? r.int(1, 6) : r.pick([1, 2, r.int(3, 12)]);  // split-kv: S·g <= 32 at D 12
        // three-pass runs the soft-cap only: the others are refused (checked through forward() below)
        const v = algorithm.startsWith('three-pass') ? { softcap: r.pick([0.5, 5, 50]) }
          : { ...drawVariants(r, Hkv * g, inputPos + S), lse: r.u() < 0.5 };
        const c = { S, Hq: Hkv * g, Hkv, D: 12, inputPos, capacity: inputPos + S + r.int(0, 4), causal: r.u() < 0.8, ...v };
        const res = await wa.verify(c, algorithm, dtype, SEED * 1000 + 500 + i);
        const name = `variants ${algorithm} ${dtype} ${res.case}`;
        if (!res.supported) log(`skip ${name} (not supported on this device)`);
        else check(res.passed, name, `ran ${res.ran}, max abs ${res.maxAbs.toExponential(2)}, rel L2 ${res.relL2.toExponential(2)}` +
          (v.lse ? `, lse rel L2 ${res.lseRelL2.toExponential(2)}` : '') + `, cache ${res.cacheExact ? 'exact' : 'WRONG'}`);
      }
    }
  }

  // forward() with every variant at once, on the app's buffers: GQA 3, head dim 12
  const Hq = 6, Hkv = 2, D = 12;
  const all = () => ({ windowLeft: 4, softcap: 5, sinks: Array.from(r.normal(Hq)) });
  for (const dtype of ['f32', 'f16']) {
    for (const [algorithm, S, inputPos, causal] of [['auto', 7, 9, true], ['split-kv', 7, 9, true], ['auto', 1, 20, true],
      ['flash-prefill', 5, 6, false]]) {
      const options = { algorithm, causal, ...all() };
      const res = await variantCall(device, wa, r, { S, Hq, Hkv, D, inputPos, dtype, options, lse: true });
      check(within(res.out, dtype) && within({ ...res.lse, maxAbs: 0 }, dtype),
        `variants forward ${dtype} ${res.info.algorithm} S=${S} pos=${inputPos}${causal ? '' : ' non-causal'} (${describeVariants({ ...options, lse: true })}) vs float64`,
        `out ${fmt(res.out)}; lse ${fmt(res.lse)}`);
    }
  }
  // three-pass: the soft-cap runs; window, sinks and lse are refused, 'auto' routes around them
  {
    const res = await variantCall(device, wa, r, { S: 5, Hq, Hkv, D, inputPos: 3, dtype: 'f32',
      options: { algorithm: 'three-pass-coalesced', softcap: 0.5 } });
    check(res.info.algorithm === 'three-pass-coalesced' && within(res.out, 'f32'), 'variants forward three-pass-coalesced softcap 0.5 vs float64', fmt(res.out));
    for (const [name, extra, lse] of [['windowLeft 4', { windowLeft: 4 }, false], ['sinks', { sinks: Array(Hq).fill(1) }, false],
      ['lse', {}, true]]) {
      try {
        await variantCall(device, wa, r, { S: 5, Hq, Hkv, D, inputPos: 3, dtype: 'f32', options: { algorithm: 'three-pass-strided', ...extra }, lse });
        check(false, `variants: three-pass refuses ${name}`, 'no exception');
      } catch (e) {
        check(e.name === 'UnsupportedError' && e.message.startsWith('three-pass: no'), `variants: three-pass refuses ${name}`, `${e.name}: ${e.message}`);
      }
    }
  }

  // plans: decode steps with a window shorter than the context (keys leave it step by step),
  // sinks and lse; then a chunked-prefill plan (S = 6, flash-prefill) with a window, non-causal
  for (const [dtype, S, windowLeft, causal, steps] of [['f32', 1, 3, true, 5], ['f16', 1, 5, true, 3], ['f32', 6, 6, false, 3]]) {
    const options = { windowLeft, causal, sinks: Array.from(r.normal(Hq)), softcap: 50 };
    const res = await planSteps(device, wa, r, { Hq, Hkv, D, dtype, S, steps, options });
    check(within(res.out, dtype) && within({ ...res.lse, maxAbs: 0 }, dtype),
      `variants plan ${dtype} (${res.algorithm}) S=${S}: ${steps} steps from ${res.prompt}, window ${windowLeft}${causal ? '' : ' non-causal'}, sinks, softcap 50, lse vs float64`,
      `worst out ${fmt(res.out)}; lse ${fmt(res.lse)}`);
  }
}

async function partAlibiMask(device, wa) {
  const r = rng(SEED + 5);
  const slopes = (Hq) => Array.from(r.normal(Hq), (x) => 0.3 * x);  // both signs
  // the verify harness: ALiBi (the paper's slopes or random ones) and masks drawn by the harness,
  // with the other variants at random; three-pass takes ALiBi only
  for (const algorithm of ['auto', 'flash-prefill', 'split-kv', 'three-pass-coalesced']) {
    for (const dtype of ['f32', 'f16']) {
      for (let i = 0; i < Math.max(1, CASES / 2); i++) {
        const Hkv = r.int(1, 2), g = r.pick([3, 5]), inputPos = r.pick([0, r.int(1, 30)]), Hq = Hkv * g;
        const S = algorithm === 'split-kv' ? r.int(1, 6) : r.pick([1, 2, r.int(3, 12)]);
        const alibi = r.u() < 0.5 ? true : slopes(Hq);
        const v = algorithm.startsWith('three-pass') ? { alibi }
          : { ...drawVariants(r, Hq, inputPos + S), alibi: r.u() < 0.7 ? alibi : false, mask: r.pick(['additive', 'bool']), lse: r.u() < 0.5 };
        const c = { S, Hq, Hkv, D: 12, inputPos, capacity: inputPos + S + r.int(0, 4), causal: r.u() < 0.8, ...v };
        const res = await wa.verify(c, algorithm, dtype, SEED * 1000 + 900 + i);
        const name = `alibi/mask ${algorithm} ${dtype} ${res.case}`;
        if (!res.supported) log(`skip ${name} (not supported on this device)`);
        else check(res.passed, name, `ran ${res.ran}, max abs ${res.maxAbs.toExponential(2)}, rel L2 ${res.relL2.toExponential(2)}` +
          (v.lse ? `, lse rel L2 ${res.lseRelL2.toExponential(2)}` : '') + `, cache ${res.cacheExact ? 'exact' : 'WRONG'}`);
      }
    }
  }
  // ALiBi through forward(): the paper's slopes (GQA 3: Hq 6, not a power of two) on every
  // algorithm, explicit slopes with the other variants
  const Hq = 6, Hkv = 2, D = 12;
  for (const [algorithm, S, inputPos, options, lse] of [
    ['three-pass-coalesced', 5, 20, { alibi: true, softcap: 5 }, false], ['auto', 9, 20, { alibi: true }, true],
    ['split-kv', 1, 30, { alibi: true }, true],
    ['auto', 7, 9, { alibi: slopes(Hq), windowLeft: 6, sinks: Array.from(r.normal(Hq)) }, true]]) {
    const res = await variantCall(device, wa, r, { S, Hq, Hkv, D, inputPos, dtype: 'f32', options: { algorithm, ...options }, lse });
    check(within(res.out, 'f32') && (!lse || within({ ...res.lse, maxAbs: 0 }, 'f32')),
      `alibi forward f32 ${res.info.algorithm} S=${S} pos=${inputPos} (${Array.isArray(options.alibi) ? 'explicit slopes' : "the paper's slopes"}${options.softcap ? ', softcap' : ''}${options.windowLeft ? ', window, sinks' : ''}) vs float64`,
      `out ${fmt(res.out)}${lse ? '; lse ' + fmt(res.lse) : ''}`);
  }
  // masks through forward(): each kind on flash-prefill and split-kv (some rows empty: out 0,
  // lse -Infinity), one with every variant, one with f16 activations
  for (const [kind, dtype, algorithm, S, inputPos, options, act] of [
    ['additive', 'f32', 'flash-prefill', 9, 7, {}, {}], ['bool', 'f32', 'flash-prefill', 9, 7, { causal: false }, {}],
    ['additive', 'f16', 'split-kv', 3, 12, {}, {}], ['bool', 'f16', 'split-kv', 1, 40, {}, {}],
    ['bool', 'f32', 'auto', 6, 10, { alibi: true, windowLeft: 8, softcap: 5, sinks: Array.from(r.normal(Hq)) }, {}],
    ['additive', 'f16', 'auto', 5, 4, {}, { q: 'f16', kNew: 'f16', vNew: 'f16', out: 'f16' }]]) {
    const res = await variantCall(device, wa, r, { S, Hq, Hkv, D, inputPos, dtype, options: { algorithm, ...options }, lse: true, act, mask: kind });
    const dt = ACT(act);
    check(within(res.out, dtype, 1, dt.out) && within({ ...res.lse, maxAbs: 0 }, dtype),
      `mask ${kind} forward ${dtype} ${res.info.algorithm} S=${S} pos=${inputPos}${options.causal === false ? ' non-causal' : ''}${options.alibi ? ' (alibi, window, softcap, sinks)' : ''}${describeAct(dt)}, ${res.empty} empty rows, lse vs float64`,
      `out ${fmt(res.out)}; lse ${fmt(res.lse)}`);
  }
  // three-pass refuses a mask
  try {
    await variantCall(device, wa, r, { S: 2, Hq, Hkv, D, inputPos: 3, dtype: 'f32', mask: 'bool', options: { algorithm: 'three-pass-coalesced' } });
    check(false, 'mask: three-pass refuses it', 'no exception');
  } catch (e) {
    check(e.name === 'UnsupportedError' && e.message.startsWith('three-pass') && e.message.includes('mask'), 'mask: three-pass refuses it', `${e.name}: ${e.message}`);
  }
  // plans read their mask every step: the app rewrites it between steps (decode with a bool
  // mask and ALiBi; a chunked prefill, flash-prefill, with an additive one and a window)
  for (const [mask, S, steps, options] of [['bool', 1, 5, { alibi: true }], ['additive', 6, 3, { windowLeft: 7, alibi: slopes(Hq) }]]) {
    const res = await planSteps(device, wa, r, { Hq, Hkv, D, dtype: 'f32', S, steps, options, mask });
    check(within(res.out, 'f32') && within({ ...res.lse, maxAbs: 0 }, 'f32'),
      `mask plan (${res.algorithm}) S=${S}: ${steps} steps, the app rewrites the ${mask} mask each step, alibi${options.windowLeft ? ', window' : ''}, vs float64`,
      `worst out ${fmt(res.out)}; lse ${fmt(res.lse)}`);
  }
}

// ---- f16: activations as IEEE halves (tensor(..., {dtype: 'f16'})), each tensor on its own ----
async function partF16(device, wa) {
  const r = rng(SEED + 4);
  const drawAct = () => {
    const a = Object.fromEntries(['q', 'kNew', 'vNew', 'out'].map((k) => [k, r.u() < 0.5 ? 'f16' : 'f32']));
    if (!Object.values(a).includes('f16')) a[r.pick(['q', 'kNew', 'vNew', 'out'])] = 'f16';
    return a;
  };
  // the verify harness with random activation dtypes, every algorithm x cache dtype; GQA 3/5, head dim 12
  for (const algorithm of await algorithms()) {
    for (const dtype of ['f32', 'f16']) {
      for (let i = 0; i < Math.max(1, CASES / 2); i++) {
        const Hkv = r.int(1, 2), g = r.pick([3, 5]), inputPos = r.pick([0, r.int(1, 30)]);
        const S = algorithm === 'split-kv' ? r.int(1, 6) : r.pick([1, 2, r.int(3, 12)]);
        const c = { S, Hq: Hkv * g, Hkv, D: 12, inputPos, capacity: inputPos + S + r.int(0, 4), causal: r.u() < 0.8, act: drawAct() };
        const res = await wa.verify(c, algorithm, dtype, SEED * 1000 + 700 + i);
        const name = `f16 ${algorithm} ${dtype} ${res.case}`;
        if (!res.supported) log(`skip ${name} (not supported on this device)`);
        else check(res.passed, name, `ran ${res.ran}, max abs ${res.maxAbs.toExponential(2)}, rel L2 ${res.relL2.toExponential(2)}, cache ${res.cacheExact ? 'exact' : 'WRONG'}`);
      }
    }
  }
  // forward() on the app's buffers: all four f16, and mixes (f16 in / fp32 out, fp32 in / f16 out),
  // over fp32 and f16 caches, prefill (flash-prefill) and decode (split-kv); one with the variants
  const Hq = 6, Hkv = 2, D = 12;
  const all = { q: 'f16', kNew: 'f16', vNew: 'f16', out: 'f16' };
  for (const [dtype, act, S, inputPos, options, lse] of [
    ['f32', all, 9, 4, {}, false], ['f16', all, 9, 4, {}, false], ['f32', all, 1, 17, {}, false], ['f16', all, 1, 17, {}, false],
    ['f32', { q: 'f16', kNew: 'f16', vNew: 'f16' }, 7, 3, {}, false], ['f16', { out: 'f16' }, 1, 11, {}, false],
    ['f16', all, 7, 9, { windowLeft: 5, softcap: 5, sinks: Array.from(r.normal(Hq)) }, true]]) {
    const res = await variantCall(device, wa, r, { S, Hq, Hkv, D, inputPos, dtype, options, lse, act });
    const dt = ACT(act);
    check(within(res.out, dtype, 1, dt.out) && (!lse || within({ ...res.lse, maxAbs: 0 }, dtype)),
      `f16 forward ${dtype} cache ${res.info.algorithm} S=${S} pos=${inputPos}${describeAct(dt)}${lse ? ' (' + describeVariants({ ...options, lse }) + ')' : ''} vs float64`,
      `out ${fmt(res.out)}${lse ? '; lse ' + fmt(res.lse) : ''}`);
  }
  // a decode plan with f16 activations over an f16 cache, with a window
  const res = await planSteps(device, wa, r, { Hq, Hkv, D, dtype: 'f16', S: 1, steps: 4, options: { windowLeft: 6 }, act: all });
  check(within(res.out, 'f16', 1, 'f16') && within({ ...res.lse, maxAbs: 0 }, 'f16'),
    `f16 plan (${res.algorithm}): 4 decode steps, f16 q/k/v/out and cache, window 6 vs float64`, `worst out ${fmt(res.out)}; lse ${fmt(res.lse)}`);
}

// ---- embed: the app's device and buffers, one activations buffer and one KV buffer with offsets ----
async function partEmbed(device, wa) {
  const r = rng(SEED + 1);
  for (const dtype of ['f32', 'f16']) {
    const Hq = 4, Hkv = 2, D = 16, capacity = 40, prompt = 12, steps = 6;
    const align = wa.adapter.minStorageBufferOffsetAlignment;
    const up = (b) => Math.ceil(b / align) * align;
    const row = Hkv * D, cacheBytes = capacity * row * (dtype === 'f16' ? 2 : 4);
    // activations: q | k_new | v_new, each at an aligned offset; out in its own buffer
    const qBytes = prompt * Hq * D * 4, kvBytes = prompt * row * 4;
    const offQ = align, offK = up(offQ + qBytes), offV = up(offK + kvBytes);
    const acts = buffer(device, offV + kvBytes);
    const outBuf = buffer(device, align + qBytes);
    const kvBuf = buffer(device, up(cacheBytes) + cacheBytes + align);
    const keysOffset = align, valuesOffset = up(keysOffset + cacheBytes);
    const cache = wa.kvCache({ capacity, kvHeads: Hkv, headDim: D, dtype, keys: kvBuf, keysOffset, values: kvBuf, valuesOffset });

    // prefill through forward()
    const q = r.normal(prompt * Hq * D), k = r.normal(prompt * row), v = r.normal(prompt * row);
    device.queue.writeBuffer(acts, offQ, q);
    device.queue.writeBuffer(acts, offK, k);
    device.queue.writeBuffer(acts, offV, v);
    const tq = wa.tensor(acts, [prompt, Hq, D], offQ, 'q');
    const tk = wa.tensor(acts, [prompt, Hkv, D], offK, 'k_new');
    const tv = wa.tensor(acts, [prompt, Hkv, D], offV, 'v_new');
    const to = wa.tensor(outBuf, [prompt, Hq, D], align, 'out');
    const info = await wa.forward(tq, tk, tv, cache, 0, to);
    const p0 = { S: prompt, Hq, Hkv, D, inputPos: 0 };
    let kc = await cache.downloadKeys(), vc = await cache.downloadValues();
    if (dtype === 'f32') check(kc.slice(0, prompt * row).every((x, i) => x === k[i]) &&
      vc.slice(0, prompt * row).every((x, i) => x === v[i]), `embed ${dtype}: prefill wrote k_new/v_new into the app's cache exactly`);
    let cmp = compare(await read(device, outBuf, align, prompt * Hq * D), await referenceAttention(q, kc, vc, p0));
    check(within(cmp, dtype), `embed ${dtype}: prefill S=${prompt} (${info.algorithm}) vs float64`, fmt(cmp));

    // decode through one plan: the app refills q/k/v with queue writes, webattn runs steps
    const dq = wa.tensor(acts, [1, Hq, D], offQ, 'q1');
    const dk = wa.tensor(acts, [1, Hkv, D], offK, 'k1');
    const dv = wa.tensor(acts, [1, Hkv, D], offV, 'v1');
    const dout = wa.tensor(outBuf, [1, Hq, D], align, 'out1');
    const plan = await wa.plan(dq, dk, dv, cache, dout, { maxContext: prompt + steps });
    let worst = { maxAbs: 0, relL2: 0, nonfinite: 0 };
    for (let pos = prompt; pos < prompt + steps; pos++) {
      const q1 = r.normal(Hq * D), k1 = r.normal(row), v1 = r.normal(row);
      device.queue.writeBuffer(acts, offQ, q1);
      device.queue.writeBuffer(acts, offK, k1);
      device.queue.writeBuffer(acts, offV, v1);
      await plan.run(pos);
      kc = await cache.downloadKeys();
      vc = await cache.downloadValues();
      const c = compare(await read(device, outBuf, align, Hq * D),
        await referenceAttention(q1, kc, vc, { S: 1, Hq, Hkv, D, inputPos: pos }));
      worst = { maxAbs: Math.max(worst.maxAbs, c.maxAbs), relL2: Math.max(worst.relL2, c.relL2), nonfinite: worst.nonfinite + c.nonfinite };
    }
    check(within(worst, dtype), `embed ${dtype}: ${steps} decode steps of one plan (${plan.algorithm}) vs float64`, `worst ${fmt(worst)}`);
    // positions past the context stay untouched (the app's bytes there are zero)
    check(kc.slice((prompt + steps) * row).every((x) => x === 0), `embed ${dtype}: cache past the context untouched`);
    plan.destroy();
    for (const t of [tq, tk, tv, to, dq, dk, dv, dout, cache]) t.destroy();
  }
  // calls issued without awaiting the previous one: each still right
  {
    const row = 2 * 8, caps = [];
    const calls = [0, 1, 2].map((i) => {
      const kv = buffer(device, 2 * 4096), a = buffer(device, 4096), o = buffer(device, 4096);
      const q = r.normal(3 * 4 * 8), k = r.normal(3 * row), v = r.normal(3 * row);
      device.queue.writeBuffer(a, 0, q);
      device.queue.writeBuffer(a, 1024, k);
      device.queue.writeBuffer(a, 2048, v);
      const cache = wa.kvCache({ capacity: 8, kvHeads: 2, headDim: 8, keys: kv, values: kv, valuesOffset: 4096 });
      caps.push({ cache, q, o });
      return wa.forward(wa.tensor(a, [3, 4, 8], 0, 'q'), wa.tensor(a, [3, 2, 8], 1024, 'k'), wa.tensor(a, [3, 2, 8], 2048, 'v'),
        cache, i, wa.tensor(o, [3, 4, 8], 0, 'out'), { algorithm: i === 1 ? 'three-pass-coalesced' : 'auto' });
    });
    await Promise.all(calls);
    let worst = { maxAbs: 0, relL2: 0, nonfinite: 0 };
    for (const [i, { cache, q, o }] of caps.entries()) {
      const c = compare(await read(device, o, 0, q.length),
        await referenceAttention(q, await cache.downloadKeys(), await cache.downloadValues(), { S: 3, Hq: 4, Hkv: 2, D: 8, inputPos: i }));
      worst = { maxAbs: Math.max(worst.maxAbs, c.maxAbs), relL2: Math.max(worst.relL2, c.relL2), nonfinite: worst.nonfinite + c.nonfinite };
    }
    check(within(worst, 'f32'), 'embed: 3 forward() calls in flight at once, each vs float64', `worst ${fmt(worst)}`);
  }
  // webattn never destroys the app's device: after destroy() the device still works
  const probe = buffer(device, 16);
  device.queue.writeBuffer(probe, 0, new Float32Array([1, 2, 3, 4]));
  wa.destroy();
  const back = await read(device, probe, 0, 4);
  check(back.join() === '1,2,3,4', 'embed: the app\'s device still works after webattn.destroy()');
}

// ---- fuzz: random calls of every kind, about 1 in 6 deliberately invalid ----
async function partFuzz(device, wa) {
  const r = rng(SEED + 2);
  const algos = await algorithms();
  let valid = 0, invalid = 0, unsupported = 0, bad = 0;
  for (let i = 0; i < FUZZ; i++) {
    const dtype = r.pick(['f32', 'f16']), algorithm = r.pick(algos);
    const Hkv = r.int(1, 3), g = r.pick([1, 2, 3]), D = r.pick(HEAD_DIMS), S = r.pick([1, r.int(1, 20)]);
    const pos = r.int(0, 30), capacity = pos + S + r.int(0, 6);
    const causal = r.u() < 0.75, scale = r.u() < 0.2 ? r.pick([0.1, 1.0]) : 0;
    const broken = r.u() < 1 / 6 ? r.pick(['overflow', 'heads', 'dim', 'rows', 'outshape']) : null;
    const desc = `#${i} ${algorithm} ${dtype} S=${S} Hq=${Hkv * g} Hkv=${Hkv} D=${D} pos=${pos} cap=${capacity}${causal ? '' : ' non-causal'}${scale ? ' scale=' + scale : ''}${broken ? ' [' + broken + ']' : ''}`;
    const Hq = broken === 'heads' ? Hkv * g + 1 : Hkv * g;
    const qD = broken === 'dim' ? D + 4 : D;
    const kRows = broken === 'rows' ? S + 1 : S;
    const callPos = broken === 'overflow' ? capacity - S + 1 : pos;
    const outRows = broken === 'outshape' ? S + 1 : S;
    const kvBuf = buffer(device, 2 * 256 + 2 * capacity * Hkv * D * 4);
    const half = Math.ceil((capacity * Hkv * D * 4) / 256) * 256 + 256;
    const qBuf = buffer(device, S * Hq * qD * 4), kBuf = buffer(device, kRows * Hkv * D * 4),
      vBuf = buffer(device, kRows * Hkv * D * 4), oBuf = buffer(device, outRows * Hq * qD * 4);
    const q = r.normal(S * Hq * qD), kn = r.normal(kRows * Hkv * D), vn = r.normal(kRows * Hkv * D);
    device.queue.writeBuffer(qBuf, 0, q);
    device.queue.writeBuffer(kBuf, 0, kn);
    device.queue.writeBuffer(vBuf, 0, vn);
    const objs = [];
    try {
      const cache = wa.kvCache({ capacity, kvHeads: Hkv, headDim: D, dtype, keys: kvBuf, keysOffset: 0, values: kvBuf, valuesOffset: half });
      objs.push(cache);
      const t = (b, shape, label) => { const x = wa.tensor(b, shape, 0, label); objs.push(x); return x; };
      const info = await wa.forward(t(qBuf, [S, Hq, qD], 'q'), t(kBuf, [kRows, Hkv, D], 'k_new'), t(vBuf, [kRows, Hkv, D], 'v_new'),
        cache, callPos, t(oBuf, [outRows, Hq, qD], 'out'), { algorithm, causal, scale });
      if (broken) {
        bad++;
        check(false, `fuzz ${desc}`, 'an invalid call was accepted');
        continue;
      }
      valid++;
      const kc = await cache.downloadKeys(), vc = await cache.downloadValues();
      const cmp = compare(await read(device, oBuf, 0, S * Hq * D), await referenceAttention(q, kc, vc, { S, Hq, Hkv, D, inputPos: pos, causal, scale }));
      const gain = scale ? Math.max(1, scale * Math.sqrt(D)) : 1;
      const ok = within(cmp, dtype, gain);
      if (!ok) bad++;
      if (!ok) check(false, `fuzz ${desc} (${info.algorithm})`, fmt(cmp));
    } catch (e) {
      if (e instanceof WebattnError && e.name === 'UnsupportedError' && !broken) {
        unsupported++;
        continue;
      }
      if (broken && e instanceof ShapeError) {
        invalid++;
        continue;
      }
      bad++;
      check(false, `fuzz ${desc}`, `${e.name}: ${e.message}`);
    } finally {
      for (const o of objs) o.destroy();
      for (const b of [kvBuf, qBuf, kBuf, vBuf, oBuf]) b.destroy();
    }
  }
  check(bad === 0 && valid > 0, `fuzz ${FUZZ} calls (seed ${SEED})`,
    `${valid} matched float64, ${invalid} invalid calls rejected with ShapeError, ${unsupported} unsupported, ${bad} wrong`);
}

// ---- errors: every bad input is a JS exception whose message names the value ----
async function partErrors(device, wa) {
  const expect = async (name, kind, needle, fn) => {
    try {
      await fn();
      check(false, `error: ${name}`, 'no exception');
    } catch (e) {
      const ok = e instanceof WebattnError && e.name === kind && e.message.includes(needle);
      check(ok, `error: ${name}`, `${e.name}: ${e.message}`);
    }
  };
  const good = buffer(device, 4096);
  const other = buffer(device, 4096);
  const kv = buffer(device, 65536);
  const noStorage = device.createBuffer({ size: 4096, usage: U.COPY_DST | U.COPY_SRC });
  const cache = wa.kvCache({ capacity: 32, kvHeads: 2, headDim: 8, keys: kv, keysOffset: 0, values: kv, valuesOffset: 32768 });
  const q = wa.tensor(good, [4, 4, 8], 0, 'q');
  const k = wa.tensor(other, [4, 2, 8], 0, 'k_new');
  const v = wa.tensor(other, [4, 2, 8], 1024, 'v_new');
  const o = wa.tensor(buffer(device, 4096), [4, 4, 8], 0, 'out');

  await expect('Webattn.create(null)', 'ShapeError', 'null', () => Webattn.create(null));
  await expect('buffer without STORAGE usage', 'ShapeError', 'Storage', () => wa.tensor(noStorage, [1, 1, 4], 0, 'q'));
  await expect('offset 100 not aligned', 'ShapeError', '100', () => wa.tensor(good, [1, 1, 4], 100, 'q'));
  await expect('negative offset', 'ShapeError', '-256', () => wa.tensor(good, [1, 1, 4], -256, 'q'));
  await expect('tensor overflows its buffer', 'ShapeError', '4096', () => wa.tensor(good, [64, 4, 8], 0, 'q'));
  await expect('not a GPUBuffer', 'ShapeError', 'GPUBuffer', () => wa.tensor({}, [1, 1, 4]));
  await expect('head_dim 6', 'ShapeError', '6', () => wa.kvCache({ capacity: 8, kvHeads: 1, headDim: 6, keys: kv, values: kv, valuesOffset: 32768 }));
  await expect("dtype 'bf16'", 'ShapeError', "'bf16'", () => wa.kvCache({ capacity: 8, kvHeads: 1, headDim: 8, dtype: 'bf16', keys: kv, values: kv, valuesOffset: 32768 }));
  await expect('input_pos 30 + S 4 > capacity 32', 'ShapeError', 'input_pos 30 + S 4', () => wa.forward(q, k, v, cache, 30, o));
  await expect("algorithm 'fast'", 'ShapeError', "'fast'", () => wa.forward(q, k, v, cache, 0, o, { algorithm: 'fast' }));
  await expect("option 'causual'", 'ShapeError', "'causual'", () => wa.forward(q, k, v, cache, 0, o, { causual: false }));
  await expect('scale NaN', 'ShapeError', 'scale', () => wa.forward(q, k, v, cache, 0, o, { scale: NaN }));
  await expect('out in the same buffer as q', 'ShapeError', 'same', () => wa.forward(q, k, v, cache, 0, wa.tensor(good, [4, 4, 8], 2048, 'out2')));
  await expect('q head_dim 4 vs cache 8', 'ShapeError', '4', () => wa.forward(wa.tensor(good, [4, 4, 4], 0, 'q4'), k, v, cache, 0, o));
  await expect('q_heads 3 vs kv_heads 2', 'ShapeError', '3', () => wa.forward(wa.tensor(good, [4, 3, 8], 0, 'q3'), k, v, cache, 0, o));
  await expect('shape [4]', 'ShapeError', '[rows, heads, head_dim]', () => wa.tensor(good, [4], 0, 'q'));
  await expect('shape [4, 4] (an lse shape) as q', 'ShapeError', 'q must be [S, Hq, D], got [4, 4]', () => wa.forward(wa.tensor(good, [4, 4], 0, 'q2d'), k, v, cache, 0, o));
  await expect('shape [4, -1, 8]', 'ShapeError', '-1', () => wa.tensor(good, [4, -1, 8], 0, 'q'));
  await expect('inputPos -1', 'ShapeError', '-1', () => wa.forward(q, k, v, cache, -1, o));
  await expect('inputPos 1.5', 'ShapeError', '1.5', () => wa.forward(q, k, v, cache, 1.5, o));
  await expect("causal: 'no'", 'ShapeError', "'causal' must be true or false, got string no", () => wa.forward(q, k, v, cache, 0, o, { causal: 'no' }));
  await expect("capacity: '8'", 'ShapeError', "'capacity' must be a number, got string 8", () => wa.kvCache({ capacity: '8', kvHeads: 1, headDim: 8, keys: kv, values: kv, valuesOffset: 32768 }));
  await expect('a KVCache passed as q', 'ShapeError', 'q must be a webattn Tensor, got a KVCache', () => wa.forward(cache, k, v, cache, 0, o));
  const gone = wa.tensor(good, [4, 4, 8], 0, 'q');
  gone.destroy();
  await expect('a destroyed tensor', 'ShapeError', 'destroyed', () => wa.forward(gone, k, v, cache, 0, o));
  await expect('referenceAttention with a short q', 'ShapeError', 'S*Hq*D is 32', () =>
    referenceAttention(new Float32Array(8), new Float32Array(64), new Float32Array(64), { S: 1, Hq: 4, Hkv: 2, D: 8 }));
  const plan = await wa.plan(q, k, v, cache, o, { maxContext: 16 });
  await expect('plan.run(13): 13 + S 4 over maxContext 16', 'ShapeError', '13', () => plan.run(13));
  await expect('plan.encode into the app\'s encoder (native only)', 'UnsupportedError', 'wgpuCommandEncoderWriteBuffer',
    () => plan.encode(device.createCommandEncoder(), 0));
  await expect('maxContext 64 over capacity 32', 'ShapeError', '64', () => wa.plan(q, k, v, cache, o, { maxContext: 64 }));
  plan.destroy();

  // the variants' options: each bad value names its field
  const lse = wa.tensor(buffer(device, 256), [4, 4], 0, 'lse');
  const opt = (options) => () => wa.forward(q, k, v, cache, 0, o, options);
  await expect('sinks: 3 values for Hq 4', 'ShapeError', 'sinks has 3 values', opt({ sinks: [0, 1, 2] }));
  await expect('plan with sinks: 5 values for Hq 4', 'ShapeError', 'sinks has 5 values', () => wa.plan(q, k, v, cache, o, { sinks: [0, 1, 2, 3, 4] }));
  await expect('lse in the same buffer as out', 'ShapeError', 'lse and out are in the same', opt({ lse: wa.tensor(o.buffer, [4, 4], 2048, 'lse_in_out') }));
  await expect('lse in the same buffer as q', 'ShapeError', 'lse and q are in the same', opt({ lse: wa.tensor(good, [4, 4], 2048, 'lse_in_q') }));
  await expect('lse [4, 4, 8] instead of [S, Hq]', 'ShapeError', 'lse must be [S, Hq] = [4, 4]', opt({ lse: wa.tensor(buffer(device, 512), [4, 4, 8], 0, 'lse3') }));
  await expect('lse: an object', 'ShapeError', 'lse must be a webattn Tensor, got an object', opt({ lse: {} }));
  await expect('lse: a KVCache', 'ShapeError', 'lse must be a webattn Tensor, got a KVCache', opt({ lse: cache }));
  await expect("option 'windowleft'", 'ShapeError', "unknown option 'windowleft'", opt({ windowleft: 4 }));
  await expect("option 'sink'", 'ShapeError', "unknown option 'sink'", opt({ sink: [0, 0, 0, 0] }));
  await expect('windowLeft 2.5', 'ShapeError', "'windowLeft' must be an integer", opt({ windowLeft: 2.5 }));
  await expect("windowLeft '4'", 'ShapeError', "'windowLeft' must be a number, got string 4", opt({ windowLeft: '4' }));
  await expect('windowLeft -1', 'ShapeError', "'windowLeft'", opt({ windowLeft: -1 }));
  await expect('windowLeft NaN', 'ShapeError', "'windowLeft'", opt({ windowLeft: NaN }));
  await expect('softcap NaN', 'ShapeError', "'softcap'", opt({ softcap: NaN }));
  await expect('softcap -1', 'ShapeError', "'softcap'", opt({ softcap: -1 }));
  await expect('softcap Infinity', 'ShapeError', "'softcap'", opt({ softcap: Infinity }));
  await expect('softcap true', 'ShapeError', "'softcap' must be a number, got boolean true", opt({ softcap: true }));
  await expect("sinks: '0,0,0,0'", 'ShapeError', "'sinks' must be an array of numbers, got string", opt({ sinks: '0,0,0,0' }));
  await expect('sinks with a NaN', 'ShapeError', "'sinks'[1] must be a finite fp32 number, got number NaN", opt({ sinks: [0, NaN, 0, 0] }));
  await expect('sinks with 1e39 (past fp32)', 'ShapeError', "'sinks'[3] must be a finite fp32 number", opt({ sinks: [0, 0, 0, 1e39] }));
  await expect('sinks with a string', 'ShapeError', "'sinks'[2] must be a number, got string 1", opt({ sinks: [0, 0, '1', 0] }));
  await expect('options: a number', 'ShapeError', 'options must be an object, got number 5', opt(5));
  await expect('three-pass with windowLeft', 'UnsupportedError', 'no sliding window (window_left 2)', opt({ algorithm: 'three-pass-coalesced', windowLeft: 2 }));
  await expect('verify: problem field typo', 'ShapeError', "unknown problem field 'window'", () => wa.verify({ S: 1, Hq: 4, Hkv: 2, D: 8, window: 2 }, 'auto', 'f32', 1));
  await expect('referenceAttention: sinks 2 for Hq 4', 'ShapeError', 'sinks has 2 values, Hq is 4', () =>
    referenceAttention(new Float32Array(32), new Float32Array(16), new Float32Array(16), { S: 1, Hq: 4, Hkv: 2, D: 8, sinks: [0, 0] }));
  lse.destroy();

  // ALiBi and masks
  const maskBuf = buffer(device, 4096);
  const additive = wa.tensor(maskBuf, [4, 32], 0, 'mask_add'), bits = wa.tensor(maskBuf, [4, 1], 2048, 'mask_bits');
  await expect("alibi: 'yes'", 'ShapeError', "'alibi' must be true, false or an array of Hq slopes, got string yes", opt({ alibi: 'yes' }));
  await expect('alibi: 3 slopes for Hq 4', 'ShapeError', 'alibi_slopes has 3', opt({ alibi: [0.5, 0.25, 0.125] }));
  await expect('alibi with a NaN slope', 'ShapeError', "'alibi'[2] must be a finite fp32 number, got number NaN", opt({ alibi: [0.5, 0.25, NaN, 0.1] }));
  await expect('mask: a number', 'ShapeError', 'mask must be an object {tensor, kind}, got number 1', opt({ mask: 1 }));
  await expect('mask without kind', 'ShapeError', "'mask.kind' must be 'additive' or 'bool', got undefined", opt({ mask: { tensor: additive } }));
  await expect("mask kind 'float'", 'ShapeError', "'mask.kind' must be 'additive' or 'bool', got string float", opt({ mask: { tensor: additive, kind: 'float' } }));
  await expect("mask field 'kinds'", 'ShapeError', "unknown mask field 'kinds'", opt({ mask: { tensor: additive, kind: 'bool', kinds: 1 } }));
  await expect('mask.tensor f16', 'ShapeError', "mask.tensor must be an 'f32' tensor (fp32 entries or u32 words), got 'f16'",
    opt({ mask: { tensor: wa.tensor(maskBuf, [4, 32], { label: 'm16', dtype: 'f16' }), kind: 'additive' } }));
  await expect('mask.tensor: an object', 'ShapeError', 'mask.tensor must be a webattn Tensor, got an object', opt({ mask: { tensor: {}, kind: 'bool' } }));
  await expect('additive mask of 2 columns for context 4', 'ShapeError', 'mask rows hold 2 entries', opt({ mask: { tensor: wa.tensor(maskBuf, [4, 2], 0, 'm2'), kind: 'additive' } }));
  await expect('mask [3, 32] for S 4', 'ShapeError', 'mask must be [S, L] = [4, L]', opt({ mask: { tensor: wa.tensor(maskBuf, [3, 32], 0, 'm3'), kind: 'additive' } }));
  await expect('mask in the same buffer as out', 'ShapeError', 'mask and out are in the same', opt({ mask: { tensor: wa.tensor(o.buffer, [4, 1], 2048, 'm_out'), kind: 'bool' } }));
  await expect('plan: bool mask of 1 word for maxContext 40', 'ShapeError', 'mask rows hold 1 u32 words (32 positions)', () =>
    wa.plan(q, k, v, wa.kvCache({ capacity: 40, kvHeads: 2, headDim: 8, keys: kv, values: kv, valuesOffset: 32768 }), o, { mask: { tensor: bits, kind: 'bool' } }));
  await expect('flash-prefill-tiled with ALiBi', 'UnsupportedError', 'flash-prefill-tiled: no ALiBi', opt({ algorithm: 'flash-prefill-tiled', alibi: true }));
  await expect('three-pass with a mask', 'UnsupportedError', 'three-pass', opt({ algorithm: 'three-pass-strided', mask: { tensor: bits, kind: 'bool' } }));
  await expect('packBoolMask with 5 values for 2 x 3', 'ShapeError', 'pack_bool_mask: 5 values', () => packBoolMask([1, 0, 1, 0, 1], 2, 3));
  await expect('packBoolMask rows 0', 'ShapeError', 'rows must be a positive integer, got number 0', () => packBoolMask([], 0, 3));
  await expect("verify: mask 'float'", 'ShapeError', "'mask.kind' must be 'additive' or 'bool', got string float", () => wa.verify({ S: 1, Hq: 4, Hkv: 2, D: 8, mask: 'float' }, 'auto', 'f32', 1));
  additive.destroy();
  bits.destroy();

  // f16 activations: the dtype is checked, sizes are in halves, lse stays fp32
  await expect("tensor dtype 'bf16'", 'ShapeError', "unknown tensor 'q' dtype 'bf16'", () => wa.tensor(good, [4, 4, 8], { label: 'q', dtype: 'bf16' }));
  await expect('tensor dtype 16', 'ShapeError', "'dtype' must be a string, got number 16", () => wa.tensor(good, [4, 4, 8], { dtype: 16 }));
  await expect("tensor option 'dtyp'", 'ShapeError', "unknown tensor option 'dtyp'", () => wa.tensor(good, [4, 4, 8], { dtyp: 'f16' }));
  await expect('f16 tensor [64, 4, 8] overflows 4096 bytes (needs 4096 + 256)', 'ShapeError', '4096', () => wa.tensor(good, [64, 4, 8], { offset: 256, dtype: 'f16' }));
  await expect('lse f16', 'ShapeError', "lse ('lse16') must be f32, got f16", opt({ lse: wa.tensor(buffer(device, 256), [4, 4], { label: 'lse16', dtype: 'f16' }) }));
  await expect('verify: act field typo', 'ShapeError', "unknown act field 'Q'", () => wa.verify({ S: 1, Hq: 4, Hkv: 2, D: 8, act: { Q: 'f16' } }, 'auto', 'f32', 1));
  {
    const half = wa.tensor(good, [64, 4, 8], { offset: 0, dtype: 'f16', label: 'q16' });  // 4096 bytes: fp32 would need 8192
    check(half.dtype === 'f16' && half.shape.join() === '64,4,8', 'f16 tensor [64, 4, 8] fits 4096 bytes (halves two per u32)', `dtype ${half.dtype}`);
    half.destroy();
  }
}

// ---- lost: a device the app destroys makes every later call a DeviceLostError ----
async function partLost() {
  const device = await makeDevice();
  const wa = await Webattn.create(device);
  const kv = buffer(device, 8192), a = buffer(device, 4096), b = buffer(device, 4096);
  const cache = wa.kvCache({ capacity: 8, kvHeads: 1, headDim: 8, keys: kv, values: kv, valuesOffset: 4096 });
  const q = wa.tensor(a, [1, 1, 8], 0, 'q'), k = wa.tensor(a, [1, 1, 8], 256, 'k'), v = wa.tensor(a, [1, 1, 8], 512, 'v');
  const o = wa.tensor(b, [1, 1, 8], 0, 'out');
  await wa.forward(q, k, v, cache, 0, o);
  device.destroy();
  await device.lost;
  try {
    await wa.forward(q, k, v, cache, 1, o);
    check(false, 'lost: forward after device.destroy()', 'no exception');
  } catch (e) {
    check(e.name === 'DeviceLostError' && e.message.includes('destroyed'), 'lost: forward after device.destroy()', `${e.name}: ${e.message}`);
  }
}

try {
  const device = await makeDevice();
  const wa = await Webattn.create(device);
  const a = wa.adapter;
  log(`adapter: ${a.description || a.device} (${a.backend}); timestamps ${a.timestamps}, subgroups ${a.subgroups}, shader-f16 ${a.shaderF16}`);
  const t0 = performance.now();
  if (parts.includes('errors')) await partErrors(device, wa);
  if (parts.includes('reference')) await partReference(wa);
  if (parts.includes('variants')) await partVariants(device, wa);
  if (parts.includes('alibi')) await partAlibiMask(device, wa);
  if (parts.includes('f16')) await partF16(device, wa);
  if (parts.includes('fuzz')) await partFuzz(device, wa);
  if (parts.includes('embed')) await partEmbed(device, wa);  // after the others: it ends with wa.destroy()
  if (parts.includes('lost')) await partLost();
  log(`browser suite: ${((performance.now() - t0) / 1000).toFixed(1)} s (SwiftShader: CPU time)`);
  window.webattnResult = { passed, failed };
} catch (e) {
  log(`uncaught: ${e.name}: ${e.message}\n${e.stack}`);
  window.webattnResult = { passed, failed: failed + 1, error: `${e.name}: ${e.message}` };
}
