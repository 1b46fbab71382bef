// The demo page in Chromium: a photo goes in, the network input the WASM build of shared/
// makes of it comes out on the page, equal to what the same bindings make under node.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { encodePng } from './png.mjs';
import { launchBrowser, startServer } from './browser.mjs';
import { loadVestis } from '../wasm/load_vestis.mjs';

const width = 640, height = 480;
const photo = new Uint8Array(width * height * 4);
for (let y = 0; y < height; ++y) {
  for (let x = 0; x < width; ++x) {   // stripes, a gradient and a square: something to see
    const i = (y * width + x) * 4;
    const inSquare = x > 200 && x < 440 && y > 120 && y < 360;
    photo[i] = inSquare ? 230 : (x * 255) / width;
    photo[i + 1] = (Math.floor(x / 8) % 2) * 180;
    photo[i + 2] = (y * 255) / height;
    photo[i + 3] = 255;
  }
}
const photoFile = { name: 'garment.png', mimeType: 'image/png', buffer: encodePng(width, height, photo) };

let server, browser, page;
const requests = [];

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  page = await browser.newPage();
  page.on('request', (request) => requests.push(request.url()));
  await page.goto(`${server.origin}/`);
  await page.waitForFunction(() => !document.getElementById('build').textContent.startsWith('loading'));
});

after(async () => {
  await browser?.close();
  server?.stop();
});

async function expectedInput(policy) {
  const vestis = await loadVestis();
  const card = JSON.parse(vestis.defaultInputCard());
  card.input.crop.policy = policy;
  const pipeline = new vestis.Pipeline(JSON.stringify(card), 'test card');
  pipeline.inputBuffer(width, height, 4).set(photo);
  assert.ok(pipeline.preprocess(width, height, 4, null).ok);
  const rgba = Array.from(pipeline.inputRgba());
  pipeline.delete();
  return rgba;
}

async function shownInput() {
  return page.evaluate(() => {
    const canvas = document.getElementById('input-canvas');
    return Array.from(canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data);
  });
}

async function upload(file) {
  await page.setInputFiles('#photo-input', file);
  await page.waitForFunction(() => {
    const status = document.getElementById('status');
    return status.classList.contains('error') || status.textContent.includes('preprocess');
  });
}

test('shows which build it runs', async () => {
  assert.match(await page.textContent('#build'), /^Vestis \d+\.\d+\.\d+ \([0-9a-f]+|unknown\)/);
});

test('a photo becomes the same network input as under node', async () => {
  await upload(photoFile);
  assert.match(await page.textContent('#status'), /Decode \d+ ms · preprocess [\d.]+ ms/);
  assert.deepEqual(await shownInput(), await expectedInput('stretch'));
  assert.match(await page.textContent('#photo-caption'), /garment\.png, 640×480/);
});

test('letterboxing pads with the mean colour', async () => {
  await page.selectOption('#crop-policy', 'letterbox');
  const shown = await shownInput();
  assert.deepEqual(shown, await expectedInput('letterbox'));
  // 640x480 into 224x224: 168 rows of content, 28 rows of padding above.
  assert.deepEqual(shown.slice(0, 4), [124, 116, 104, 255]);
  await page.selectOption('#crop-policy', 'stretch');
});

test('a file that is not an image gets a clear message and the page stays usable', async () => {
  await upload({ name: 'notes.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('not a photo') });
  assert.equal(await page.textContent('#status'), "'notes.jpg' is not an image this browser can decode");
  await upload({ name: 'empty.png', mimeType: 'image/png', buffer: Buffer.alloc(0) });
  assert.equal(await page.textContent('#status'), "'empty.png' is empty");
  await upload(photoFile);
  assert.deepEqual(await shownInput(), await expectedInput('stretch'));
});

test('the page asks nothing of any origin but its own', () => {
  assert.ok(requests.length > 0);
  const foreign = requests.filter((url) => !url.startsWith(`${server.origin}/`) && !url.startsWith('data:') &&
                                           !url.startsWith('blob:'));
  assert.deepEqual(foreign, []);
});
