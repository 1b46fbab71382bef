// Does a model card describe this ONNX graph? The same checks `vestis predict` makes before
// it runs a model (native/runtime/onnx_model.cpp), on the input/output names and shapes that
// onnxruntime-web reports, so a card and a model from different exports are refused with a
// message instead of giving wrong tags.

export class ModelError extends Error {}

// A shape as numbers, -1 for a symbolic dimension ("batch").
const dimsOf = (metadata) => (metadata?.shape ?? []).map((d) => (typeof d === 'number' ? d : -1));
const shapeText = (dims) => `[${dims.map((d) => (d < 0 ? '?' : d)).join(', ')}]`;

export function checkGraph(card, session, cardSource) {
  const fail = (field, message) => {
    throw new ModelError(`${cardSource}: ${field}: ${message} (card and model.onnx disagree: were they exported together?)`);
  };
  const metadata = (list, name) => (list ?? []).find((m) => m.name === name);

  if (session.inputNames.length !== 1) fail('input', `the graph has ${session.inputNames.length} inputs, expected 1`);
  const inputName = session.inputNames[0];
  if (inputName !== card.input.name) fail('input.name', `'${card.input.name}', but the graph's input is '${inputName}'`);
  const input = dimsOf(metadata(session.inputMetadata, inputName));
  if (input.length !== 4 || input[1] !== 3 || input[2] !== card.input.height || input[3] !== card.input.width) {
    fail('input', `size ${card.input.width}x${card.input.height}, but the graph takes ${shapeText(input)}`);
  }

  const output = (field, name) => {
    if (!name) return null;
    if (!session.outputNames.includes(name)) fail(`outputs.${field}`, `names '${name}', which is not an output of the graph`);
    return dimsOf(metadata(session.outputMetadata, name));
  };
  const expect = (field, dims, expected) => {
    if (!dims) return;
    const same = dims.length === expected.length &&
                 expected.every((e, i) => i === 0 || e < 0 || dims[i] < 0 || dims[i] === e);
    if (!same) fail(`outputs.${field}`, `expected ${shapeText(expected)}, the graph gives ${shapeText(dims)}`);
  };
  const { outputs } = card;
  // A card omits the lists a model lacks (a tagger has no categories).
  expect('category_logits', output('category_logits', outputs.category_logits), [-1, (card.categories ?? []).length]);
  const attributes = (card.attributes ?? []).length;
  expect('attribute_logits', output('attribute_logits', outputs.attribute_logits),
         outputs.attribute_encoding === 'two_class' ? [-1, 2, attributes] : [-1, attributes]);
  expect('landmark_heatmaps', output('landmark_heatmaps', outputs.landmark_heatmaps), [-1, (card.landmarks ?? []).length, -1, -1]);
  expect('attention', output('attention', outputs.attention), [-1, 1, -1, -1]);
}
