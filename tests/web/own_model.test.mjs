// "Use your own model" with the exported test models (ctest fixture exported_models): a model
// and card the person picks run like a served one; wrong files get clear messages and the
// page keeps the model it had. Each case runs on a fresh page; none leaves the page's origin.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterCounter, assertSameAsNative, chooseModel, datasetPhotos, nativePredict, nativePredictAsShown, openDemo, shownResult, statusText, toPng,
         uploadPhoto } from './helpers.mjs';

const modelsDir = process.env.VESTIS_TEST_MODELS;
const work = mkdtempSync(join(tmpdir(), 'vestis-web-'));
const photoPath = join(work, 'photo.png');
toPng(datasetPhotos(1)[0], photoPath);
const photoFile = { name: 'photo.png', mimeType: 'image/png', buffer: readFileSync(photoPath) };
// Model files go to the page as paths, never as buffers: Playwright sends a buffer under 50 MB
// base64 through the DevTools protocol and decodes it in the page, which for tiny-resnet18's
// 46 MB model.onnx took about 30 s on a busy machine, Playwright's whole default timeout for
// page.setInputFiles ("waiting for #own-model"). A path lets Chromium read the file itself.
const file = (model, name) => join(modelsDir, model, name);
let fakes = 0;
const text = (name, content) => {   // a file of that name and content, for the wrong-file cases
  const folder = join(work, `fake-${++fakes}`);
  mkdirSync(folder);
  writeFileSync(join(folder, name), content);
  return join(folder, name);
};
let demo;

const noModels = mkdtempSync(join(tmpdir(), 'vestis-no-models-'));   // nothing served: only the person's own

// One server and browser; each case opens the page afresh (a context of its own) and sets up
// the models and photo it needs, so no case depends on what another left behind.
before(async () => { demo = await openDemo({ serverArgs: ['--models', noModels], firstPage: false }); });
after(async () => {
  await demo?.close();
  for (const folder of [noModels, work]) rmSync(folder, { recursive: true, force: true });
});

async function withFreshPage(body) {
  const session = await demo.openPage();
  try {
    await body(session.page);
    assert.deepEqual(session.foreignRequests(), [], 'no request leaves the page\'s origin');
    assert.deepEqual(session.errors, []);
  } finally {
    await session.close();
  }
}

// Picks model files; with a photo on the page, a loaded model's result is waited for too.
async function useOwn(page, files) {
  const results = await page.evaluate(() => window.vestisCounters.results);
  const outcome = await afterCounter(page, ['modelsLoaded', 'modelErrors'], () => page.setInputFiles('#own-model', files));
  if (outcome === 'modelsLoaded' && results > 0) await page.waitForFunction((n) => window.vestisCounters.results > n, results);
  return outcome;
}

async function refused(page, files, pattern) {
  assert.equal(await useOwn(page, files), 'modelErrors');
  const status = await statusText(page, 'model-status');
  assert.ok(status.error);
  assert.match(status.text, pattern);
  return status.text;
}

const ownModel = (name) => [file(name, 'model.onnx'), file(name, 'card.json')];

test('your own model and card run like a served model', () => withFreshPage(async (page) => {
  assert.equal(await useOwn(page, ownModel('tiny-resnet18')), 'modelsLoaded');
  assert.equal(await page.$eval('#model-picker', (p) => p.selectedOptions[0].textContent), 'your model: tiny-resnet18');
  assert.equal(await page.evaluate(() => document.documentElement.dataset.model), 'tiny-resnet18');
  assert.match(await page.textContent('#model-card'), /12 categories, 22 attributes \(sigmoid\), 8 landmarks/);
  assert.equal(await uploadPhoto(page, photoFile), 'results');
  assertSameAsNative(await shownResult(page), await nativePredictAsShown(page, join(modelsDir, 'tiny-resnet18'), photoPath));
}));

test('wrong model files get clear messages and the page keeps its model', () => withFreshPage(async (page) => {
  assert.equal(await useOwn(page, ownModel('tiny-resnet18')), 'modelsLoaded');
  await refused(page, [file('tiny-full', 'model.onnx')],
                /^Choose two files together: the model \(\.onnx\) and its card \(card\.json\), as `vestis export` writes them\. Got 'model\.onnx'\. Still using tiny-resnet18\.$/);
  await refused(page, [text('model.onnx', 'this is not an ONNX model'), file('tiny-full', 'card.json')],
                /^Could not use your model: 'model\.onnx' is not an ONNX model onnxruntime-web can load \(.+\) Still using tiny-resnet18\.$/);
  await refused(page, [text('model.onnx', ''), file('tiny-full', 'card.json')], /^'model\.onnx' is empty, not an ONNX model\. Still using tiny-resnet18\.$/);
  await refused(page, [file('tiny-full', 'model.onnx'), text('card.json', '{"format": "vestis-model-card"')],
                /^Could not use your model: card\.json: .*(JSON|parse|unexpected|end of input)/i);
  await refused(page, [file('tiny-full', 'model.onnx'), text('card.json', '{"format": "vestis-model-card", "version": 1}')],
                /^Could not use your model: card\.json: /);
  const mismatch = await refused(page, [file('tiny-full', 'model.onnx'), file('tiny-resnet18', 'card.json')],
                                 /card and model\.onnx disagree: were they exported together\?/);
  assert.match(mismatch, /card\.json: outputs\.attribute_logits: expected \[\?, 22\], the graph gives \[\?, 2, 22\]/);
  // Still usable, with the model it had.
  assert.equal(await uploadPhoto(page, photoFile), 'results');
  assert.equal(await page.evaluate(() => window.vestisLastResult.model), 'tiny-resnet18');
  assertSameAsNative(await shownResult(page), await nativePredictAsShown(page, join(modelsDir, 'tiny-resnet18'), photoPath));
}));

test('a second model of your own, then back to the first without loading it again', () => withFreshPage(async (page) => {
  assert.equal(await useOwn(page, ownModel('tiny-resnet18')), 'modelsLoaded');
  assert.equal(await uploadPhoto(page, photoFile), 'results');
  assert.equal(await useOwn(page, ownModel('tiny-full-int8')), 'modelsLoaded');
  assert.deepEqual(await page.$$eval('#model-picker option', (list) => list.map((o) => o.textContent)),
                   ['no models here: use your own', 'your model: tiny-resnet18', 'your model: tiny-full-int8']);
  assertSameAsNative(await shownResult(page), await nativePredictAsShown(page, join(modelsDir, 'tiny-full-int8'), photoPath));
  assert.equal(await chooseModel(page, 'your model: tiny-resnet18'), 'modelsLoaded');
  assert.equal(await page.evaluate(() => window.vestisLastResult.model), 'tiny-resnet18');
  assertSameAsNative(await shownResult(page), await nativePredictAsShown(page, join(modelsDir, 'tiny-resnet18'), photoPath));
}));

test('a tagger shows its tags by kind from its card\'s threshold, and nothing it lacks', () => withFreshPage(async (page) => {
  const card = JSON.parse(readFileSync(file('tiny-tags', 'card.json'), 'utf8'));
  assert.equal(await useOwn(page, ownModel('tiny-tags')), 'modelsLoaded');
  const heads = await page.textContent('#model-card');
  assert.match(heads, /22 attributes \(sigmoid\)/);
  assert.doesNotMatch(heads, /categories|landmarks/);
  // The slider starts at the card's threshold, to its 0.01 step.
  const threshold = Number(await page.$eval('#threshold', (t) => t.value));
  assert.ok(Math.abs(threshold - card.threshold) <= 0.005, `threshold ${threshold}, the card's ${card.threshold}`);
  assert.equal(await uploadPhoto(page, photoFile), 'results');
  for (const id of ['categories-section', 'overlay-controls', 'landmarks-section']) {
    assert.equal(await page.$eval(`#${id}`, (e) => e.hidden), true, `#${id} is offered`);
  }
  const shown = await shownResult(page);
  assert.deepEqual(Object.keys(shown.attributes), ['pattern', 'material', 'silhouette', 'detail', 'look']);
  // Without a category the status line leads with the likeliest tags shown.
  const likeliest = Object.values(shown.attributes).flat().sort((a, b) => b.probability - a.probability)[0];
  const status = await page.textContent('#status');
  assert.ok(likeliest === undefined ? /^no tag at \d+% or above — tiny-tags on /.test(status)
                                    : status.startsWith(`${likeliest.name}, `) && status.includes(' — tiny-tags on '), status);
  assertSameAsNative(shown, nativePredict(join(modelsDir, 'tiny-tags'), photoPath, ['--threshold', String(threshold)]));
  // A new threshold renews the status line's tags: none at 100%, the likeliest of all at 0%.
  await page.focus('#threshold');
  await page.keyboard.press('End');
  await page.waitForFunction(() => /^no tag at 100% or above — tiny-tags on /.test(document.getElementById('status').textContent));
  await page.keyboard.press('Home');
  await page.waitForFunction(() => /^[^—]+, \d+\.\d%; .+ — tiny-tags on /.test(document.getElementById('status').textContent));
  const all = Object.values((await shownResult(page)).attributes).flat().sort((a, b) => b.probability - a.probability);
  assert.ok((await page.textContent('#status')).startsWith(`${all[0].name}, ${(100 * all[0].probability).toFixed(1)}%; `));
  // Once the status line says something else (a refused photo), the slider leaves it be.
  const note = { name: 'notes.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('not a photo, a note') };
  assert.equal(await uploadPhoto(page, note), 'photoErrors');
  const refused = await statusText(page);
  assert.ok(refused.error && refused.text.includes('notes.jpg'), refused.text);
  await page.focus('#threshold');
  await page.keyboard.press('End');
  await page.waitForFunction(() => window.vestisLastResult.threshold === 1);   // the tags are re-rendered at 100%
  assert.deepEqual(await statusText(page), refused);
}));
