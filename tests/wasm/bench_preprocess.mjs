// WASM half of the preprocessing benchmark (tools/bench runs the native half beside it):
// a 4032x3024 RGBA photo to the 3x224x224 input through the same bindings the browser uses.
// Prints one JSON line: {"wasm_ms_median": ..., "runs": ...}.
import { loadVestis } from './load_vestis.mjs';

const runs = Number(process.env.VESTIS_BENCH_RUNS ?? 40);
const vestis = await loadVestis();
const pipeline = new vestis.Pipeline(vestis.defaultInputCard(), 'default card');
const width = 4032, height = 3024;
const photo = new Uint8Array(width * height * 4);
let seed = 7;
for (let i = 0; i < photo.length; ++i) {   // a small LCG: noise, as in the native benchmark
  seed = (seed * 1103515245 + 12345) >>> 0;
  photo[i] = seed >>> 24;
}
pipeline.inputBuffer(width, height, 4).set(photo);
for (let i = 0; i < 3; ++i) pipeline.preprocess(width, height, 4, null);   // warm up
const times = [];
for (let i = 0; i < runs; ++i) {
  const started = performance.now();
  const result = pipeline.preprocess(width, height, 4, null);
  times.push(performance.now() - started);
  if (!result.ok) throw new Error(result.error);
}
times.sort((a, b) => a - b);
console.log(JSON.stringify({ wasm_ms_median: times[runs >> 1], wasm_ms_min: times[0], runs }));
pipeline.delete();
