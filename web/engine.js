// The page's side of the worker (worker.js): requests as promises, so the page's thread only
// draws and never waits on decoding, preprocessing or inference.

export class EngineError extends Error {
  constructor(message, user) {
    super(message);
    this.user = user;   // true: a message for the person (bad photo, bad model), not a bug
  }
}

export class Engine {
  constructor() {
    this.worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
    this.pending = new Map();
    this.nextId = 1;
    this.failure = null;
    this.worker.onmessage = ({ data }) => {
      const request = this.pending.get(data.id);
      if (!request) return;
      this.pending.delete(data.id);
      if ('error' in data) request.reject(new EngineError(data.error, data.user));
      else request.resolve(data.value);
    };
    // A worker that cannot load its modules (no /ort/ or /wasm/ served) says little more.
    this.worker.onerror = (event) => {
      event.preventDefault?.();
      this.failure = `The inference worker stopped: ${event.message || 'it could not load onnxruntime-web (/ort/) ' +
                     'or the WASM build (/wasm/)'}`;
      for (const request of this.pending.values()) request.reject(new EngineError(this.failure, false));
      this.pending.clear();
    };
  }

  call(type, payload = {}, transfer = []) {
    if (this.failure) return Promise.reject(new EngineError(this.failure, false));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...payload, id, type }, transfer);
    });
  }
}

// Runs `task` with the latest argument only: a slider dragged quickly sends one request at a
// time, and the last value always gets its turn.
export function latestOnly(task, onError) {
  let running = false, pending = null, hasPending = false;
  return (argument) => {
    pending = argument;
    hasPending = true;
    if (running) return;
    running = true;
    (async () => {
      while (hasPending) {
        const value = pending;
        hasPending = false;
        try { await task(value); } catch (error) { onError(error); }
      }
      running = false;
    })();
  };
}
