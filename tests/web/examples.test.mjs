// The demo as it first starts, with the models Vestis ships (models/manifest.json, the first
// loaded) and the example photos (web/examples/examples.json): a click on an example tags that
// photo; each model is offered only the overlays and sections its card lists, and starts with
// its card's attribute threshold. Written against whatever the manifest lists first.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterCounter, chooseModel, openDemo, statusText } from './helpers.mjs';
import { headerSize } from '../../web/photo.js';

const root = resolve(import.meta.dirname, '../..');
const readJson = (...path) => JSON.parse(readFileSync(join(root, ...path), 'utf8'));
const manifest = readJson('models', 'manifest.json');
const examples = readJson('web', 'examples', 'examples.json').examples;
const cardOf = (name) => readJson('models', manifest.models.find((m) => m.name === name).path, 'card.json');
let demo, page;

before(async () => {
  demo = await openDemo({ waitForModel: true });   // tools/serve.mjs's defaults: web/ and models/
  page = demo.page;
});
after(async () => { await demo?.close(); });

// What the page offers for the model in use, read from the page.
const offered = () => page.evaluate(() => {
  const visible = (id) => { const e = document.getElementById(id); return Boolean(e.offsetParent || e.getClientRects().length); };
  return {
    landmarks: visible('show-landmarks'), heatmaps: visible('show-heatmaps'), attention: visible('show-attention'),
    opacity: visible('overlay-opacity'), landmarkTable: visible('landmarks'), attributes: visible('attributes-section'),
    threshold: Number(document.getElementById('threshold').value),
  };
});

// ... as the card says: an empty output name means the model lacks that output (model_card.h).
function assertOffersWhatTheCardLists(shown, card) {
  const { outputs } = card;
  const expected = {
    landmarks: Boolean(outputs.landmark_heatmaps), heatmaps: Boolean(outputs.landmark_heatmaps),
    attention: Boolean(outputs.attention), opacity: Boolean(outputs.landmark_heatmaps || outputs.attention),
    landmarkTable: Boolean(outputs.landmark_heatmaps), attributes: Boolean(outputs.attribute_logits),
    threshold: card.threshold ?? 0,   // the page's default when the card gives none
  };
  assert.deepEqual(shown, expected, `what the page offers for ${card.name}`);
}

// Landmarks drawn on the photo: inside it, and only points that garment type has (DeepFashion:
// upper-body garments have no waistline, lower-body ones no collar or sleeves).
function assertDrawnLandmarksBelong(result, card) {
  const type = card.categories[result.categories[0].index].type ?? '';
  const lacks = { upper: /waistline/, lower: /collar|sleeve/ }[type];
  for (const l of result.landmarks) {
    const inside = l.x >= -0.5 && l.x <= result.width - 0.5 && l.y >= -0.5 && l.y <= result.height - 0.5;
    if (!inside || (lacks && lacks.test(l.name))) assert.equal(l.drawn, false, `${l.name} on a '${type}' garment at (${l.x}, ${l.y})`);
    else assert.equal(l.drawn, true, l.name);
  }
}

test('the examples strip shows the photos examples.json lists', async () => {
  assert.ok(examples.length > 0);
  for (const example of examples) assert.ok(existsSync(join(root, 'web', 'examples', example.file)), example.file);
  assert.ok(existsSync(join(root, 'web', 'examples', 'LICENSE')));
  assert.equal(await page.isVisible('#examples'), true);
  // Every thumbnail loads: the server serves examples/ and the Content-Security-Policy allows it.
  await page.waitForFunction(() => [...document.querySelectorAll('#example-list img')].every((image) => image.complete));
  const shown = await page.$$eval('#example-list button', (list) => list.map((button) => ({
    file: button.dataset.file, label: button.textContent.trim(), loaded: button.querySelector('img').naturalWidth > 0 })));
  assert.deepEqual(shown, examples.map((e) => ({ file: e.file, label: e.label, loaded: true })));
  assert.match(await page.textContent('#examples-credit'), /CC0/);
});

test('a click on an example tags that photo with the model the manifest lists first', async () => {
  const first = manifest.models[0];
  assert.equal(await page.evaluate(() => document.documentElement.dataset.model), first.name);
  const card = cardOf(first.name);
  const names = card.categories.map((c) => c.name);
  for (const example of examples) {   // several, so a result cannot be the one before
    const outcome = await afterCounter(page, ['results', 'photoErrors'],
                                       () => page.click(`#example-list button[data-file="${example.file}"]`));
    assert.equal(outcome, 'results', example.file);
    const result = await page.evaluate(() => window.vestisLastResult);
    const size = headerSize(readFileSync(join(root, 'web', 'examples', example.file)));
    assert.deepEqual({ photo: result.photo, model: result.model, width: result.width, height: result.height },
                     { photo: example.file, model: first.name, width: size.width, height: size.height });
    assert.equal(await page.textContent('#photo-caption'), `${example.file}, ${size.width}×${size.height}`);
    const shown = await page.$$eval('#categories li', (list) => list.map((li) => li.dataset.name));
    assert.ok(shown.length > 0 && shown.every((name) => names.includes(name)), `categories shown: ${shown}`);
    // A model of the examples' classes (the shipped garment-photo model opens first) names each right.
    if (names.includes(example.label)) assert.equal(shown[0], example.label, `${example.file} tagged ${shown}`);
    const status = await statusText(page);
    assert.equal(status.error, false);
    assert.ok(status.text.startsWith(`${shown[0]}, `) && status.text.includes(`${first.name} on '${example.file}'`), status.text);
    assertDrawnLandmarksBelong(result, card);
  }
  assertOffersWhatTheCardLists(await offered(), card);
});

test('a model with categories only (fashion-mnist) is offered no overlays, and one with them is again', async () => {
  const categoriesOnly = cardOf('fashion-mnist');
  assert.deepEqual(Object.keys(categoriesOnly.outputs), ['category_logits']);
  if ((await page.evaluate(() => window.vestisCounters.results)) === 0) {
    assert.equal(await afterCounter(page, ['results'], () => page.click('#example-list button')), 'results');
  }
  assert.equal(await chooseModel(page, 'fashion-mnist'), 'modelsLoaded');   // waits for the photo's new result too
  const shown = await offered();
  assertOffersWhatTheCardLists(shown, categoriesOnly);
  assert.equal(await page.isHidden('#overlay-controls'), true, 'no overlay to show: the whole fieldset goes');
  for (const role of ['landmarks', 'landmark heatmaps', 'attention']) {
    assert.equal(await page.getByRole('checkbox', { name: role, exact: true }).count(), 0, role);
  }
  assert.equal(await page.$$eval('#landmarks tbody tr', (rows) => rows.length), 0);
  assert.ok((await page.$$eval('#categories li', (list) => list.length)) > 0);

  // A model whose card lists landmarks gets its toggles back.
  const withLandmarks = manifest.models.find((m) => cardOf(m.name).outputs.landmark_heatmaps);
  if (withLandmarks) {
    assert.equal(await chooseModel(page, withLandmarks.name), 'modelsLoaded');
    assertOffersWhatTheCardLists(await offered(), cardOf(withLandmarks.name));
    const result = await page.evaluate(() => window.vestisLastResult);
    assert.ok(result.landmarks.length > 0);
    assertDrawnLandmarksBelong(result, cardOf(withLandmarks.name));
  }
  assert.deepEqual(demo.foreignRequests(), []);
  assert.deepEqual(demo.errors, []);
});
