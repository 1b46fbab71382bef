// Photo files -> RGBA pixels, with EXIF orientation applied by the browser's decoder. Runs in
// the worker (createImageBitmap and OffscreenCanvas exist there), so a large photo never
// blocks the page.

// A decoded photo larger than this is refused: 40 MP is 160 MB of RGBA, and each copy of it
// (canvas, WASM input buffer) costs as much again. Phone photos are 12 to 24 MP.
export const maxPhotoPixels = 40e6;
const displayLongSide = 1600;   // the copy the page draws: enough for a sharp full-width view

export class PhotoError extends Error {}

const megapixels = (pixels) => (pixels / 1e6).toFixed(1);

// Width and height from a PNG or JPEG header (as `vestis predict` reads them), so a
// decompression bomb is refused before it is decoded; null for other formats (checked after).
export function headerSize(bytes) {
  const b = new Uint8Array(bytes);
  const be = (at, n) => { let v = 0; for (let i = 0; i < n; ++i) v = v * 256 + b[at + i]; return v; };
  const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (b.length >= 24 && png.every((v, i) => b[i] === v)) return { width: be(16, 4), height: be(20, 4) };
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8) {
    let at = 2;
    while (at + 9 < b.length && b[at] === 0xff) {
      const marker = b[at + 1];
      const startOfFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
      if (startOfFrame) return { width: be(at + 7, 2), height: be(at + 5, 2) };
      if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) at += 2;
      else at += 2 + be(at + 2, 2);
    }
  }
  return null;
}

function refuseIfTooLarge(name, width, height) {
  if (width * height > maxPhotoPixels) {
    throw new PhotoError(`'${name}' is ${width}×${height}, ${megapixels(width * height)} megapixels: ` +
                         `the limit is ${megapixels(maxPhotoPixels)} megapixels. Scale it down first.`);
  }
}

// -> { width, height, pixels (ImageData), display (ImageBitmap, at most displayLongSide) }
export async function decodePhoto(file) {
  const name = file?.name || 'photo';
  if (!file || file.size === 0) throw new PhotoError(`'${name}' is empty`);
  // The start of the file holds the JPEG frame header in all but odd files (huge EXIF blocks).
  const head = headerSize(await file.slice(0, 256 * 1024).arrayBuffer());
  if (head) refuseIfTooLarge(name, head.width, head.height);
  let bitmap;
  try {
    // EXIF orientation applied; embedded colour profiles ignored, as OpenCV does when the
    // models are trained and run natively, so the network sees the same pixels here.
    bitmap = await createImageBitmap(file, { imageOrientation: 'from-image', colorSpaceConversion: 'none' });
  } catch {
    throw new PhotoError(`'${name}' is not an image this browser can decode (JPEG, PNG, WebP, GIF, AVIF…)`);
  }
  try {
    const { width, height } = bitmap;
    refuseIfTooLarge(name, width, height);
    const canvas = new OffscreenCanvas(width, height);
    const context = canvas.getContext('2d', { willReadFrequently: true });
    context.drawImage(bitmap, 0, 0);
    const pixels = context.getImageData(0, 0, width, height);
    const scale = Math.min(1, displayLongSide / Math.max(width, height));
    const display = await createImageBitmap(bitmap, {
      resizeWidth: Math.max(1, Math.round(width * scale)), resizeHeight: Math.max(1, Math.round(height * scale)),
      resizeQuality: 'high',
    });
    return { width, height, pixels, display };
  } finally {
    bitmap.close();
  }
}
