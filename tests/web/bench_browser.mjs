#!/usr/bin/env node
// In-browser latency of the demo, by hand (not a ctest): per photo and model with 1 and 2
// onnxruntime-web threads, page load to first result (empty cache, then cached), and native
// `vestis predict` on the same photos in the same run for comparison. Medians of --runs.
//   node tests/web/bench_browser.mjs [--models DIR] [--vestis BIN] [--runs N] [--photo FILE]...
// Defaults: the test models (build/tests/test-models/models), build/bin/vestis, 10 runs, and
// two generated photos: 640x480 and a 12-megapixel "phone" photo (4032x3024).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { launchBrowser, startServer } from './browser.mjs';
import { encodePng } from './png.mjs';

const root = resolve(import.meta.dirname, '../..');
const options = { models: join(root, 'build/tests/test-models/models'), vestis: join(root, 'build/bin/vestis'), runs: 10, photos: [] };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) {
  const [flag, value] = [argv[i], argv[i + 1]];
  if (value === undefined) throw new Error(`${flag} needs a value (see the top of ${basename(import.meta.filename)})`);
  if (flag === '--models') options.models = resolve(value);
  else if (flag === '--vestis') options.vestis = resolve(value);
  else if (flag === '--runs') options.runs = Number(value);
  else if (flag === '--photo') options.photos.push(resolve(value));
  else throw new Error(`unknown argument ${flag} (see the top of ${basename(import.meta.filename)})`);
}

function syntheticPhoto(width, height, path) {
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; ++y) {
    for (let x = 0; x < width; ++x) {
      const inside = Math.abs(x - width / 2) < width / 4 && Math.abs(y - height / 2) < height / 3;
      rgba.set([inside ? 200 : (x * 255) / width, inside ? 40 + ((x >> 4) % 2) * 120 : 120, (y * 255) / height, 255],
               (y * width + x) * 4);
    }
  }
  writeFileSync(path, encodePng(width, height, rgba));
  return path;
}

const work = mkdtempSync(join(tmpdir(), 'vestis-bench-'));
const photos = options.photos.length ? options.photos
  : [syntheticPhoto(640, 480, join(work, 'photo-640x480.png')), syntheticPhoto(4032, 3024, join(work, 'phone-4032x3024.png'))];
const models = readdirSync(options.models).filter((m) => existsSync(join(options.models, m, 'model.onnx'))).sort();
const median = (values) => { const s = [...values].sort((a, b) => a - b); return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN; };
const stages = ['decode', 'preprocess', 'inference', 'postprocess'];
const fileOf = (path) => ({ name: basename(path), mimeType: 'image/png', buffer: readFileSync(path) });

async function upload(page, path) {
  const before = await page.evaluate(() => window.vestisCounters.results);
  await page.setInputFiles('#photo-input', fileOf(path));
  await page.waitForFunction((n) => window.vestisCounters.results > n || window.vestisCounters.photoErrors > 0, before, { timeout: 120000 });
  return page.evaluate(() => window.vestisLastResult.timings);
}

// Page load to first tags: the photo is given as soon as the page has its input; the tags come
// once the engine has started and the model is fetched (or read from the cache) and loaded.
async function firstResult(context, origin, model, threads) {
  const page = await context.newPage();
  await page.goto(`${origin}/?model=${encodeURIComponent(model)}&threads=${threads}`, { waitUntil: 'commit' });
  await page.setInputFiles('#photo-input', fileOf(photos[0]));
  await page.waitForFunction(() => window.vestisFirstResultMs !== undefined, null, { timeout: 120000 });
  const ms = await page.evaluate(() => window.vestisFirstResultMs);
  return { page, ms };
}

const server = await startServer(['--models', options.models]);
const browser = await launchBrowser();
const browserVersion = browser.version();
const rows = [], firsts = [];
try {
  for (const model of models) {
    for (const threads of [1, 2]) {
      const context = await browser.newContext();
      const cold = await firstResult(context, server.origin, model, threads);
      await cold.page.close();
      const warm = await firstResult(context, server.origin, model, threads);
      const shownThreads = await warm.page.evaluate(() => window.vestisEngine.threads);
      firsts.push({ model, threads: shownThreads, cold: cold.ms, cached: warm.ms });
      for (const photo of photos) {
        const runs = [];
        for (let r = 0; r < options.runs + 1; ++r) runs.push(await upload(warm.page, photo));
        runs.shift();   // the first run warms up
        rows.push({ where: `browser, ${shownThreads} thread${shownThreads > 1 ? 's' : ''}`, model, photo: basename(photo),
                    ...Object.fromEntries(stages.map((s) => [s, median(runs.map((t) => t[s]))])) });
      }
      await context.close();
    }
    // Native, same photos: one process, each photo runs+1 times, the first dropped.
    const list = photos.flatMap((p) => Array(options.runs + 1).fill(p));
    const run = spawnSync(options.vestis, ['predict', '--model', join(options.models, model), '--json', ...list], { encoding: 'utf8', maxBuffer: 1 << 28 });
    if (run.status !== 0) throw new Error(`vestis predict: ${run.stderr}`);
    const images = JSON.parse(run.stdout).images;
    photos.forEach((photo, p) => {
      const runs = images.slice(p * (options.runs + 1) + 1, (p + 1) * (options.runs + 1)).map((i) => i.timings_ms);
      rows.push({ where: 'native vestis predict', model, photo: basename(photo),
                  ...Object.fromEntries(stages.map((s) => [s, median(runs.map((t) => t[s]))])) });
    });
  }
} finally {
  await browser.close();
  server.stop();
}

const ms = (v) => (Number.isFinite(v) ? v.toFixed(1) : '–').padStart(9);
console.log(`Median of ${options.runs} runs, ms (Chromium ${browserVersion}, ${models.length} models from ${options.models})\n`);
console.log(`${'model'.padEnd(16)} ${'where'.padEnd(22)} ${'photo'.padEnd(22)} ${stages.map((s) => s.padStart(9)).join(' ')}     total`);
for (const r of rows) {
  const total = stages.reduce((sum, s) => sum + r[s], 0);
  console.log(`${r.model.padEnd(16)} ${r.where.padEnd(22)} ${r.photo.padEnd(22)} ${stages.map((s) => ms(r[s])).join(' ')} ${ms(total)}`);
}
console.log(`\nPage load to first result (${basename(photos[0])}), ms`);
console.log(`${'model'.padEnd(16)} threads  empty cache   cached`);
for (const f of firsts) console.log(`${f.model.padEnd(16)} ${String(f.threads).padStart(7)} ${ms(f.cold)}   ${ms(f.cached)}`);
