#!/usr/bin/env node
// Serves the browser demo on the loopback address only. Routes:
//   /          web/                     the page
//   /wasm/     build-wasm/bin/          the WASM build of shared/
//   /models/   models/                  exported models and their cards
// Sends COOP/COEP so the page is cross-origin isolated (threads for onnxruntime-web).
import { createServer } from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const usage = `usage: tools/serve.mjs [--port N (default 8080; 0: any free port)] [--host 127.0.0.1]

Serves web/, build-wasm/bin/ (as /wasm/) and models/ (as /models/) with
cross-origin isolation headers. Build the WASM preset first (tools/demo does).`;

const root = resolve(fileURLToPath(import.meta.url), '../..');
const routes = [
  ['/wasm/', join(root, 'build-wasm', 'bin')],
  ['/models/', join(root, 'models')],
  ['/', join(root, 'web')],
];
const mime = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8', '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream', '.png': 'image/png', '.jpg': 'image/jpeg',
  '.svg': 'image/svg+xml', '.ico': 'image/x-icon',
};

function parseArgs(argv) {
  const options = { port: 8080, host: '127.0.0.1' };
  for (let i = 0; i < argv.length; ++i) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') { console.log(usage); process.exit(0); }
    if (arg === '--port' || arg === '--host') {
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
  return { ...options, port };
}

function fail(message) {
  console.error(`serve: ${message}\n\n${usage}`);
  process.exit(2);
}

// Maps a URL path to a file inside one of the served folders, or null.
function resolvePath(urlPath) {
  let decoded;
  try { decoded = decodeURIComponent(urlPath.split('?')[0]); } catch { return null; }
  for (const [prefix, folder] of routes) {
    if (!decoded.startsWith(prefix)) continue;
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

const { port, host } = parseArgs(process.argv.slice(2));
const server = createServer((request, response) => {
  const headers = {
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Embedder-Policy': 'require-corp',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Cache-Control': 'no-cache',
  };
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, headers).end();
    return;
  }
  const file = resolvePath(request.url ?? '/');
  if (!file) {
    response.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }).end('not found\n');
    return;
  }
  response.writeHead(200, { ...headers, 'Content-Type': mime[extname(file)] ?? 'application/octet-stream' });
  if (request.method === 'HEAD') response.end();
  else createReadStream(file).pipe(response);
});
server.on('error', (error) => {
  console.error(`serve: cannot listen on ${host}:${port}: ${error.message}`);
  process.exit(1);
});
server.listen(port, host, () => console.log(`Vestis demo on http://${host}:${server.address().port}/ (Ctrl-C stops)`));
