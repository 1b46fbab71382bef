// The demo page: photo -> shared/ C++ preprocessing (WASM) -> the 224x224 network input.
import createVestis from '/wasm/vestis_web.mjs';
import { decodePhoto, PhotoError } from './photo.js';

const $ = (id) => document.getElementById(id);
const vestis = await createVestis();
const defaultCard = JSON.parse(vestis.defaultInputCard());
let pipeline = null;
let lastPhoto = null;

$('build').textContent = `Vestis ${vestis.buildInfo()} · shared/ C++ as WebAssembly · ` +
  `${crossOriginIsolated ? 'cross-origin isolated' : 'not cross-origin isolated (single-threaded)'}`;

function usePolicy(policy) {
  pipeline?.delete();
  const card = { ...defaultCard, input: { ...defaultCard.input, crop: { ...defaultCard.input.crop, policy } } };
  pipeline = new vestis.Pipeline(JSON.stringify(card), 'demo card');
  if (pipeline.error()) throw new Error(pipeline.error());
}

function showStatus(text, isError = false) {
  $('status').textContent = text;
  $('status').classList.toggle('error', isError);
}

function drawPhoto({ bitmap }, crop) {
  const canvas = $('photo-canvas');
  const scale = Math.min(448 / bitmap.width, 448 / bitmap.height);
  canvas.width = Math.max(1, Math.round(bitmap.width * scale));
  canvas.height = Math.max(1, Math.round(bitmap.height * scale));
  const context = canvas.getContext('2d');
  context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  context.strokeStyle = '#2a7d72';
  context.lineWidth = 2;
  context.strokeRect(crop.x * scale, crop.y * scale, crop.width * scale, crop.height * scale);
}

function drawInput() {
  const width = pipeline.inputWidth(), height = pipeline.inputHeight();
  const canvas = $('input-canvas');
  canvas.width = width;
  canvas.height = height;
  const rgba = pipeline.inputRgba();   // a view into WASM memory: copied by ImageData
  canvas.getContext('2d').putImageData(new ImageData(new Uint8ClampedArray(rgba), width, height), 0, 0);
  $('input-caption').textContent = `Network input, ${width}×${height}, as the C++ preprocessing made it`;
}

function preprocess(photo) {
  const { width, height, data } = photo.pixels;
  const started = performance.now();
  pipeline.inputBuffer(width, height, 4).set(data);
  const result = pipeline.preprocess(width, height, 4, null);
  const elapsed = performance.now() - started;
  if (!result.ok) throw new Error(result.error);
  drawPhoto(photo, result.crop);
  drawInput();
  return elapsed;
}

async function openPhoto(file) {
  try {
    showStatus(`Reading '${file.name}'…`);
    const started = performance.now();
    const photo = await decodePhoto(file);
    const decodeMs = performance.now() - started;
    lastPhoto?.bitmap.close();
    lastPhoto = photo;
    const preprocessMs = preprocess(photo);
    $('photo-caption').textContent = `${file.name}, ${photo.pixels.width}×${photo.pixels.height}`;
    showStatus(`Decode ${decodeMs.toFixed(0)} ms · preprocess ${preprocessMs.toFixed(1)} ms`);
  } catch (error) {
    showStatus(error instanceof PhotoError ? error.message : `Could not process '${file.name}': ${error.message}`, true);
  }
}

usePolicy($('crop-policy').value);
$('crop-policy').addEventListener('change', (event) => {
  usePolicy(event.target.value);
  if (lastPhoto) preprocess(lastPhoto);
});
$('photo-input').addEventListener('change', (event) => {
  const [file] = event.target.files;
  if (file) openPhoto(file);
});
const zone = $('drop-zone');
zone.addEventListener('dragover', (event) => { event.preventDefault(); zone.classList.add('dragging'); });
zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
zone.addEventListener('drop', (event) => {
  event.preventDefault();
  zone.classList.remove('dragging');
  const [file] = event.dataTransfer.files;
  if (file) openPhoto(file);
});
document.addEventListener('paste', (event) => {
  const file = [...event.clipboardData.files].find((f) => f.type.startsWith('image/'));
  if (file) openPhoto(file);
});
