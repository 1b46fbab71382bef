// Shared by the page tests: open the demo in Chromium, feed it files, read what it shows, and
// compare that with `vestis predict` on the same model and photo.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { launchBrowser, startServer } from './browser.mjs';

// Waits on the page's own readiness signal (<html data-ready>, set by main.js once the engine
// has started and the model list and examples are on the page); with `waitForModel`, also until
// a model is in use (<html data-model>). A page that could not start fails here, with its words.
export async function waitUntilReady(page, { waitForModel = false } = {}) {
  const state = await (await page.waitForFunction(() => {
    const { ready } = document.documentElement.dataset;
    return ready === 'ready' || ready === 'failed' ? ready : null;
  })).jsonValue();
  if (state === 'failed') throw new Error(`the page did not start: ${await page.textContent('#build')}`);
  if (waitForModel) {
    await page.waitForFunction(() => document.documentElement.dataset.model || window.vestisCounters.modelErrors > 0);
    const problem = await page.evaluate(() => (document.documentElement.dataset.model ? null
                                                 : document.getElementById('model-status').textContent));
    if (problem) throw new Error(`no model loaded: ${problem}`);
  }
}

// The machine may be shared with a training run: waits end on the page's own signals, and this
// is only how long one may take before the test gives up.
const waitLimitMs = 120000;

// The demo served with `serverArgs`, and a browser. `openPage()` opens the page in a fresh
// context of its own (empty Cache API, nothing left by another case); `openDemo` opens a first
// one as `page` (and `context`) unless `firstPage` is false. Every request any page (its
// workers included) makes is recorded, per page and in all; any to another origin is blocked.
export async function openDemo({ serverArgs = [], browserArgs = [], query = '', waitForModel = false, firstPage = true } = {}) {
  const server = await startServer(serverArgs);
  const browser = await launchBrowser(browserArgs);
  const local = (url) => url.startsWith(`${server.origin}/`) || /^(data|blob):/.test(url);
  const demo = {
    server, browser, requests: [], errors: [],
    foreignRequests: () => demo.requests.filter((url) => !local(url)),
    close: async () => { await browser.close(); server.stop(); },
    openPage: async (options = {}) => {
      const context = await browser.newContext();
      const requests = [], errors = [];
      context.on('request', (request) => { requests.push(request.url()); demo.requests.push(request.url()); });
      await context.route((url) => url.origin !== server.origin, (route) => route.abort('blockedbyclient'));
      context.setDefaultTimeout(waitLimitMs);
      const page = await context.newPage();
      const problem = (message) => { errors.push(message); demo.errors.push(message); };
      page.on('pageerror', (error) => problem(error.message));
      page.on('crash', () => problem('the page crashed'));   // else only a wait would time out, much later
      await page.goto(`${server.origin}/${options.query ?? ''}`);
      await waitUntilReady(page, options);
      return { context, page, requests, errors, foreignRequests: () => requests.filter((url) => !local(url)),
               close: () => context.close() };
    },
  };
  if (firstPage) {
    try {
      const { context, page } = await demo.openPage({ query, waitForModel });
      Object.assign(demo, { context, page });
    } catch (error) {
      await demo.close();
      throw error;
    }
  }
  return demo;
}

export const counters = (page) => page.evaluate(() => ({ ...window.vestisCounters }));

// Runs `action`, then waits until one of the named counters of the page has gone up; returns
// which one did.
export async function afterCounter(page, names, action) {
  const before = await counters(page);
  await action();
  const handle = await page.waitForFunction(([names, before]) => names.find((n) => window.vestisCounters[n] > before[n]),
                                            [names, before], { timeout: 120000 });
  return handle.jsonValue();
}

// Uploads a photo: 'results' when it was shown, 'photoErrors' when refused.
export const uploadPhoto = (page, file) =>
  afterCounter(page, ['results', 'photoErrors'], () => page.setInputFiles('#photo-input', file));

// Picks a model in the picker: 'modelsLoaded' or 'modelErrors'. With a photo on the page,
// waits for its new result too.
export async function chooseModel(page, name) {
  const hasPhoto = await page.evaluate(() => window.vestisCounters.results > 0);
  const before = await counters(page);
  const outcome = await afterCounter(page, ['modelsLoaded', 'modelErrors'], () => page.selectOption('#model-picker', { label: name }));
  if (outcome === 'modelsLoaded' && hasPhoto) {
    await page.waitForFunction((n) => window.vestisCounters.results > n, before.results);
  }
  return outcome;
}

export const statusText = (page, id = 'status') =>
  page.evaluate((id) => ({ text: document.getElementById(id).textContent,
                           error: document.getElementById(id).classList.contains('error') }), id);

// The results as the page shows them: every number read from the page's own elements.
export const shownResult = (page) => page.evaluate(() => {
  const tag = (e) => ({ index: Number(e.dataset.index), name: e.dataset.name, probability: Number(e.dataset.probability) });
  return {
    categories: [...document.querySelectorAll('#categories li')].map(tag),
    attributes: Object.fromEntries([...document.querySelectorAll('#attributes .attribute-group')]
      .map((g) => [g.dataset.type, [...g.querySelectorAll('.tag')].map(tag)])),
    landmarks: [...document.querySelectorAll('#landmarks tbody tr')]
      .map((r) => ({ name: r.dataset.name, x: Number(r.dataset.x), y: Number(r.dataset.y), confidence: Number(r.dataset.confidence),
                     secondPeak: Number(r.dataset.secondPeak) })),
  };
});

export function nativePredict(modelDir, image, extra = []) {
  const vestis = process.env.VESTIS_BINARY;
  const run = spawnSync(vestis, ['predict', '--model', modelDir, image, '--json', ...extra], { encoding: 'utf8' });
  assert.equal(run.status, 0, `vestis predict failed: ${run.stderr}`);
  return JSON.parse(run.stdout).images[0];
}

// `vestis predict` at the threshold the page shows: the card's, to the slider's 0.01 step, where
// predict takes the card's exactly (a tag between the two would differ).
export async function nativePredictAsShown(page, modelDir, image, extra = []) {
  const threshold = await page.evaluate(() => window.vestisLastResult.threshold);
  return nativePredict(modelDir, image, ['--threshold', String(threshold), ...extra]);
}

const probabilityTolerance = 1e-3;   // two runtimes (OpenCV DNN natively, onnxruntime-web here)
const pixelTolerance = 0.01;         // landmark positions, in photo pixels

// Ranked lists agree: same probabilities rank by rank; the same entries, except where two
// entries tie within the tolerance at the cut-off, which either runtime may list.
function assertSameRanking(shown, expected, what) {
  assert.equal(shown.length, expected.length, `${what}: ${shown.length} shown, ${expected.length} expected`);
  shown.forEach((s, i) => {
    assert.ok(Math.abs(s.probability - expected[i].probability) <= probabilityTolerance,
              `${what} #${i + 1}: ${s.probability} shown, ${expected[i].probability} natively`);
    const same = expected.find((e) => e.index === s.index);
    if (same) {
      assert.equal(s.name, same.name);
      assert.ok(Math.abs(s.probability - same.probability) <= probabilityTolerance, `${what} '${s.name}'`);
    } else {
      assert.ok(Math.abs(s.probability - expected.at(-1).probability) <= probabilityTolerance,
                `${what}: '${s.name}' shown but not listed natively, and not a tie at the cut-off`);
    }
  });
}

export function assertSameAsNative(shown, native) {
  assertSameRanking(shown.categories, native.categories, 'category');
  assert.deepEqual(Object.keys(shown.attributes), Object.keys(native.attributes), 'attribute types');
  for (const [type, tags] of Object.entries(native.attributes)) assertSameRanking(shown.attributes[type], tags, type);
  assert.equal(shown.landmarks.length, native.landmarks.length, 'landmark count');
  shown.landmarks.forEach((s, i) => {
    const n = native.landmarks[i];
    assert.equal(s.name, n.name);
    // Each heatmap value agrees within the tolerance, so where the two runtimes find their peaks
    // more than a cell apart, each one's peak is within twice it of the other's: a tie, which
    // both second peaks show.
    const samePlace = Math.abs(s.x - n.x) <= pixelTolerance && Math.abs(s.y - n.y) <= pixelTolerance;
    const tied = n.confidence - n.second_peak <= 2 * probabilityTolerance && s.confidence - s.secondPeak <= 2 * probabilityTolerance;
    assert.ok(samePlace || tied, `${s.name}: (${s.x}, ${s.y}) shown, (${n.x}, ${n.y}) natively, ` +
              `peaks ${n.confidence} and ${n.second_peak} natively`);
    assert.ok(Math.abs(s.secondPeak - n.second_peak) <= probabilityTolerance, `${s.name} second peak`);
    assert.ok(Math.abs(s.confidence - n.confidence) <= probabilityTolerance, `${s.name} confidence`);
  });
}

// Test photos: synthetic data set images (JPEG), as PNG so both sides decode the same pixels.
export function datasetPhotos(count) {
  const root = join(process.env.VESTIS_TEST_DATA, 'img');
  const folders = readdirSync(root).filter((f) => statSync(join(root, f)).isDirectory()).sort();
  return folders.slice(0, count).map((f) => join(root, f, readdirSync(join(root, f)).filter((n) => n.endsWith('.jpg')).sort()[0]));
}

export function python(script, ...args) {
  const run = spawnSync(process.env.VESTIS_PYTHON || '/usr/bin/python3', ['-c', script, ...args], { encoding: 'utf8' });
  assert.equal(run.status, 0, `python3 failed: ${run.stderr}`);
  return run.stdout;
}

export const toPng = (jpg, png) => python('import sys; from PIL import Image; Image.open(sys.argv[1]).convert("RGB").save(sys.argv[2])', jpg, png);
