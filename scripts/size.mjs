// What an app downloads for the package: the entry, the wasm-bindgen glue, any JS snippets of
// the shell, and the .wasm, each compressed on its own (they are separate downloads).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

export const PKG = fileURLToPath(new URL('../pkg/', import.meta.url));

function filesUnder(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

export function shippedFiles() {
  const dir = join(PKG, 'snippets');
  const snippets = existsSync(dir) ? filesUnder(dir).map((f) => relative(PKG, f)) : [];
  return ['index.js', ...snippets, 'spa_login_bg.wasm'];
}

export function shippedBytes() {
  const parts = shippedFiles().map((f) => readFileSync(join(PKG, f)));
  const sum = (f) => parts.reduce((n, b) => n + f(b).length, 0);
  return {
    raw: sum((b) => b),
    gzip: sum((b) => gzipSync(b, { level: 9 })),
    brotli: sum((b) => brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } })),
  };
}
