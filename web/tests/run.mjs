// Runs a page in headless Chromium (Debian's /usr/bin/chromium, WebGPU on SwiftShader) and
// exits non-zero unless it reports success. The page sets window.webattnResult to
// { passed, failed, error? } when done; its console goes to stdout as it arrives.
//   node web/tests/run.mjs <page path under the repository> [timeout seconds]
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';
import { serve } from './serve.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const page_path = process.argv[2] ?? 'web/tests/suite.html';
const timeout_s = Number(process.argv[3] ?? 1200);
const chromium = process.env.WEBATTN_CHROMIUM ?? '/usr/bin/chromium';

const server = await serve(root);
const browser = await puppeteer.launch({
  executablePath: chromium,
  headless: true,
  // WEBATTN_CHROMIUM_LOG=1: Chromium's own stderr too (crashes, GPU process messages)
  dumpio: process.env.WEBATTN_CHROMIUM_LOG === '1',
  // waitForFunction below is one DevTools call that lasts as long as the page runs: without this,
  // puppeteer's default 180 s protocol timeout ends any page that runs longer ("Waiting failed")
  protocolTimeout: (timeout_s + 60) * 1000,
  args: ['--headless=new', '--no-sandbox', '--enable-unsafe-webgpu', '--enable-webgpu-developer-features'],
});
let code = 1;
let closing = false;
try {
  const page = await browser.newPage();
  page.on('console', (m) => console.log(m.text()));
  page.on('pageerror', (e) => console.log(`page error: ${e.message}`));
  // a renderer crash (e.g. out of memory) ends the wait with a bare "Waiting failed": say so
  page.on('error', (e) => console.log(`page crashed: ${e.message}`));
  browser.on('disconnected', () => { if (!closing) console.log('browser disconnected (Chromium exited early)'); });
  await page.goto(`${server.url}/${page_path}`);
  const result = await page.waitForFunction(() => window.webattnResult, { timeout: timeout_s * 1000, polling: 500 })
    .then((h) => h.jsonValue());
  if (result.error) console.log(`page failed: ${result.error}`);
  console.log(`${result.passed} passed, ${result.failed} failed`);
  code = !result.error && result.failed === 0 && result.passed > 0 ? 0 : 1;
} catch (e) {
  console.log(`browser run failed: ${e.message}${e.cause ? ` (${e.cause.message ?? e.cause})` : ''}`);
} finally {
  closing = true;
  await browser.close();
  await server.close();
}
process.exit(code);
