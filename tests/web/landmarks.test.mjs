// Which landmarks the page draws (web/landmarks.js, run in the worker): never one outside the
// photo, never one the garment type lacks; the rest, and names that are not DeepFashion's, are.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { garmentHasLandmark, judgeLandmarks } from '../../web/landmarks.js';

const names = ['left_collar', 'right_collar', 'left_sleeve', 'right_sleeve', 'left_waistline', 'right_waistline',
               'left_hem', 'right_hem'];
const inside = (name) => ({ name, x: 10, y: 20, confidence: 0.9 });
const drawnNames = (type) => judgeLandmarks(names.map(inside), type, 100, 200).filter((l) => l.drawn).map((l) => l.name);

test('each garment type draws only its own landmarks', () => {
  assert.deepEqual(drawnNames('upper'), ['left_collar', 'right_collar', 'left_sleeve', 'right_sleeve', 'left_hem', 'right_hem']);
  assert.deepEqual(drawnNames('lower'), ['left_waistline', 'right_waistline', 'left_hem', 'right_hem']);
  assert.deepEqual(drawnNames('full'), names);
  assert.deepEqual(drawnNames(''), names, 'a category without a type: nothing is known to be missing');
  assert.equal(garmentHasLandmark('lower', 'toe'), true, 'a name that is not DeepFashion\'s is drawn');
  const [collar] = judgeLandmarks([inside('left_collar')], 'lower', 100, 200);
  assert.deepEqual([collar.drawn, collar.hiddenBecause], [false, 'not a point of a lower-body garment']);
});

test('no landmark outside the photo is drawn', () => {
  // The photo spans [-0.5, width - 0.5] x [-0.5, height - 0.5] (pixel centres at integers).
  const at = (x, y) => judgeLandmarks([{ name: 'left_hem', x, y, confidence: 1 }], 'full', 100, 200)[0];
  for (const [x, y] of [[-0.5, -0.5], [99.5, 199.5], [0, 0], [50, 100]]) assert.equal(at(x, y).drawn, true, `${x}, ${y}`);
  for (const [x, y] of [[-0.6, 10], [99.6, 10], [10, -1], [10, 199.6], [-20, 400]]) {
    const l = at(x, y);
    assert.deepEqual([l.drawn, l.hiddenBecause], [false, 'outside the photo'], `${x}, ${y}`);
  }
});
