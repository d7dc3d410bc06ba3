// Serving files for the local servers (samples, tests, benchmark): the content types a browser
// needs (`application/wasm` for streaming compilation, JavaScript for modules), and a file
// under a folder named by a URL path without ever leaving that folder.
import { extname, join, sep } from 'node:path';

export const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.ts': 'text/plain; charset=utf-8',
};

// For a file path or a bare extension ('.html').
export function contentType(fileOrExt) {
  const ext = /^\.[a-z0-9]+$/i.test(fileOrExt) ? fileOrExt : extname(fileOrExt);
  return MIME[ext.toLowerCase()] ?? 'application/octet-stream';
}

// The file `urlPath` (still percent-encoded, relative to `root`) names, or undefined when it
// would lie outside `root`.
export function fileUnder(root, urlPath) {
  let decoded;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  const file = join(root, decoded);
  const base = root.endsWith(sep) ? root : root + sep;
  return file === root || file.startsWith(base) ? file : undefined;
}
