// The demo's engine, off the page's thread so the page never freezes: photo decoding,
// shared/ C++ pre- and post-processing (WASM, the same code as `vestis predict`) and
// onnxruntime-web inference. The page talks to it with {id, type, ...} messages (see
// engine.js); requests are handled one at a time, in order, because a Pipeline's buffers
// are shared between its calls.
import createVestis from '/wasm/vestis_web.mjs';
import * as ort from '/ort/ort.wasm.min.mjs';
import { decodePhoto, PhotoError } from './photo.js';
import { checkGraph, ModelError } from './graph_check.js';
import { judgeLandmarks } from './landmarks.js';

const topCategories = 5, attributesPerType = 5;   // as `vestis predict` by default

let vestis = null;
const models = new Map();   // key -> {name, pipeline, session, card}: each model is loaded once
let current = null;         // the model predictions use; null: the default input card only
let defaultModel = null;    // preprocessing without a model, with the reference input card
let photo = null;           // {id, width, height, data}: the decoded photo, kept for re-runs
let last = null;            // the last prediction's raw outputs, for threshold/opacity changes

class UserError extends Error {}
class Transfer { constructor(value, list) { this.value = value; this.list = list; } }   // a reply that moves buffers
const elapsed = (start) => performance.now() - start;

async function init({ threads }) {
  vestis = await createVestis();
  ort.env.wasm.wasmPaths = new URL('/ort/', self.location.href).href;
  ort.env.wasm.proxy = false;   // this is already a worker
  // Threads need SharedArrayBuffer, which only a cross-origin isolated page has.
  const wanted = threads > 0 ? threads : 2;
  ort.env.wasm.numThreads = self.crossOriginIsolated ? wanted : 1;
  defaultModel = { name: 'reference input', pipeline: newPipeline(vestis.defaultInputCard(), 'default card'), session: null };
  return { build: vestis.buildInfo(), threads: ort.env.wasm.numThreads, isolated: self.crossOriginIsolated,
           ort: ort.env.versions.web };
}

function newPipeline(cardText, source) {
  const pipeline = new vestis.Pipeline(cardText, source);
  const error = pipeline.error();
  if (error) { pipeline.delete(); throw new UserError(error); }
  return pipeline;
}

// {key, name, cardText, cardSource, modelBytes (ArrayBuffer), modelSource}: validates the
// card (shared/'s parser), the graph (onnxruntime) and that they agree, then keeps both.
async function loadModel({ key, name, cardText, cardSource, modelBytes, modelSource }) {
  if (models.has(key)) return useModel({ key });
  const cardError = vestis.checkCard(cardText, cardSource);
  if (cardError) throw new UserError(cardError);
  const pipeline = newPipeline(cardText, cardSource);
  let session;
  try {
    session = await ort.InferenceSession.create(new Uint8Array(modelBytes), { executionProviders: ['wasm'] });
  } catch (error) {
    pipeline.delete();
    const detail = String(error?.message ?? error).replace(/^Error: /, '');
    throw new UserError(`${modelSource} is not an ONNX model onnxruntime-web can load (${detail})`);
  }
  const card = JSON.parse(pipeline.cardJson());   // the card as shared/ read it, defaults filled in
  try {
    checkGraph(card, session, cardSource);
  } catch (error) {
    pipeline.delete();
    await session.release();
    throw error instanceof ModelError ? new UserError(error.message) : error;
  }
  models.set(key, { name, pipeline, session, card, photoId: null });
  return useModel({ key });
}

function useModel({ key }) {
  const model = models.get(key);
  if (!model) return { loaded: false };
  current = model;
  last = null;
  return { loaded: true, inputWidth: model.pipeline.inputWidth(), inputHeight: model.pipeline.inputHeight() };
}

async function openPhoto({ file, id }) {
  const start = performance.now();
  let decoded;
  try {
    decoded = await decodePhoto(file);
  } catch (error) {
    throw error instanceof PhotoError ? new UserError(error.message) : error;
  }
  photo = { id, width: decoded.width, height: decoded.height, data: decoded.pixels.data };
  last = null;
  const result = { width: decoded.width, height: decoded.height, display: decoded.display, decodeMs: elapsed(start) };
  return new Transfer(result, [decoded.display]);
}

const copyImage = (view, width, height) => new ImageData(new Uint8ClampedArray(view), width, height);

// One map (or several, combined by their maximum) as viridis RGBA, by shared/'s overlay.
function overlayImage(pipeline, map, opacity) {
  if (!map) return null;
  const [, , height, width] = map.dims;
  const view = pipeline.overlay(map.data, width, height, opacity, true, 0, 1);
  return view ? copyImage(view, width, height) : null;
}

function overlays(opacity) {
  const { pipeline } = last.model;
  return { heatmaps: overlayImage(pipeline, last.heatmaps, opacity), attention: overlayImage(pipeline, last.attention, opacity) };
}

// {box: {x1, y1, x2, y2} in photo pixels or null, threshold, opacity} -> everything the page shows.
async function predict({ box, threshold, opacity }) {
  if (!photo) throw new UserError('Choose a photo first');
  const model = current ?? defaultModel;
  const { pipeline } = model;
  const width = pipeline.inputWidth(), height = pipeline.inputHeight();

  let start = performance.now();
  if (model.photoId !== photo.id) {   // each Pipeline has its own photo buffer: fill it once per photo
    pipeline.inputBuffer(photo.width, photo.height, 4).set(photo.data);
    model.photoId = photo.id;
  }
  const prepared = pipeline.preprocess(photo.width, photo.height, 4, box ?? null);
  if (!prepared.ok) throw new UserError(prepared.error);
  const tensor = new Float32Array(pipeline.inputTensor());   // a copy: the view is WASM memory
  const timings = { preprocess: elapsed(start) };
  const input = copyImage(pipeline.inputRgba(), width, height);
  const corners = [pipeline.toSource(-0.5, -0.5), pipeline.toSource(width - 0.5, height - 0.5)];
  const result = { model: model.name, width: photo.width, height: photo.height, box: box ?? null,
                   crop: prepared.crop, input, inputCorners: corners, timings };
  if (!model.session) return new Transfer(result, [input.data.buffer]);

  start = performance.now();
  const { card, session } = model;
  const names = [card.outputs.category_logits, card.outputs.attribute_logits, card.outputs.landmark_heatmaps,
                 card.outputs.attention].filter(Boolean);
  const outputs = await session.run({ [card.input.name]: new ort.Tensor('float32', tensor, [1, 3, height, width]) },
                                    names);
  timings.inference = elapsed(start);

  start = performance.now();
  const output = (name) => (name ? outputs[name] : null);
  last = { model, attributes: output(card.outputs.attribute_logits), heatmaps: output(card.outputs.landmark_heatmaps),
           attention: output(card.outputs.attention) };
  const categoryLogits = output(card.outputs.category_logits);   // a tagger has none
  result.categories = categoryLogits ? pipeline.categories(categoryLogits.data, topCategories) : [];
  result.attributes = attributeGroups(threshold);
  // The top category's garment type decides which landmarks it has (upper-body: no waistline...).
  result.garmentType = card.categories?.[result.categories[0]?.index]?.type ?? '';
  const landmarks = last.heatmaps ? pipeline.landmarks(last.heatmaps.data, last.heatmaps.dims[3], last.heatmaps.dims[2]) : [];
  result.landmarks = judgeLandmarks(landmarks ?? [], result.garmentType, photo.width, photo.height);
  result.overlays = overlays(opacity);
  timings.postprocess = elapsed(start);
  const transfer = [input.data.buffer, ...Object.values(result.overlays).filter(Boolean).map((image) => image.data.buffer)];
  return new Transfer(result, transfer);
}

function attributeGroups(threshold) {
  if (!last?.attributes) return [];
  return last.model.pipeline.attributes(last.attributes.data, attributesPerType, threshold) ?? [];
}

const handlers = {
  init,
  'load-model': loadModel,
  'use-model': useModel,
  'open-photo': openPhoto,
  predict,
  attributes: ({ threshold }) => attributeGroups(threshold),
  overlays: ({ opacity }) => {
    if (!last) return null;
    const images = overlays(opacity);
    return new Transfer(images, Object.values(images).filter(Boolean).map((image) => image.data.buffer));
  },
};

// One request at a time, in order (see the top). A handler returns a value or a Transfer.
let queue = Promise.resolve();
self.onmessage = ({ data }) => {
  queue = queue.then(async () => {
    try {
      const handler = handlers[data.type];
      if (!handler) throw new Error(`unknown request '${data.type}'`);
      if (data.type !== 'init' && !vestis) throw new Error('the engine failed to start');
      const answer = await handler(data);
      if (answer instanceof Transfer) self.postMessage({ id: data.id, value: answer.value }, answer.list);
      else self.postMessage({ id: data.id, value: answer });
    } catch (error) {
      const message = error instanceof UserError ? error.message : `${error?.name ?? 'Error'}: ${error?.message ?? error}`;
      self.postMessage({ id: data.id, error: message, user: error instanceof UserError });
    }
  });
};
