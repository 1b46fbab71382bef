// The golden cases written by native shared/ (make_golden) must come out the same, to 1e-6,
// from the WASM build through the same bindings the browser uses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadVestis } from './load_vestis.mjs';

const tolerance = 1e-6;
const golden = JSON.parse(readFileSync(process.env.VESTIS_GOLDEN, 'utf8'));
const vestis = await loadVestis();

function assertClose(actual, expected, what) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let worst = 0, at = -1;
  for (let i = 0; i < expected.length; ++i) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= worst)) { worst = d; at = i; }
  }
  assert.ok(worst <= tolerance, `${what}: |wasm - native| = ${worst} at ${at} (wasm ${actual[at]}, native ${expected[at]})`);
}

function withPipeline(card, fn) {
  const pipeline = new vestis.Pipeline(JSON.stringify(card), 'golden card');
  try {
    assert.equal(pipeline.error(), '');
    return fn(pipeline);
  } finally {
    pipeline.delete();
  }
}

function preprocessPhoto(pipeline, photo, box) {
  const pixels = pipeline.inputBuffer(photo.width, photo.height, photo.channels ?? 4);
  if (photo.pixels) pixels.set(photo.pixels);
  const result = pipeline.preprocess(photo.width, photo.height, photo.channels ?? 4, box);
  assert.ok(result.ok, result.error);
  return result;
}

const checks = {
  preprocess(c) {
    withPipeline(c.card, (p) => {
      const result = preprocessPhoto(p, c.photo, c.box);
      const r = (o) => [o.x, o.y, o.width, o.height];
      assert.deepEqual(r(result.crop), c.crop);
      assert.deepEqual(r(result.content), c.content);
      assertClose(p.inputTensor(), c.tensor, 'tensor');
    });
  },
  categories(c) {
    withPipeline(c.card, (p) => {
      const got = p.categories(c.logits, c.k);
      assert.deepEqual(got.map((e) => e.index), c.expected.map((e) => e[0]));
      assertClose(got.map((e) => e.probability), c.expected.map((e) => e[1]), 'probabilities');
      assert.equal(got[0].name, c.card.categories[c.expected[0][0]].name);
    });
  },
  attributes(c) {
    withPipeline(c.card, (p) => {
      const got = p.attributes(c.logits, c.k, c.threshold);
      assert.deepEqual(got.map((g) => g.type), c.expected.map((g) => g.type));
      got.forEach((g, i) => {
        assert.deepEqual(g.tags.map((t) => t.index), c.expected[i].tags.map((t) => t[0]));
        assertClose(g.tags.map((t) => t.probability), c.expected[i].tags.map((t) => t[1]), `${g.type} probabilities`);
      });
    });
  },
  landmarks(c) {
    withPipeline(c.card, (p) => {
      preprocessPhoto(p, { ...c.photo, channels: 4 }, c.box);
      const got = p.landmarks(c.heatmaps, c.width, c.height);
      assertClose(got.flatMap((l) => [l.x, l.y, l.inputX, l.inputY, l.confidence]), c.expected.flat(), 'landmarks');
      assert.equal(got[7].name, 'right_hem');
    });
  },
  overlay(c) {
    withPipeline(c.card, (p) => {
      const rgba = p.overlay(c.maps, c.width, c.height, c.opacity, true, 0, 1);
      assert.deepEqual(Array.from(rgba), c.expected);
    });
  },
  card_error(c) {
    assert.equal(vestis.checkCard(c.text, 'bad.json'), c.expected);
  },
};

for (const c of golden.cases) {
  test(c.name, () => checks[c.kind](c));
}

test('a bad card is reported, not thrown', () => {
  const p = new vestis.Pipeline('{"format": "vestis-model-card"}', 'm/card.json');
  assert.match(p.error(), /^m\/card\.json: version: is missing$/);
  assert.equal(p.preprocess(1, 1, 4, null).ok, false);
  p.delete();
});

test('preprocess refuses a photo that does not match its buffer', () => {
  withPipeline(golden.cases[0].card, (p) => {
    p.inputBuffer(10, 10, 4);
    const result = p.preprocess(20, 10, 4, null);
    assert.equal(result.ok, false);
    assert.match(result.error, /input buffer holds 400 bytes/);
  });
});
