// Where models come from: the manifest of the models served under /models/ (downloaded with
// progress, kept in the Cache API so they are fetched once), or files the person picks.

const modelsUrl = new URL('/models/', location.href);
const cacheName = 'vestis-models-v1';
const noModelsHint = 'use your own model: model.onnx and card.json from `vestis export`';

// -> {models: [{name, path, description, bytes?, version?}], problem: a sentence or null}
export async function loadManifest() {
  const url = new URL('manifest.json', modelsUrl);
  let text;
  try {
    const response = await fetch(url, { cache: 'no-cache' });
    if (!response.ok) {
      return { models: [], problem: `No model list on this server (models/manifest.json: ${response.status} ${response.statusText}): ${noModelsHint}.` };
    }
    text = await response.text();
  } catch (error) {
    return { models: [], problem: `The model list could not be fetched (${error.message}): ${noModelsHint}.` };
  }
  let manifest;
  try {
    manifest = JSON.parse(text);
  } catch (error) {
    return { models: [], problem: `models/manifest.json is not valid JSON (${error.message}): ${noModelsHint}.` };
  }
  const entries = Array.isArray(manifest) ? manifest : manifest?.models;
  if (!Array.isArray(entries)) return { models: [], problem: `models/manifest.json has no "models" list: ${noModelsHint}.` };
  const models = entries.filter((m) => typeof m?.name === 'string' && m.name && typeof m.path === 'string' && m.path);
  const skipped = entries.length - models.length;
  if (models.length === 0) {
    return { models, problem: entries.length ? `models/manifest.json lists no usable model (each needs a name and a path): ${noModelsHint}.`
                                             : `No models are published on this server yet: ${noModelsHint}.` };
  }
  return { models, problem: skipped ? `${skipped} entries of models/manifest.json lack a name or path and are left out.` : null };
}

// Reads a response body chunk by chunk, reporting progress(loaded, total); total may be 0.
async function readWithProgress(response, expectedBytes, progress) {
  const total = Number(response.headers.get('Content-Length')) || expectedBytes || 0;
  if (!response.body) return response.arrayBuffer();
  const reader = response.body.getReader();
  const chunks = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.byteLength;
    progress(loaded, total);
  }
  const bytes = new Uint8Array(loaded);
  let at = 0;
  for (const chunk of chunks) { bytes.set(chunk, at); at += chunk.byteLength; }
  return bytes.buffer;
}

async function openCache() {
  try { return globalThis.caches ? await caches.open(cacheName) : null; } catch { return null; }   // not a secure context, private mode
}

// A file of a served model: from the Cache API when it holds this version, else downloaded
// (and stored). -> {bytes: ArrayBuffer, cached: boolean}
async function fetchCached(url, version, expectedBytes, progress) {
  const key = version ? `${url}?v=${encodeURIComponent(version)}` : url.href;
  const cache = await openCache();
  const hit = await cache?.match(key);
  if (hit) {
    const bytes = await hit.arrayBuffer();
    progress(bytes.byteLength, bytes.byteLength);
    return { bytes, cached: true };
  }
  const response = await fetch(url, { cache: 'no-cache' });
  if (!response.ok) throw new Error(`${url.pathname}: ${response.status} ${response.statusText}`);
  const bytes = await readWithProgress(response, expectedBytes, progress);
  try { await cache?.put(key, new Response(bytes.slice(0))); } catch { /* full: it still runs, uncached */ }
  return { bytes, cached: false };
}

// A manifest entry -> {cardText, cardSource, modelBytes, modelSource, cached}
export async function fetchServedModel(entry, progress) {
  const folder = new URL(entry.path.endsWith('/') ? entry.path : `${entry.path}/`, modelsUrl);
  const version = entry.version ?? (entry.bytes ? String(entry.bytes) : '');
  const card = await fetchCached(new URL('card.json', folder), version, 0, () => {});
  const model = await fetchCached(new URL('model.onnx', folder), version, entry.bytes, progress);
  const path = entry.path.replace(/\/?$/, '/');
  return { cardText: new TextDecoder().decode(card.bytes), cardSource: `models/${path}card.json`,
           modelBytes: model.bytes, modelSource: `'models/${path}model.onnx'`, cached: model.cached };
}

// Files the person chose or dropped -> the same, or an Error saying what is missing.
export async function readOwnModel(files) {
  const list = [...files];
  const onnx = list.filter((f) => /\.onnx$/i.test(f.name));
  const cards = list.filter((f) => /\.json$/i.test(f.name));
  const others = list.filter((f) => !onnx.includes(f) && !cards.includes(f)).map((f) => `'${f.name}'`);
  if (onnx.length !== 1 || cards.length !== 1 || others.length) {
    const found = list.length ? list.map((f) => `'${f.name}'`).join(', ') : 'nothing';
    throw new Error(`Choose two files together: the model (.onnx) and its card (card.json), as \`vestis export\` ` +
                    `writes them. Got ${found}.`);
  }
  const [model] = onnx, [card] = cards;
  if (model.size === 0) throw new Error(`'${model.name}' is empty, not an ONNX model`);
  const cardText = await card.text();
  let name = model.name.replace(/\.onnx$/i, '');
  try { name = JSON.parse(cardText).name || name; } catch { /* the worker explains what is wrong with the card */ }
  return { cardText, cardSource: card.name, modelBytes: await model.arrayBuffer(), modelSource: `'${model.name}'`,
           key: `own:${model.name}:${model.size}:${model.lastModified}:${card.size}:${card.lastModified}`, name };
}
