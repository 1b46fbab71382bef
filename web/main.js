// The demo page: choose a model and a photo; the worker (worker.js) decodes, preprocesses
// (shared/ C++ as WASM), runs onnxruntime-web and postprocesses (shared/ again); this thread
// only shows the results, so the page never freezes.
import { Engine, latestOnly } from './engine.js';
import { fetchServedModel, loadManifest, readOwnModel } from './models.js';
import { PhotoView } from './photo_view.js';
import { cardOutputs, cardThreshold, renderAttributes, renderCard, renderCategories, renderLandmarks,
         renderTimings } from './results.js';
import { fetchExample, loadExamples, renderExamples } from './examples.js';
import { setUpCamera } from './camera.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);   // ?model=NAME&threads=N (for measurements)
const engine = new Engine();
// First in the worker's queue: whatever the person does next waits for the engine to start.
const engineStarted = engine.call('init', { threads: Number(params.get('threads')) || 0 });
const state = {
  photo: null,            // {id, name, width, height, decodeMs}
  box: null,              // {x1, y1, x2, y2} in photo pixels, or null: the whole photo
  model: null,            // {value, name}: the model in use
  choices: new Map(),     // picker value -> {entry} (served) or {key, name} (own, loaded; its card is in `loaded`)
  loaded: new Map(),      // model key -> card (parsed), for models the worker holds
  photoCount: 0,
  predictionCount: 0,
  modelRequest: 0,        // bumped by each model choice: a slower, older one never takes over
  lastRun: null,          // {categories, ran}: what the status line says the model ran on, so that a new
                          // threshold renews its tags; null while the line says anything else
};
// For tests and measurements: what the page shows, and counters to wait on.
window.vestisCounters = { results: 0, photoErrors: 0, modelsLoaded: 0, modelErrors: 0 };

// The page's readiness, on <html data-ready>: 'loading' (index.html) until the engine has
// started and the model list and examples are on the page, then 'ready' (or 'failed'), with a
// 'vestis:ready' event. <html data-model> names the model in use. Tests wait on these.
function markReady(readiness) {
  document.documentElement.dataset.ready = readiness;
  window.dispatchEvent(new CustomEvent('vestis:ready', { detail: { state: readiness } }));
}

// Messages end as sentences, whatever the library that wrote the first part.
const sentence = (text) => (/[.?!)…]$/.test(text) ? text : `${text}.`);
const stillUsing = () => (state.model ? ` Still using ${state.model.name}.` : '');

function say(element, text, kind = 'info') {
  element.textContent = text;
  element.classList.toggle('error', kind === 'error');
}
const showStatus = (text, kind) => say($('status'), text, kind);
const showModelStatus = (text, kind) => say($('model-status'), text, kind);
const megabytes = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;
const threshold = () => Number($('threshold').value);
const opacity = () => Number($('overlay-opacity').value);
const defaultThreshold = Number($('threshold').defaultValue);   // for cards that give none

const photoView = new PhotoView($('photo-canvas'), (box) => {
  state.box = box;
  $('clear-box').disabled = false;
  requestPrediction();
});

// ---- models ------------------------------------------------------------------------------

function addChoice(value, text, choice) {
  state.choices.set(value, choice);
  const option = new Option(text, value);
  $('model-picker').append(option);
  return option;
}

async function loadModel(value) {
  const choice = state.choices.get(value);
  if (!choice) return;
  const request = ++state.modelRequest;
  const superseded = () => request !== state.modelRequest;
  const progress = $('model-progress');
  const started = performance.now();
  try {
    let key, name, card, note;
    if (choice.entry) {
      const { entry } = choice;
      name = entry.name;
      key = `served:${entry.path}:${entry.version ?? entry.bytes ?? ''}`;
      if (!state.loaded.has(key)) {
        showModelStatus(`Fetching ${name}…`);
        progress.hidden = false;
        progress.removeAttribute('value');   // indeterminate until the size is known
        const files = await fetchServedModel(entry, (loaded, total) => {
          if (total) { progress.max = total; progress.value = loaded; }
          showModelStatus(`Fetching ${name}: ${megabytes(loaded)}${total ? ` of ${megabytes(total)}` : ''}…`);
        });
        showModelStatus(`Starting ${name}…`);
        const size = files.modelBytes.byteLength;   // the buffer moves to the worker
        await engine.call('load-model', { key, name, ...files }, [files.modelBytes]);
        state.loaded.set(key, JSON.parse(files.cardText));
        note = files.cached ? 'from the browser cache' : `downloaded, ${megabytes(size)}`;
      }
    } else {
      ({ key, name } = choice);
    }
    card = state.loaded.get(key);
    // A model chosen since (in the picker, or files of your own) is the one to use: the worker
    // takes requests in order, so skipping this use-model leaves it with the newer model.
    if (superseded()) return;
    await engine.call('use-model', { key });
    state.model = { value, name };
    document.documentElement.dataset.model = name;
    $('model-picker').value = value;
    offerOutputs(card);
    useThreshold(cardThreshold(card) ?? defaultThreshold);
    renderCard($('model-card'), card, note ? { loaded: note } : {});
    $('card-details').hidden = false;
    const ms = performance.now() - started;
    showModelStatus(`${name} is ready${note ? ` (${note}, ${ms.toFixed(0)} ms)` : ''}.`);
    window.vestisCounters.modelsLoaded++;
    if (state.photo) await predict();
  } catch (error) {
    window.vestisCounters.modelErrors++;
    showModelStatus(sentence(`Could not load ${choice.entry?.name ?? choice.name}: ${error.message}`) + stillUsing(), 'error');
    $('model-picker').value = state.model?.value ?? '';
  } finally {
    if (!superseded()) progress.hidden = true;   // a newer download may be showing its progress
  }
}

// Only the overlays, tables and sections of outputs the card lists are offered. Before any
// model is chosen nothing is known to be missing, so everything stays.
function offerOutputs(card) {
  const has = cardOutputs(card);
  for (const name of ['landmarks', 'heatmaps', 'attention']) {
    const box = $(`show-${name}`);
    box.disabled = !has[name];
    $(`${name}-control`).hidden = !has[name];
    photoView.setShown(name, has[name] && box.checked);   // the box keeps its state for the next model
  }
  const maps = has.heatmaps || has.attention;
  $('overlay-opacity').disabled = !maps;
  $('opacity-control').hidden = !maps;
  $('overlay-controls').hidden = !has.landmarks && !maps;
  $('landmarks-section').hidden = !has.landmarks;
  $('attributes-section').hidden = !has.attributes;
  $('categories-section').hidden = !has.categories;
  $('threshold').disabled = !has.attributes;
}

// The attribute threshold of the model in use (its card's, else the page's default).
function useThreshold(value) {
  $('threshold').value = String(value);
  $('threshold-value').textContent = `${Math.round(100 * threshold())}%`;
}

async function loadOwnModel(files) {
  let own;
  try {
    own = await readOwnModel(files);
  } catch (error) {
    window.vestisCounters.modelErrors++;
    showModelStatus(sentence(error.message) + stillUsing(), 'error');
    return;
  }
  if (!state.loaded.has(own.key)) {
    showModelStatus(`Checking ${own.name}…`);
    try {
      await engine.call('load-model', own, [own.modelBytes]);
    } catch (error) {
      window.vestisCounters.modelErrors++;
      showModelStatus(sentence(`Could not use your model: ${error.message}`) + stillUsing(), 'error');
      return;
    }
    state.loaded.set(own.key, JSON.parse(own.cardText));
    addChoice(own.key, `your model: ${own.name}`, { key: own.key, name: own.name });
  }
  await loadModel(own.key);
}

const chooseModel = latestOnly(loadModel, (error) => showModelStatus(error.message, 'error'));

async function setUpModels() {
  const { models, problem } = await loadManifest();
  const picker = $('model-picker');
  if (models.length === 0) picker.append(new Option('no models here: use your own', ''));
  models.forEach((entry, i) => addChoice(`served:${i}`, entry.name, { entry }));
  const describe = () => {
    const entry = state.choices.get(picker.value)?.entry;
    $('model-description').textContent = entry ? `${entry.description ?? ''}${entry.bytes ? ` (${megabytes(entry.bytes)})` : ''}` : '';
  };
  picker.addEventListener('change', () => { describe(); chooseModel(picker.value); });
  if (problem) showModelStatus(problem, models.length ? 'error' : 'info');
  if (models.length) {
    const wanted = models.findIndex((m) => m.name === params.get('model'));
    picker.value = `served:${Math.max(0, wanted)}`;
    describe();
    chooseModel(picker.value);
  }
}

// ---- example photos ----------------------------------------------------------------------

// A host without examples/ (or with a broken list) simply shows no strip.
async function setUpExamples() {
  let examples;
  try {
    examples = await loadExamples();
  } catch (error) {
    console.warn(`No example photos: ${error.message}`);
    return;
  }
  if (examples.length === 0) return;
  renderExamples($('example-list'), $('examples-credit'), examples, (example) => openExample(example));
  $('examples').hidden = false;
}

// An example is fetched, then opened exactly as a photo the person picked.
const openExample = latestOnly(async (example) => {
  state.lastRun = null;
  showStatus(`Fetching the example '${example.file}'…`);
  let file;
  try {
    file = await fetchExample(example);
  } catch (error) {
    window.vestisCounters.photoErrors++;
    showStatus(sentence(`Could not fetch the example '${example.file}': ${error.message}`), 'error');
    return;
  }
  openLatestPhoto(file);
}, (error) => showStatus(error.message, 'error'));

// ---- photos and predictions --------------------------------------------------------------

async function openPhoto(file) {
  state.lastRun = null;
  showStatus(`Reading '${file.name}'…`);
  const id = ++state.photoCount;
  let decoded;
  try {
    decoded = await engine.call('open-photo', { file, id });
  } catch (error) {
    window.vestisCounters.photoErrors++;
    showStatus(error.user ? error.message : `Could not open '${file.name}': ${error.message}`, 'error');
    return;
  }
  state.photo = { id, name: file.name, width: decoded.width, height: decoded.height, decodeMs: decoded.decodeMs };
  state.box = null;
  $('clear-box').disabled = true;
  $('results').hidden = false;
  photoView.setPhoto(decoded.display, decoded.width, decoded.height);
  $('photo-caption').textContent = `${file.name}, ${decoded.width}×${decoded.height}`;
  $('photo-canvas').setAttribute('aria-label', `Your photo, ${file.name}`);
  await predict();
}

async function predict() {
  if (!state.photo) return;
  const sequence = ++state.predictionCount;
  const { photo } = state;
  state.lastRun = null;
  showStatus(state.model ? `Running ${state.model.name} on '${photo.name}'…` : `Preparing '${photo.name}'…`);
  let result;
  try {
    result = await engine.call('predict', { box: state.box, threshold: threshold(), opacity: opacity() });
  } catch (error) {
    showStatus(error.message, 'error');
    return;
  }
  if (sequence !== state.predictionCount || photo !== state.photo) return;   // a newer request is on its way
  showResult(result, photo);
}

function showResult(result, photo) {
  const timings = { decode: photo.decodeMs, ...result.timings };
  const input = $('input-canvas');
  input.width = result.input.width;
  input.height = result.input.height;
  input.getContext('2d').putImageData(result.input, 0, 0);
  $('input-caption').textContent = `Network input, ${result.input.width}×${result.input.height}, made by the shared C++ preprocessing`;
  photoView.setResult(result);
  photoView.setOverlays(result.overlays ?? {});
  renderCategories($('categories'), result.categories);
  renderAttributes($('attributes'), result.attributes, threshold());
  renderLandmarks($('landmarks').tBodies[0], result.landmarks);
  renderTimings($('timings'), timings);
  const { input: _image, overlays: _maps, ...numbers } = result;
  window.vestisLastResult = { ...numbers, photo: photo.name, timings, threshold: threshold() };
  window.vestisCounters.results++;
  if (!result.categories) {   // no model ran: the photo is only prepared
    showStatus(`'${photo.name}' is ready. Choose a model (or use your own) to get its tags.`);
    return;
  }
  window.vestisFirstResultMs ??= performance.now();   // page load to first tags
  const ran = `${result.model} on '${photo.name}'${result.box ? ' (boxed)' : ''}, ` +
              `${Object.values(result.timings).reduce((a, b) => a + b, 0).toFixed(0)} ms.`;
  state.lastRun = { categories: result.categories, ran };
  showStatus(`${headline(result)} — ${ran}`);
}

// What the status line leads with: the top category, or for a tagger its three likeliest tags shown.
function headline(result) {
  const named = (t) => `${t.name}, ${(100 * t.probability).toFixed(1)}%`;
  if (result.categories?.length) return named(result.categories[0]);
  const tags = (result.attributes ?? []).flatMap((group) => group.tags).sort((a, b) => b.probability - a.probability);
  return tags.length ? tags.slice(0, 3).map(named).join('; ') : `no tag at ${(100 * threshold()).toFixed(0)}% or above`;
}

const requestPrediction = latestOnly(predict, (error) => showStatus(error.message, 'error'));
const openLatestPhoto = latestOnly(openPhoto, (error) => showStatus(error.message, 'error'));

const updateAttributes = latestOnly(async (value) => {
  const groups = await engine.call('attributes', { threshold: value });
  renderAttributes($('attributes'), groups, value);
  if (window.vestisLastResult) Object.assign(window.vestisLastResult, { attributes: groups, threshold: value });
  const { lastRun } = state;
  if (lastRun && !lastRun.categories?.length) showStatus(`${headline({ attributes: groups })} — ${lastRun.ran}`);
}, (error) => showStatus(error.message, 'error'));

const updateOverlays = latestOnly(async (value) => {
  const images = await engine.call('overlays', { opacity: value });
  if (images) await photoView.setOverlays(images);
}, (error) => showStatus(error.message, 'error'));

// ---- controls ----------------------------------------------------------------------------

$('threshold').addEventListener('input', () => {
  $('threshold-value').textContent = `${Math.round(100 * threshold())}%`;
  updateAttributes(threshold());
});
$('overlay-opacity').addEventListener('input', () => {
  $('overlay-opacity-value').textContent = `${Math.round(100 * opacity())}%`;
  updateOverlays(opacity());
});
for (const name of ['landmarks', 'heatmaps', 'attention']) {
  const box = $(`show-${name}`);
  box.addEventListener('change', () => photoView.setShown(name, box.checked));
}
$('clear-box').addEventListener('click', () => {
  state.box = null;
  $('clear-box').disabled = true;
  requestPrediction();
});
$('photo-input').addEventListener('change', (event) => {
  const [file] = event.target.files;
  event.target.value = '';   // choosing the same file again is a new choice
  if (file) openLatestPhoto(file);
});
$('own-model').addEventListener('change', (event) => {
  const files = [...event.target.files];
  event.target.value = '';
  if (files.length) loadOwnModel(files);
});

// Dropped files: a model (.onnx + .json) or a photo. Dropping anywhere never navigates away.
const zone = $('drop-zone');
document.addEventListener('dragover', (event) => { event.preventDefault(); zone.classList.add('dragging'); });
document.addEventListener('dragleave', (event) => { if (!event.relatedTarget) zone.classList.remove('dragging'); });
document.addEventListener('drop', (event) => {
  event.preventDefault();
  zone.classList.remove('dragging');
  const files = [...(event.dataTransfer?.files ?? [])];
  if (files.some((f) => /\.(onnx|json)$/i.test(f.name))) loadOwnModel(files);
  else if (files.length) openLatestPhoto(files[0]);
});
document.addEventListener('paste', (event) => {
  const file = [...(event.clipboardData?.files ?? [])].find((f) => f.type.startsWith('image/'));
  if (file) openLatestPhoto(file);
});
setUpCamera({ button: $('camera-button'), dialog: $('camera-dialog'), video: $('camera-video'), takeButton: $('camera-take'),
              onPhoto: openLatestPhoto, onError: (message) => showStatus(message, 'error') });

// ---- start -------------------------------------------------------------------------------

// Files chosen while the page's scripts were still loading had no listener yet.
if ($('photo-input').files.length) openLatestPhoto($('photo-input').files[0]);
if ($('own-model').files.length) loadOwnModel([...$('own-model').files]);

const examplesShown = setUpExamples();   // fetched while the engine starts
try {
  const info = await engineStarted;
  $('build').textContent = `Vestis ${info.build} · onnxruntime-web ${info.ort}, WebAssembly, ${info.threads} ` +
    `thread${info.threads === 1 ? '' : 's'} · ${info.isolated ? 'cross-origin isolated' : 'not cross-origin isolated (single-threaded)'}`;
  window.vestisEngine = info;
  await setUpModels();
  await examplesShown;
  markReady('ready');
} catch (error) {
  say($('build'), `Vestis could not start: ${error.message}`, 'error');
  markReady('failed');
}
