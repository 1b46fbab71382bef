#!/usr/bin/env node
// Serves the browser demo on the loopback address only. Routes:
//   /          web/                                  the page
//   /wasm/     build-wasm/bin/                       the WASM build of shared/
//   /ort/      web/node_modules/onnxruntime-web/dist onnxruntime-web (never a CDN)
//   /models/   models/ (or --models DIR)             exported models, their cards, manifest.json
// Sends COOP/COEP so the page is cross-origin isolated (threads for onnxruntime-web), unless
// --no-isolation asks for what plain static hosting gives: a single-threaded page.
import { createServer } from 'node:http';
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const usage = `usage: tools/serve.mjs [--port N (default 8080; 0: any free port)] [--host 127.0.0.1]
                       [--models DIR] [--no-isolation]

Serves web/, build-wasm/bin/ (as /wasm/), onnxruntime-web's dist/ (as /ort/) and
models/ (as /models/) with cross-origin isolation headers. Build the WASM preset
first (tools/demo does).
  --models DIR     serve DIR as /models/ instead of models/. When DIR has no
                   manifest.json, one is made listing its folders that hold
                   model.onnx and card.json.
  --no-isolation   leave out COOP/COEP: the page runs single-threaded, as on
                   plain static hosting.`;

const root = resolve(fileURLToPath(import.meta.url), '../..');
const mime = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8', '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm', '.onnx': 'application/octet-stream', '.png': 'image/png',
  '.jpg': 'image/jpeg', '.svg': 'image/svg+xml', '.ico': 'image/x-icon', '.txt': 'text/plain; charset=utf-8',
};

function parseArgs(argv) {
  const options = { port: 8080, host: '127.0.0.1', models: join(root, 'models'), isolation: true };
  for (let i = 0; i < argv.length; ++i) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') { console.log(usage); process.exit(0); }
    if (arg === '--no-isolation') {
      options.isolation = false;
    } else if (arg === '--port' || arg === '--host' || arg === '--models') {
      const value = argv[++i];
      if (value === undefined) fail(`${arg} needs a value`);
      options[arg.slice(2)] = value;
    } else {
      fail(`unknown argument '${arg}'`);
    }
  }
  const port = Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    fail(`--port: expected 1..65535 (0 for any free port), got '${options.port}'`);
  }
  options.models = resolve(options.models);
  try {
    if (!statSync(options.models).isDirectory()) fail(`--models: '${options.models}' is not a folder`);
  } catch { fail(`--models: no folder '${options.models}'`); }
  return { ...options, port };
}

function fail(message) {
  console.error(`serve: ${message}\n\n${usage}`);
  process.exit(2);
}

const options = parseArgs(process.argv.slice(2));
for (const [folder, fix] of [['build-wasm/bin', 'build the WASM preset (tools/demo does)'],
                             ['web/node_modules/onnxruntime-web/dist', 'run tools/bootstrap (npm ci in web/)']]) {
  if (!existsSync(join(root, folder))) console.warn(`serve: ${folder} is missing, the page cannot run: ${fix}`);
}
const routes = [
  ['/node_modules/', null],   // test tooling lives there: not part of the page
  ['/wasm/', join(root, 'build-wasm', 'bin')],
  ['/ort/', join(root, 'web', 'node_modules', 'onnxruntime-web', 'dist')],
  ['/models/', options.models],
  ['/', join(root, 'web')],
];

// Maps a URL path to a file inside one of the served folders, or null.
function resolvePath(urlPath) {
  let decoded;
  try { decoded = decodeURIComponent(urlPath.split('?')[0]); } catch { return null; }
  for (const [prefix, folder] of routes) {
    if (!decoded.startsWith(prefix)) continue;
    if (!folder) return null;
    let file = normalize(join(folder, decoded.slice(prefix.length)));
    if (file !== folder && !file.startsWith(folder + sep)) return null;   // no way out of the folder
    try {
      if (statSync(file).isDirectory()) file = join(file, 'index.html');
      if (statSync(file).isFile()) return file;
    } catch { /* fall through */ }
    return null;
  }
  return null;
}

// A manifest for a models folder that has none (the test models, a folder of exports): each
// sub-folder with model.onnx + card.json. `version` changes when the files do, so the page's
// Cache API copy is not reused for a re-exported model.
function generatedManifest(folder) {
  const models = [];
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    try {
      const onnx = statSync(join(folder, entry.name, 'model.onnx'));
      const card = statSync(join(folder, entry.name, 'card.json'));
      models.push({ name: entry.name, path: `${entry.name}/`, description: `exported model in ${entry.name}/`,
                    bytes: onnx.size, version: `${onnx.size}-${Math.round(onnx.mtimeMs)}-${Math.round(card.mtimeMs)}` });
    } catch { /* not a model folder */ }
  }
  models.sort((a, b) => a.name.localeCompare(b.name));
  return JSON.stringify({ format: 'vestis-model-manifest', version: 1, models }, null, 2) + '\n';
}

// Nothing the page or its worker loads may come from, or go to, another origin (embind needs
// 'unsafe-eval', onnxruntime-web 'wasm-unsafe-eval'). web/index.html repeats it for static hosts.
const contentSecurityPolicy = "default-src 'self'; script-src 'self' 'unsafe-eval' 'wasm-unsafe-eval'; worker-src 'self'; " +
  "img-src 'self' blob: data:; media-src 'self' blob: mediastream:; connect-src 'self'; object-src 'none'; base-uri 'none'; " +
  "form-action 'none'";

const server = createServer((request, response) => {
  const headers = { 'Cache-Control': 'no-cache', 'Content-Security-Policy': contentSecurityPolicy };
  if (options.isolation) {
    Object.assign(headers, { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp',
                             'Cross-Origin-Resource-Policy': 'same-origin' });
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, headers).end();
    return;
  }
  const urlPath = request.url ?? '/';
  const file = resolvePath(urlPath);
  if (!file && urlPath.split('?')[0] === '/models/manifest.json') {
    const body = generatedManifest(options.models);
    response.writeHead(200, { ...headers, 'Content-Type': mime['.json'], 'Content-Length': Buffer.byteLength(body) });
    response.end(request.method === 'HEAD' ? undefined : body);
    return;
  }
  if (!file) {
    response.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }).end('not found\n');
    return;
  }
  // Content-Length lets the page show a download progress bar.
  response.writeHead(200, { ...headers, 'Content-Type': mime[extname(file)] ?? 'application/octet-stream',
                            'Content-Length': statSync(file).size });
  if (request.method === 'HEAD') response.end();
  else createReadStream(file).pipe(response);
});
server.on('error', (error) => {
  console.error(`serve: cannot listen on ${options.host}:${options.port}: ${error.message}`);
  process.exit(1);
});
server.listen(options.port, options.host, () => {
  const mode = options.isolation ? 'cross-origin isolated' : 'without COOP/COEP: single-threaded';
  console.log(`Vestis demo on http://${options.host}:${server.address().port}/ (${mode}; models from ${options.models}; Ctrl-C stops)`);
});
