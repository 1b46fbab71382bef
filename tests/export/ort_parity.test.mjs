// onnxruntime-node (the runtime family the browser uses) on the exported parity models against
// LibTorch's outputs: logits within 1e-4 (relative once above 1), the same top-5, heatmaps
// and attention alike. The C++ test binary writes the models, inputs and LibTorch outputs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const require = createRequire(path.join(process.env.VESTIS_WEB_MODULES ?? 'web/node_modules', 'x.js'));
const ort = require('onnxruntime-node');

const out = fs.mkdtempSync(path.join(os.tmpdir(), 'vestis-parity-'));
execFileSync(process.env.VESTIS_EXPORT_TESTS, ['--gtest_filter=parity_files.*'], {
  env: { ...process.env, VESTIS_PARITY_OUT: out },
  stdio: 'inherit',
});

function floats(file) {
  const bytes = fs.readFileSync(file);
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
}

function relativeDifference(expected, actual) {
  assert.equal(actual.length, expected.length);
  let scale = 1, worst = 0;
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < expected.length; ++i) worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
  return worst / scale;
}

function top5(values, offset, count) {
  const order = Array.from({ length: count }, (_, i) => i);
  order.sort((a, b) => values[offset + b] - values[offset + a] || a - b);
  return order.slice(0, 5);
}

const cases = fs.readdirSync(out).sort();
test('the parity models were written', () => assert.ok(cases.length >= 6, `only ${cases.join(', ')}`));

for (const name of cases) {
  test(`${name}: onnxruntime-node agrees with LibTorch`, async () => {
    const dir = path.join(out, name);
    const card = JSON.parse(fs.readFileSync(path.join(dir, 'card.json'), 'utf8'));
    const session = await ort.InferenceSession.create(path.join(dir, 'model.onnx'), { intraOpNumThreads: 2 });
    const { width, height } = card.input;
    const images = floats(path.join(dir, 'image.bin'));
    const batch = images.length / (3 * width * height);
    const result = await session.run({ [card.input.name]: new ort.Tensor('float32', images, [batch, 3, height, width]) });

    const categories = card.categories.length;
    const logits = result[card.outputs.category_logits].data;
    const expectedLogits = floats(path.join(dir, 'category_logits.bin'));
    assert.ok(relativeDifference(expectedLogits, logits) < 1e-4);
    for (let i = 0; i < batch; ++i) {
      assert.deepEqual(top5(logits, i * categories, categories), top5(expectedLogits, i * categories, categories));
    }
    assert.ok(relativeDifference(floats(path.join(dir, 'attribute_logits.bin')), result[card.outputs.attribute_logits].data) < 1e-4);
    if (card.outputs.landmark_heatmaps) {
      assert.ok(relativeDifference(floats(path.join(dir, 'landmark_heatmaps.bin')), result[card.outputs.landmark_heatmaps].data) < 1e-4);
    }
    if (card.outputs.attention) {
      assert.ok(relativeDifference(floats(path.join(dir, 'attention.bin')), result[card.outputs.attention].data) < 1e-4);
    }
  });
}

test.after(() => fs.rmSync(out, { recursive: true, force: true }));
