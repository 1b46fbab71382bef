// The demo with the exported test models (ctest fixture exported_models): what the page shows
// for a photo equals `vestis predict` on the same model and photo, for each model, with a
// box, a threshold, a large photo; models are downloaded once; nothing leaves the origin.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodePng } from './png.mjs';
import { assertSameAsNative, chooseModel, datasetPhotos, nativePredict, nativePredictAsShown, openDemo, python, shownResult, statusText,
         toPng, uploadPhoto, afterCounter } from './helpers.mjs';

const modelsDir = process.env.VESTIS_TEST_MODELS;
const work = mkdtempSync(join(tmpdir(), 'vestis-web-'));
const photos = datasetPhotos(2).map((jpg, i) => {
  const path = join(work, `photo${i}.png`);
  toPng(jpg, path);
  return { path, file: { name: `photo${i}.png`, mimeType: 'image/png', buffer: readFileSync(path) } };
});
let demo, page;

before(async () => {
  demo = await openDemo({ serverArgs: ['--models', modelsDir], waitForModel: true });
  page = demo.page;
});
after(async () => { await demo?.close(); });

test('the picker lists the served models and loads the first', async () => {
  const options = await page.$$eval('#model-picker option', (list) => list.map((o) => o.textContent));
  assert.deepEqual(options, ['tiny-full', 'tiny-full-int8', 'tiny-resnet18', 'tiny-tags']);
  assert.match((await statusText(page, 'model-status')).text, /^tiny-full is ready \(downloaded, 1\.\d MB/);
  const card = await page.textContent('#model-card');
  assert.match(card, /12 categories, 22 attributes \(two_class\), 8 landmarks, attention map/);
  assert.match(card, /64×64, crop stretch/);
});

for (const model of ['tiny-full', 'tiny-full-int8', 'tiny-resnet18']) {
  test(`${model}: tags, probabilities and landmarks equal vestis predict`, async () => {
    assert.equal(await chooseModel(page, model), 'modelsLoaded');
    for (const photo of photos) {
      assert.equal(await uploadPhoto(page, photo.file), 'results');
      assertSameAsNative(await shownResult(page), await nativePredictAsShown(page, join(modelsDir, model), photo.path));
      const shown = await page.evaluate(() => window.vestisLastResult);
      assert.equal(shown.model, model);
      for (const stage of ['decode', 'preprocess', 'inference', 'postprocess']) assert.ok(shown.timings[stage] >= 0, stage);
    }
  });
}

test('a model chosen again is not fetched again', async () => {
  const fetched = () => demo.requests.filter((url) => url.endsWith('/tiny-full/model.onnx')).length;
  assert.equal(fetched(), 1);
  assert.equal(await chooseModel(page, 'tiny-full'), 'modelsLoaded');
  assert.equal(fetched(), 1);
  // A new page in the same browser profile takes it from the Cache API.
  const second = await demo.context.newPage();
  await second.goto(`${demo.server.origin}/`);
  await second.waitForFunction(() => window.vestisCounters?.modelsLoaded > 0, null, { timeout: 60000 });
  assert.match(await second.textContent('#model-status'), /from the browser cache/);
  assert.equal(fetched(), 1);
  await second.close();
});

test('a model download shows its progress', async () => {
  const context = await demo.browser.newContext();   // an empty Cache API: tiny-full is fetched
  const second = await context.newPage();
  const cdp = await context.newCDPSession(second);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: 1e6, uploadThroughput: 1e6 });
  await second.goto(`${demo.server.origin}/`);
  const seen = new Set();
  while (!(await second.evaluate(() => window.vestisCounters?.modelsLoaded > 0))) {
    seen.add(await second.evaluate(() => {
      const bar = document.getElementById('model-progress');
      return bar.hidden ? 'hidden' : `${bar.value}/${bar.max} ${document.getElementById('model-status').textContent}`;
    }));
    await new Promise((done) => setTimeout(done, 50));
  }
  const partial = [...seen].filter((s) => /^\d+\/1\d{6} Fetching tiny-full: \d\.\d MB of 1\.\d MB…$/.test(s) && !s.startsWith('0/'));
  assert.ok(partial.length >= 2, `progress seen: ${[...seen].join(' | ')}`);
  assert.equal(await second.isHidden('#model-progress'), true);
  await context.close();
});

test('the threshold slider filters attributes as --threshold does', async () => {
  assert.equal(await uploadPhoto(page, photos[0].file), 'results');
  await page.$eval('#threshold', (slider) => {
    slider.value = '0.5';
    slider.dispatchEvent(new Event('input', { bubbles: true }));
  });
  await page.waitForFunction(() => window.vestisLastResult.threshold === 0.5);
  assert.equal(await page.textContent('#threshold-value'), '50%');
  const native = nativePredict(join(modelsDir, 'tiny-full'), photos[0].path, ['--threshold', '0.5']);
  assertSameAsNative(await shownResult(page), native);
  await page.$eval('#threshold', (slider) => {
    slider.value = '0';
    slider.dispatchEvent(new Event('input', { bubbles: true }));
  });
  await page.waitForFunction(() => window.vestisLastResult.threshold === 0);
});

test('a box drawn on the photo crops as --bbox does', async () => {
  assert.equal(await uploadPhoto(page, photos[0].file), 'results');
  const canvas = await page.locator('#photo-canvas').boundingBox();
  const outcome = await afterCounter(page, ['results'], async () => {
    await page.mouse.move(canvas.x + canvas.width * 0.1, canvas.y + canvas.height * 0.15);
    await page.mouse.down();
    await page.mouse.move(canvas.x + canvas.width * 0.5, canvas.y + canvas.height * 0.5, { steps: 4 });
    await page.mouse.move(canvas.x + canvas.width * 0.85, canvas.y + canvas.height * 0.9, { steps: 4 });
    await page.mouse.up();
  });
  assert.equal(outcome, 'results');
  const { box, crop } = await page.evaluate(() => window.vestisLastResult);
  assert.ok(box && box.x2 - box.x1 > 100 && box.y2 - box.y1 > 100, JSON.stringify(box));
  assert.equal(crop.x, box.x1);
  const native = await nativePredictAsShown(page, join(modelsDir, 'tiny-full'), photos[0].path, ['--bbox', `${box.x1},${box.y1},${box.x2},${box.y2}`]);
  assertSameAsNative(await shownResult(page), native);
  assert.equal(await page.isEnabled('#clear-box'), true);
  assert.equal(await afterCounter(page, ['results'], () => page.click('#clear-box')), 'results');
  assert.equal(await page.evaluate(() => window.vestisLastResult.box), null);
});

test('overlays switch on and off over the photo', async () => {
  assert.equal(await uploadPhoto(page, photos[0].file), 'results');
  const pixels = () => page.$eval('#photo-canvas', async (c) => {   // a digest: the canvas has a million values
    const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    return Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', data))).join(',');
  });
  const plain = await (async () => { await page.uncheck('#show-landmarks'); return pixels(); })();
  await page.check('#show-attention');
  const withAttention = await pixels();
  assert.notEqual(withAttention, plain, 'the attention overlay changes the picture');
  await page.$eval('#overlay-opacity', (slider) => {
    slider.value = '1';
    slider.dispatchEvent(new Event('input', { bubbles: true }));
  });
  await page.waitForFunction(() => document.getElementById('overlay-opacity-value').textContent === '100%');
  await page.waitForTimeout(300);   // the worker redraws the overlays at the new opacity
  assert.notEqual(await pixels(), withAttention, 'opacity changes the overlay');
  await page.uncheck('#show-attention');
  assert.equal(await pixels(), plain);
  await page.check('#show-heatmaps');
  assert.notEqual(await pixels(), plain, 'the heatmap overlay changes the picture');
  await page.uncheck('#show-heatmaps');
  await page.check('#show-landmarks');
  assert.notEqual(await pixels(), plain, 'landmark points are drawn');
});

test('a large photo (24 megapixels) works and the page keeps responding', async () => {
  const width = 6000, height = 4000;
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; ++y) {
    for (let x = 0; x < width; ++x) {
      const i = (y * width + x) * 4;
      const inside = x > 1500 && x < 4500 && y > 800 && y < 3600;
      rgba.set([inside ? 40 + (y % 97) : (x * 255) / width, inside ? 160 : (y * 255) / height, (x >> 6) % 2 ? 200 : 30, 255], i);
    }
  }
  const path = join(work, 'large.png');
  writeFileSync(path, encodePng(width, height, rgba));
  // Frames the page's thread draws while the worker decodes and runs: none may be stuck for long.
  await page.evaluate(() => {
    window.longestFrameGap = 0;
    let previous = performance.now();
    const tick = (now) => { window.longestFrameGap = Math.max(window.longestFrameGap, now - previous); previous = now;
                            if (window.measuringFrames) requestAnimationFrame(tick); };
    window.measuringFrames = true;
    requestAnimationFrame(tick);
  });
  assert.equal(await uploadPhoto(page, { name: 'large.png', mimeType: 'image/png', buffer: readFileSync(path) }), 'results');
  const gap = await page.evaluate(() => { window.measuringFrames = false; return window.longestFrameGap; });
  assert.match(await page.textContent('#photo-caption'), /large\.png, 6000×4000/);
  assertSameAsNative(await shownResult(page), await nativePredictAsShown(page, join(modelsDir, 'tiny-full'), path));
  assert.ok(gap < 1000, `the page's thread stalled for ${gap.toFixed(0)} ms`);
  console.log(`# 24 MP photo: longest frame gap ${gap.toFixed(0)} ms; ` +
              JSON.stringify(await page.evaluate(() => window.vestisLastResult.timings)));
});

test('EXIF orientation is applied, as natively', async () => {
  const path = join(work, 'rotated.jpg');
  python('import sys; from PIL import Image; im = Image.open(sys.argv[1]).convert("RGB"); exif = Image.Exif(); ' +
         'exif[0x0112] = 6; im.save(sys.argv[2], exif=exif.tobytes(), quality=95)', datasetPhotos(1)[0], path);
  const native = nativePredict(join(modelsDir, 'tiny-full'), path);
  assert.equal(await uploadPhoto(page, { name: 'rotated.jpg', mimeType: 'image/jpeg', buffer: readFileSync(path) }), 'results');
  const shown = await page.evaluate(() => window.vestisLastResult);
  assert.deepEqual([shown.width, shown.height], [native.width, native.height]);
  assert.ok(native.width > native.height, 'the synthetic photos are portrait; turned, landscape');
});

test('after a bad photo the page still tags the next one', async () => {
  assert.equal(await uploadPhoto(page, { name: 'notes.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('not a photo') }), 'photoErrors');
  assert.deepEqual(await statusText(page), { text: "'notes.jpg' is not an image this browser can decode (JPEG, PNG, WebP, GIF, AVIF…)", error: true });
  assert.equal(await uploadPhoto(page, photos[1].file), 'results');
  assertSameAsNative(await shownResult(page), await nativePredictAsShown(page, join(modelsDir, 'tiny-full'), photos[1].path));
});

test('no request leaves the page\'s origin, and nothing threw', () => {
  assert.ok(demo.requests.some((url) => url.includes('/ort/ort-wasm-simd-threaded.wasm')), 'worker requests are seen');
  assert.deepEqual(demo.foreignRequests(), []);
  assert.deepEqual(demo.errors, []);
});
