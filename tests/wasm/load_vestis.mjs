// Loads the node build of the WASM bindings (one self-contained CommonJS file).
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export async function loadVestis() {
  const path = process.env.VESTIS_WASM_NODE;
  if (!path || !existsSync(path)) {
    throw new Error(`WASM build not found at '${path}': build it first ` +
                    '(cmake --preset wasm && cmake --build --preset wasm), or run tools/test');
  }
  const createVestis = createRequire(import.meta.url)(resolve(path));
  return createVestis();
}
