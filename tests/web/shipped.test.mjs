// The page with the models Vestis ships (models/): each loads and shows what `vestis predict`
// says on the same photo, whatever heads its card lists (the garment-photo and Fashion-MNIST
// models have categories only).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { assertSameAsNative, chooseModel, datasetPhotos, nativePredictAsShown, openDemo, shownResult, toPng, uploadPhoto } from './helpers.mjs';

const shipped = resolve(import.meta.dirname, '../../models');
const photoPath = join(mkdtempSync(join(tmpdir(), 'vestis-web-')), 'photo.png');
toPng(datasetPhotos(1)[0], photoPath);
let demo;

before(async () => { demo = await openDemo({ serverArgs: ['--models', shipped], waitForModel: true }); });
after(async () => { await demo?.close(); });

const names = JSON.parse(readFileSync(join(shipped, 'manifest.json'), 'utf8')).models.map((m) => m.name);
for (const name of names) {
  test(`${name} runs in the page as vestis predict runs it`, async () => {
    const { page } = demo;
    assert.equal(await chooseModel(page, name), 'modelsLoaded');
    assert.equal(await uploadPhoto(page, { name: 'photo.png', mimeType: 'image/png', buffer: readFileSync(photoPath) }), 'results');
    assertSameAsNative(await shownResult(page), await nativePredictAsShown(page, join(shipped, name), photoPath));
    assert.deepEqual(demo.errors, []);
  });
}
