// Starts the demo server and Debian's Chromium (never a downloaded browser) for page tests.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '../..');
const { chromium } = createRequire(resolve(root, 'web/package.json'))('playwright-core');

// `args` go to tools/serve.mjs (--models DIR, --no-isolation).
export async function startServer(args = []) {
  const server = spawn(process.execPath, [resolve(root, 'tools/serve.mjs'), '--port', '0', ...args],
                       { stdio: ['ignore', 'pipe', 'inherit'] });
  const origin = await new Promise((done, fail) => {
    let output = '';
    server.stdout.on('data', (data) => {
      output += data;
      const match = output.match(/http:\/\/127\.0\.0\.1:\d+/);
      if (match) done(match[0]);
    });
    server.on('exit', (code) => fail(new Error(`demo server exited (${code}) before listening`)));
  });
  return { origin, stop: () => server.kill() };
}

// `extraArgs`: more Chromium flags, e.g. a fake camera.
export async function launchBrowser(extraArgs = []) {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync', ...extraArgs],
  });
}
