// The shipped JS is ES2020 syntax: an app's bundler that targets ES2020 (Vite up to 6 by
// default, for one) has nothing in it to rewrite. Newer syntax would be rewritten on every
// app's build, into bigger and slower code (private class members into WeakMap lookups on each
// access, say). esbuild transforms each file for ES2020 and for the newest syntax; any
// difference is syntax that ES2020 lacks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { transformSync } from 'esbuild';
import { PKG } from '../../scripts/size.mjs';

const shipped = ['index.js', 'react.js', 'vue.js'];

for (const file of shipped) {
  test(`pkg/${file} needs no rewriting for an ES2020 target`, () => {
    const code = readFileSync(join(PKG, file), 'utf8');
    const as = (target) => transformSync(code, { format: 'esm', target, loader: 'js' }).code;
    assert.equal(as('es2020'), as('esnext'), `pkg/${file} has syntax newer than ES2020`);
  });
}

test('the check finds syntax newer than ES2020', () => {
  const as = (target) => transformSync('class A { #x = 1; get x() { return this.#x; } }', { format: 'esm', target }).code;
  assert.notEqual(as('es2020'), as('esnext'));
});

// V8 reads its compile hint only as the file's first line (scripts/build.mjs says why it is there).
test('pkg/index.js begins with the compile hint', () => {
  const first = readFileSync(join(PKG, 'index.js'), 'utf8').split('\n', 1)[0];
  assert.equal(first, '//# allFunctionsCalledOnLoad');
});
