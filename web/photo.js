// Photo files -> RGBA pixels, with EXIF orientation applied by the browser's decoder.

export const maxPhotoPixels = 100e6;   // a decoded photo larger than this is refused

export class PhotoError extends Error {}

export async function decodePhoto(file) {
  if (!file || file.size === 0) throw new PhotoError(`'${file?.name ?? 'photo'}' is empty`);
  let bitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
  } catch {
    throw new PhotoError(`'${file.name}' is not an image this browser can decode`);
  }
  if (bitmap.width * bitmap.height > maxPhotoPixels) {
    const megapixels = (bitmap.width * bitmap.height / 1e6).toFixed(0);
    bitmap.close();
    throw new PhotoError(`'${file.name}' is ${megapixels} megapixels; the limit is ${maxPhotoPixels / 1e6}`);
  }
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const context = canvas.getContext('2d', { willReadFrequently: true });
  context.drawImage(bitmap, 0, 0);
  const pixels = context.getImageData(0, 0, bitmap.width, bitmap.height);
  return { bitmap, pixels };
}
