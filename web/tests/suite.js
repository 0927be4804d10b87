// webattn's browser suite, through the public JS API on a device this page creates:
//   reference  the float64-reference check (src/verify.cpp) on random shapes, every algorithm x f32/f16
//   embed      the app's own GPUDevice and GPUBuffers: prefill by forward(), decode by plan().run()
//   fuzz       fixed-seed random calls of every kind, about 1 in 6 invalid (must throw ShapeError)
//   errors     each bad input arrives as a JS exception naming the value
//   lost       a device the app destroys: later calls throw DeviceLostError
// Query: ?parts=reference,embed,fuzz,errors,lost&cases=4&fuzz=30&seed=7. Sets window.webattnResult.
import { Webattn, WebattnError, ShapeError, algorithms, referenceAttention } from '../webattn.js';

const params = new URLSearchParams(location.search);
const parts = (params.get('parts') ?? 'reference,embed,fuzz,errors,lost').split(',');
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
function compare(got, ref) {
  let maxAbs = 0, num = 0, den = 0, nonfinite = 0;
  for (let i = 0; i < ref.length; i++) {
    if (Number.isFinite(got[i]) !== Number.isFinite(ref[i])) nonfinite++;
    const d = got[i] - ref[i];
    maxAbs = Math.max(maxAbs, Math.abs(d));
    num += d * d;
    den += ref[i] * ref[i];
  }
  return { maxAbs, relL2: Math.sqrt(num / Math.max(den, 1e-300)), nonfinite };
}
// The library's limits (README, "Correctness and hard inputs").
function within(cmp, dtype, gain = 1) {
  if (cmp.nonfinite) return false;
  return dtype === 'f32' ? cmp.maxAbs <= 2e-6 * gain && cmp.relL2 <= 1e-6 * gain : cmp.relL2 <= 1e-5 * gain;
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
  await expect('shape [4, 4]', 'ShapeError', '[rows, heads, head_dim]', () => wa.tensor(good, [4, 4], 0, 'q'));
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
  if (parts.includes('fuzz')) await partFuzz(device, wa);
  if (parts.includes('embed')) await partEmbed(device, wa);  // after the others: it ends with wa.destroy()
  if (parts.includes('lost')) await partLost();
  log(`browser suite: ${((performance.now() - t0) / 1000).toFixed(1)} s (SwiftShader: CPU time)`);
  window.webattnResult = { passed, failed };
} catch (e) {
  log(`uncaught: ${e.name}: ${e.message}\n${e.stack}`);
  window.webattnResult = { passed, failed: failed + 1, error: `${e.name}: ${e.message}` };
}
