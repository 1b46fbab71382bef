// The demo page in Chromium serving an empty models folder: a
// photo becomes the same network input as the WASM bindings make under node; bad photos get
// clear messages and the page stays usable; a missing model list is explained; every control
// is labelled and reachable by keyboard; nothing is fetched from another origin.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodePng } from './png.mjs';
import { afterCounter, openDemo, statusText, uploadPhoto } from './helpers.mjs';
import { loadVestis } from '../wasm/load_vestis.mjs';

const width = 640, height = 480;
const photo = new Uint8Array(width * height * 4);
for (let y = 0; y < height; ++y) {
  for (let x = 0; x < width; ++x) {   // stripes, a gradient and a square: something to see
    const i = (y * width + x) * 4;
    const inSquare = x > 200 && x < 440 && y > 120 && y < 360;
    photo[i] = inSquare ? 230 : (x * 255) / width;
    photo[i + 1] = (Math.floor(x / 8) % 2) * 180;
    photo[i + 2] = (y * 255) / height;
    photo[i + 3] = 255;
  }
}
const photoFile = { name: 'garment.png', mimeType: 'image/png', buffer: encodePng(width, height, photo) };
let demo, page;

const noModels = mkdtempSync(join(tmpdir(), 'vestis-no-models-'));

before(async () => {
  demo = await openDemo({ serverArgs: ['--models', noModels] });
  page = demo.page;
  await page.waitForFunction(() => document.getElementById('model-status').textContent !== '');
});
after(async () => {
  await demo?.close();
  rmSync(noModels, { recursive: true, force: true });
});

async function expectedInput() {
  const vestis = await loadVestis();
  const pipeline = new vestis.Pipeline(vestis.defaultInputCard(), 'test card');
  pipeline.inputBuffer(width, height, 4).set(photo);
  assert.ok(pipeline.preprocess(width, height, 4, null).ok);
  const rgba = Array.from(pipeline.inputRgba());
  pipeline.delete();
  return rgba;
}

const shownInput = () => page.evaluate(() => {
  const canvas = document.getElementById('input-canvas');
  return Array.from(canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data);
});

test('shows which build and runtime it runs', async () => {
  // The commit, marked "modified" when built from a tree with uncommitted changes.
  assert.match(await page.textContent('#build'),
               /^Vestis \d+\.\d+\.\d+ \(([0-9a-f]+(, modified)?|unknown)\) · onnxruntime-web 1\.30\.\d+, WebAssembly, 2 threads · cross-origin isolated$/);
});

test('with no models published, the page says so and offers your own', async () => {
  assert.deepEqual(await statusText(page, 'model-status'),
                   { text: 'No models are published on this server yet: use your own model: model.onnx and card.json from `vestis export`.', error: false });
  assert.deepEqual(await page.$$eval('#model-picker option', (list) => list.map((o) => o.textContent)), ['no models here: use your own']);
});

test('a photo becomes the same network input as under node', async () => {
  assert.equal(await uploadPhoto(page, photoFile), 'results');
  assert.deepEqual(await shownInput(), await expectedInput());
  assert.match(await page.textContent('#photo-caption'), /garment\.png, 640×480/);
  assert.match(await page.textContent('#status'), /'garment\.png' is ready\. Choose a model/);
  const timings = await page.evaluate(() => window.vestisLastResult.timings);
  assert.ok(timings.decode > 0 && timings.preprocess > 0);
});

test('bad photos get a clear message and the page stays usable', async () => {
  const refuse = async (file, message) => {
    assert.equal(await uploadPhoto(page, file), 'photoErrors', file.name);
    assert.deepEqual(await statusText(page), { text: message, error: true });
  };
  await refuse({ name: 'notes.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('not a photo, a note') },
               "'notes.jpg' is not an image this browser can decode (JPEG, PNG, WebP, GIF, AVIF…)");
  await refuse({ name: 'empty.png', mimeType: 'image/png', buffer: Buffer.alloc(0) }, "'empty.png' is empty");
  const huge = new Uint8Array(10000 * 5000 * 4).fill(255);
  await refuse({ name: 'huge.png', mimeType: 'image/png', buffer: encodePng(10000, 5000, huge) },
               "'huge.png' is 10000×5000, 50.0 megapixels: the limit is 40.0 megapixels. Scale it down first.");
  assert.equal(await uploadPhoto(page, photoFile), 'results');
  assert.deepEqual(await shownInput(), await expectedInput());
  assert.equal((await statusText(page)).error, false);
});

test('photos can be dropped and pasted', async () => {
  const send = (kind, name) => page.evaluate(async ([kind, name, bytes]) => {
    const data = new DataTransfer();
    data.items.add(new File([new Uint8Array(bytes)], name, { type: 'image/png' }));
    const before = window.vestisCounters.results;
    if (kind === 'drop') document.getElementById('drop-zone').dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
    else document.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true }));
    while (window.vestisCounters.results === before) await new Promise((done) => setTimeout(done, 20));
    return document.getElementById('photo-caption').textContent;
  }, [kind, name, [...photoFile.buffer]]);
  assert.equal(await send('drop', 'dropped.png'), 'dropped.png, 640×480');
  assert.equal(await send('paste', 'pasted.png'), 'pasted.png, 640×480');
});

test('a photo can be taken with the camera, where there is one', async () => {
  // Chromium's fake camera (a test pattern), allowed without asking.
  const camera = await openDemo({ serverArgs: ['--models', noModels], browserArgs: ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'] });
  try {
    await camera.page.click('#camera-button');
    await camera.page.waitForFunction(() => document.getElementById('camera-dialog').open &&
                                            document.getElementById('camera-video').videoWidth > 0);
    assert.equal(await afterCounter(camera.page, ['results', 'photoErrors'], () => camera.page.click('#camera-take')), 'results');
    assert.match(await camera.page.textContent('#photo-caption'), /^camera\.png, \d+×\d+$/);
    assert.equal(await camera.page.evaluate(() => document.getElementById('camera-dialog').open), false);
    assert.deepEqual(camera.foreignRequests(), []);
  } finally {
    await camera.close();
  }
});

test('every control is labelled and reachable by keyboard', async () => {
  const unlabelled = await page.evaluate(() => [...document.querySelectorAll('input, select, button, textarea')]
    .filter((c) => !(c.labels?.length && [...c.labels].some((l) => l.textContent.trim())) &&
                   !c.getAttribute('aria-label') && !c.textContent.trim())
    .map((c) => c.id || c.outerHTML));
  assert.deepEqual(unlabelled, []);
  for (const [role, name] of [['combobox', 'Model'], ['button', 'Take a photo…'], ['checkbox', 'landmarks'],
                              ['checkbox', 'landmark heatmaps'], ['checkbox', 'attention'], ['slider', 'overlay opacity'],
                              ['slider', 'Show attributes at or above']]) {
    assert.equal(await page.getByRole(role, { name, exact: true }).count(), 1, `${role} '${name}'`);
  }
  assert.equal(await page.getByLabel('Choose a garment photo…').count(), 1);
  assert.equal(await page.getByLabel('Use your own model…').count(), 1);

  await page.evaluate(() => document.activeElement?.blur());
  const reached = new Set();
  for (let i = 0; i < 30; ++i) {
    await page.keyboard.press('Tab');
    reached.add(await page.evaluate(() => document.activeElement?.id));
  }
  for (const id of ['model-picker', 'own-model', 'photo-input', 'camera-button', 'show-landmarks', 'show-heatmaps',
                    'show-attention', 'overlay-opacity', 'threshold']) {
    assert.ok(reached.has(id), `Tab reaches #${id}`);
  }
  await page.focus('#show-heatmaps');
  await page.keyboard.press('Space');
  assert.equal(await page.isChecked('#show-heatmaps'), true);
  await page.focus('#threshold');
  await page.keyboard.press('End');
  assert.equal(await page.textContent('#threshold-value'), '100%');
  await page.keyboard.press('Home');
  assert.equal(await page.textContent('#threshold-value'), '0%');
});

test('a missing or broken model list is explained', async () => {
  const second = await demo.context.newPage();
  await second.route('**/models/manifest.json', (route) => route.fulfill({ status: 404, body: 'not found' }));
  await second.goto(`${demo.server.origin}/`);
  await second.waitForFunction(() => document.getElementById('model-status').textContent !== '');
  assert.match(await second.textContent('#model-status'), /^No model list on this server \(models\/manifest\.json: 404[^)]*\): use your own model/);
  await second.unroute('**/models/manifest.json');
  await second.route('**/models/manifest.json', (route) => route.fulfill({ status: 200, body: '{"models": [' }));
  await second.reload();
  await second.waitForFunction(() => document.getElementById('model-status').textContent !== '');
  assert.match(await second.textContent('#model-status'), /^models\/manifest\.json is not valid JSON/);
  await second.close();
});

test('the browser itself refuses requests to other origins (Content-Security-Policy)', async () => {
  const outcome = await page.evaluate(async () => {
    const violation = new Promise((done) => document.addEventListener('securitypolicyviolation',
                                                                         (event) => done(event.violatedDirective), { once: true }));
    const sent = await fetch('http://192.0.2.1/photo', { method: 'POST', body: 'pixels' }).then(() => 'sent', () => 'refused');
    return [sent, await violation];
  });
  assert.deepEqual(outcome, ['refused', 'connect-src']);
});

test('the page asks nothing of any origin but its own', () => {
  assert.ok(demo.requests.length > 0);
  assert.deepEqual(demo.foreignRequests().filter((url) => url !== 'http://192.0.2.1/photo'), []);
  assert.deepEqual(demo.errors, []);
});
