// The package as npm would publish it: `npm pack` must carry every file the entry loads, or an
// app installing it from the registry breaks while the tests (which link pkg/) pass.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = fileURLToPath(new URL('../../pkg/', import.meta.url));

// Relative files a module loads: static and dynamic imports, re-exports, and
// `new URL('./x', import.meta.url)` assets.
function references(file) {
  const text = readFileSync(join(pkg, file), 'utf8');
  const found = new Set();
  const patterns = [
    /\bfrom\s*['"](\.{1,2}\/[^'"]+)['"]/g,
    /\bimport\s*\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g,
    /\bimport\s*['"](\.{1,2}\/[^'"]+)['"]/g,
    /new URL\(\s*['"](\.{0,2}\/?[^'"]+)['"]\s*,\s*import\.meta\.url\s*\)/g,
  ];
  for (const re of patterns) {
    for (const m of text.matchAll(re)) found.add(normalize(join(dirname(file), m[1])));
  }
  return [...found];
}

test('npm pack includes every file the entry loads, and the types', () => {
  const [packed] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: pkg, encoding: 'utf8' }));
  const files = new Set(packed.files.map((f) => f.path));
  const manifest = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8'));
  const entry = normalize(manifest.exports['.'].import);
  const seen = new Set();
  const queue = [entry];
  while (queue.length) {
    const file = queue.shift();
    if (seen.has(file)) continue;
    seen.add(file);
    assert.ok(files.has(file), `npm pack leaves out ${file}, which the package loads`);
    if (file.endsWith('.js')) queue.push(...references(file));
  }
  assert.ok(seen.has('spa_login_bg.wasm'), 'the entry loads the wasm');
  assert.ok(seen.has('spa_login.js'), 'the entry loads the glue');
  assert.ok(files.has(normalize(manifest.types)), 'the types are packed');
  assert.equal(manifest.sideEffects, false);
});

// Each license the `license` field names (an SPDX expression) is in the tarball as its file,
// with that license's text: the terms travel with the code.
test('npm pack includes the license files the license field names', () => {
  const [packed] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: pkg, encoding: 'utf8' }));
  const files = new Set(packed.files.map((f) => f.path));
  const { license } = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8'));
  const ids = license.split(/\s+(?:OR|AND)\s+/);
  assert.deepEqual(ids, ['MIT', 'Apache-2.0']);
  const texts = { MIT: ['LICENSE-MIT', /^MIT License\b/], 'Apache-2.0': ['LICENSE-APACHE', /Apache License\s+Version 2\.0, January 2004/] };
  for (const id of ids) {
    const [file, text] = texts[id];
    assert.ok(files.has(file), `npm pack leaves out ${file}, the text of ${id}`);
    assert.match(readFileSync(join(pkg, file), 'utf8').trim(), text, `${file} is the text of ${id}`);
  }
});
