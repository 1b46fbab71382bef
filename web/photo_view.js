// The photo with what the network found on it: heatmap and attention overlays, landmark points
// with their names and confidences, the crop; and box drawing, to crop to the garment.
// Coordinates: results are in photo pixels with pixel centres at integers (shared/'s
// convention), so a point p lands at (p + 0.5) * scale on the canvas.
import { insidePhoto } from './landmarks.js';

const maxCssWidth = 720, maxCssHeight = 640;
const colours = ['#e6194b', '#3cb44b', '#ffe119', '#4363d8', '#f58231', '#911eb4', '#46f0f0', '#f032e6'];

export class PhotoView {
  constructor(canvas, onBox) {
    this.canvas = canvas;
    this.onBox = onBox;
    this.photo = null;        // {display: ImageBitmap, width, height}
    this.result = null;
    this.overlays = {};       // name -> ImageBitmap
    this.show = { landmarks: true, heatmaps: false, attention: false };
    this.drag = null;
    canvas.addEventListener('pointerdown', (event) => this.startBox(event));
    canvas.addEventListener('pointermove', (event) => this.moveBox(event));
    canvas.addEventListener('pointerup', (event) => this.endBox(event));
    canvas.addEventListener('pointercancel', () => { this.drag = null; this.draw(); });
  }

  setPhoto(display, width, height) {
    this.photo?.display.close();
    this.photo = { display, width, height };
    this.result = null;
    this.setOverlays({});
    const dpr = globalThis.devicePixelRatio || 1;
    const css = Math.min(maxCssWidth / width, maxCssHeight / height);
    this.canvas.style.width = `${Math.round(width * css)}px`;
    this.canvas.width = Math.max(1, Math.round(width * css * dpr));
    this.canvas.height = Math.max(1, Math.round(height * css * dpr));
    this.draw();
  }

  setResult(result) {
    this.result = result;
    this.draw();
  }

  async setOverlays(images) {
    for (const bitmap of Object.values(this.overlays)) bitmap?.close();
    this.overlays = {};
    for (const [name, image] of Object.entries(images ?? {})) {
      if (image) this.overlays[name] = await createImageBitmap(image);
    }
    this.draw();
  }

  setShown(name, on) {
    this.show[name] = on;
    this.draw();
  }

  get scale() { return this.photo ? this.canvas.width / this.photo.width : 1; }

  draw() {
    const context = this.canvas.getContext('2d');
    context.clearRect(0, 0, this.canvas.width, this.canvas.height);
    if (!this.photo) return;
    const s = this.scale;
    context.imageSmoothingQuality = 'high';
    context.drawImage(this.photo.display, 0, 0, this.canvas.width, this.canvas.height);
    const result = this.result;
    if (result?.inputCorners) {
      // The maps cover the whole network input; its corners, in photo pixels, come from shared/.
      const [a, b] = result.inputCorners;
      for (const name of ['heatmaps', 'attention']) {
        if (this.show[name] && this.overlays[name]) {
          context.drawImage(this.overlays[name], (a.x + 0.5) * s, (a.y + 0.5) * s, (b.x - a.x) * s, (b.y - a.y) * s);
        }
      }
    }
    const lineWidth = Math.max(1.5, this.canvas.width / 400);
    if (result?.crop && (result.box || result.crop.width !== this.photo.width || result.crop.height !== this.photo.height)) {
      context.setLineDash([6 * lineWidth, 4 * lineWidth]);
      context.strokeStyle = '#2a7d72';
      context.lineWidth = lineWidth;
      context.strokeRect(result.crop.x * s, result.crop.y * s, result.crop.width * s, result.crop.height * s);
      context.setLineDash([]);
    }
    if (this.show.landmarks) this.drawLandmarks(context, result?.landmarks ?? [], s, lineWidth);
    if (this.drag?.end) {
      const { start, end } = this.drag;
      context.strokeStyle = '#fff';
      context.lineWidth = lineWidth;
      context.strokeRect(start.x * s, start.y * s, (end.x - start.x) * s, (end.y - start.y) * s);
    }
  }

  drawLandmarks(context, landmarks, s, lineWidth) {
    const radius = 3 * lineWidth;
    context.font = `${Math.round(9 * lineWidth)}px system-ui, sans-serif`;
    context.textBaseline = 'middle';
    landmarks.forEach((l, i) => {
      // The worker judged each point (landmarks.js): none off the photo, none the garment lacks.
      if (l.drawn === false || !insidePhoto(l, this.photo.width, this.photo.height)) return;
      const x = (l.x + 0.5) * s, y = (l.y + 0.5) * s;
      context.globalAlpha = 0.35 + 0.65 * Math.min(1, l.confidence * 2);   // faint when unsure
      context.fillStyle = colours[i % colours.length];
      context.strokeStyle = '#000';
      context.lineWidth = lineWidth / 2;
      context.beginPath();
      context.arc(x, y, radius, 0, 2 * Math.PI);
      context.fill();
      context.stroke();
      const text = `${l.name.replaceAll('_', ' ')} ${l.confidence.toFixed(2)}`;
      context.lineWidth = 3 * lineWidth / 2;
      context.strokeStyle = '#000a';
      context.strokeText(text, x + radius * 1.6, y);
      context.fillStyle = '#fff';
      context.fillText(text, x + radius * 1.6, y);
    });
    context.globalAlpha = 1;
  }

  // Box drawing: drag on the photo; the box is in photo pixels (edges), clamped to the photo.
  photoPoint(event) {
    const rect = this.canvas.getBoundingClientRect();
    const clamp = (v, high) => Math.min(high, Math.max(0, v));
    return { x: clamp((event.clientX - rect.left) / rect.width * this.photo.width, this.photo.width),
             y: clamp((event.clientY - rect.top) / rect.height * this.photo.height, this.photo.height) };
  }

  startBox(event) {
    if (!this.photo || event.button !== 0) return;
    this.canvas.setPointerCapture(event.pointerId);
    this.drag = { start: this.photoPoint(event), end: null };
  }

  moveBox(event) {
    if (!this.drag) return;
    this.drag.end = this.photoPoint(event);
    this.draw();
  }

  endBox(event) {
    if (!this.drag) return;
    const { start } = this.drag;
    const end = this.photoPoint(event);
    this.drag = null;
    const box = { x1: Math.round(Math.min(start.x, end.x)), y1: Math.round(Math.min(start.y, end.y)),
                  x2: Math.round(Math.max(start.x, end.x)), y2: Math.round(Math.max(start.y, end.y)) };
    const minimum = 8 / this.scale * (globalThis.devicePixelRatio || 1);   // a click is not a box
    if (box.x2 - box.x1 >= minimum && box.y2 - box.y1 >= minimum) this.onBox(box);
    else this.draw();
  }
}
