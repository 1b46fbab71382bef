// The demo served without COOP/COEP, as plain static hosting serves it: not cross-origin
// isolated, so onnxruntime-web runs single-threaded, with the same results.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertSameAsNative, datasetPhotos, nativePredictAsShown, openDemo, shownResult, toPng, uploadPhoto } from './helpers.mjs';

const modelsDir = process.env.VESTIS_TEST_MODELS;
const photoPath = join(mkdtempSync(join(tmpdir(), 'vestis-web-')), 'photo.png');
toPng(datasetPhotos(1)[0], photoPath);
let demo;

before(async () => {
  demo = await openDemo({ serverArgs: ['--models', modelsDir, '--no-isolation'], waitForModel: true });
});
after(async () => { await demo?.close(); });

test('without cross-origin isolation the page runs on one thread', async () => {
  const { page } = demo;
  assert.equal(await page.evaluate(() => crossOriginIsolated), false);
  assert.match(await page.textContent('#build'), /WebAssembly, 1 thread · not cross-origin isolated \(single-threaded\)$/);
  assert.equal(await page.evaluate(() => window.vestisEngine.threads), 1);
});

test('and gives the same results as vestis predict', async () => {
  const { page } = demo;
  assert.equal(await uploadPhoto(page, { name: 'photo.png', mimeType: 'image/png', buffer: readFileSync(photoPath) }), 'results');
  assertSameAsNative(await shownResult(page), await nativePredictAsShown(page, join(modelsDir, 'tiny-full'), photoPath));
  assert.deepEqual(demo.foreignRequests(), []);
  assert.deepEqual(demo.errors, []);
});
