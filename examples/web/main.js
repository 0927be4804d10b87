// The example of README "In the browser": the page creates its device and buffers, webattn
// runs attention in them. Results go to the page and the console; window.webattnResult
// says { passed, failed } for scripted runs (web/tests/run.mjs examples/web/index.html).
import { Webattn, referenceAttention } from '../../web/webattn.js';

const q = new URLSearchParams(location.search);
const prompt = Number(q.get('prompt') ?? 128);
const steps = Number(q.get('steps') ?? 64);
const dtype = q.get('dtype') ?? 'f16';
const algorithm = q.get('algorithm') ?? 'auto';
const Hq = 32, Hkv = 8, D = 128;  // llama3-8b attention heads
const capacity = prompt + steps;

const logEl = document.getElementById('log');
const log = (s) => { console.log(s); logEl.textContent += s + '\n'; };

function randn(n, seed) {
  let a = seed >>> 0;
  const u = () => { a = (a * 1664525 + 1013904223) >>> 0; return (a + 0.5) / 4294967296; };
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  return v;
}

async function read(device, buffer, count) {
  const staging = device.createBuffer({ size: count * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(buffer, 0, staging, 0, count * 4);
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const v = new Float32Array(staging.getMappedRange().slice(0));
  staging.destroy();
  return v;
}

function relL2(got, ref) {
  let num = 0, den = 0;
  for (let i = 0; i < ref.length; i++) { num += (got[i] - ref[i]) ** 2; den += ref[i] ** 2; }
  return Math.sqrt(num / den);
}

async function main() {
  const adapter = await navigator.gpu?.requestAdapter();
  if (!adapter) throw new Error('no WebGPU adapter (Chromium: --enable-unsafe-webgpu where WebGPU is off)');
  const features = ['timestamp-query', 'subgroups', 'shader-f16'].filter((f) => adapter.features.has(f));
  const device = await adapter.requestDevice({
    requiredFeatures: features,
    requiredLimits: {
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      maxComputeWorkgroupStorageSize: adapter.limits.maxComputeWorkgroupStorageSize,
    },
  });
  const wa = await Webattn.create(device);
  const info = wa.adapter;
  log(`adapter: ${info.description || info.device} (${info.backend}), timestamps ${info.timestamps}`);
  if (/swiftshader/i.test(`${info.description} ${info.architecture}`))
    log('SwiftShader is a CPU implementation of WebGPU: every time below is CPU time.');

  // The app's buffers: webattn needs STORAGE; COPY_DST / COPY_SRC are for the app's own writes and reads.
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
  const buf = (floats) => device.createBuffer({ size: floats * 4, usage });
  const cacheFloats = capacity * Hkv * D * (dtype === 'f16' ? 0.5 : 1);
  const keys = buf(cacheFloats), values = buf(cacheFloats);
  const cache = wa.kvCache({ capacity, kvHeads: Hkv, headDim: D, dtype, keys, values });

  // prefill: prompt tokens at position 0
  const qP = randn(prompt * Hq * D, 1), kP = randn(prompt * Hkv * D, 2), vP = randn(prompt * Hkv * D, 3);
  const [qb, kb, vb, ob] = [buf(qP.length), buf(kP.length), buf(vP.length), buf(qP.length)];
  device.queue.writeBuffer(qb, 0, qP);
  device.queue.writeBuffer(kb, 0, kP);
  device.queue.writeBuffer(vb, 0, vP);
  const t = (b, S, heads, name) => wa.tensor(b, [S, heads, D], 0, name);
  const pre = await wa.forward(t(qb, prompt, Hq, 'q'), t(kb, prompt, Hkv, 'k_new'), t(vb, prompt, Hkv, 'v_new'),
    cache, 0, t(ob, prompt, Hq, 'out'), { algorithm, profile: true });
  const problem = (S, inputPos) => ({ S, Hq, Hkv, D, inputPos });
  let err = relL2(await read(device, ob, qP.length),
    await referenceAttention(qP, await cache.downloadKeys(), await cache.downloadValues(), problem(prompt, 0)));
  const limit = dtype === 'f16' ? 1e-5 : 1e-6;
  let failed = err <= limit ? 0 : 1;
  log(`prefill S=${prompt}: ${pre.algorithm}, GPU ${(pre.totalMs * 1e3).toFixed(0)} us ` +
      `(${pre.stages.map((s) => `${s.stage} ${(s.ms * 1e3).toFixed(0)}`).join(', ')}), rel L2 vs float64 ${err.toExponential(2)}`);

  // decode: one plan, one step per token; the app writes each token's q/k/v into the same buffers
  const [q1, k1, v1, o1] = [buf(Hq * D), buf(Hkv * D), buf(Hkv * D), buf(Hq * D)];
  const plan = await wa.plan(t(q1, 1, Hq, 'q1'), t(k1, 1, Hkv, 'k1'), t(v1, 1, Hkv, 'v1'), cache, t(o1, 1, Hq, 'out1'),
    { algorithm, profile: true, maxContext: capacity });
  log(`decode: ${steps} steps of one plan (${plan.algorithm}); per step: position, GPU time, rel L2 vs float64`);
  let total = 0, worst = 0;
  for (let i = 0; i < steps; i++) {
    const pos = prompt + i;
    const qs = randn(Hq * D, 100 + 3 * i), ks = randn(Hkv * D, 101 + 3 * i), vs = randn(Hkv * D, 102 + 3 * i);
    device.queue.writeBuffer(q1, 0, qs);
    device.queue.writeBuffer(k1, 0, ks);
    device.queue.writeBuffer(v1, 0, vs);
    const step = await plan.run(pos);
    err = relL2(await read(device, o1, Hq * D),
      await referenceAttention(qs, await cache.downloadKeys(), await cache.downloadValues(), problem(1, pos)));
    worst = Math.max(worst, err);
    if (!(err <= limit)) failed++;
    total += step.totalMs;
    log(`  pos ${pos}: ${(step.totalMs * 1e3).toFixed(0)} us, rel L2 ${err.toExponential(2)}`);
  }
  log(`decode: mean ${((total / steps) * 1e3).toFixed(0)} us per step, worst rel L2 ${worst.toExponential(2)} ` +
      `(limit ${limit}); ${failed ? failed + ' FAILED' : 'all match float64'}`);
  plan.destroy();
  wa.destroy();  // the device and buffers stay the page's
  return { passed: steps + 1 - failed, failed };
}

main().then((r) => { window.webattnResult = r; }, (e) => {
  log(`error: ${e.name}: ${e.message}`);
  window.webattnResult = { passed: 0, failed: 1, error: `${e.name}: ${e.message}` };
});
