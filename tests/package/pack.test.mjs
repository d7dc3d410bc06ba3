// The package as npm would publish it: `npm pack` must carry every file the entry loads, or an
// app installing it from the registry breaks while the tests (which link pkg/) pass.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

test('npm pack includes every file the entry and the bindings load, and their types', () => {
  const [packed] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: pkg, encoding: 'utf8' }));
  const files = new Set(packed.files.map((f) => f.path));
  const manifest = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8'));
  assert.deepEqual(Object.keys(manifest.exports), ['.', './react', './vue', './package.json']);
  const entries = ['.', './react', './vue'].map((name) => normalize(manifest.exports[name].import));
  for (const name of ['./react', './vue']) {
    assert.ok(files.has(normalize(manifest.exports[name].types)), `the types of ${name} are packed`);
    // The binding loads the entry as a module of its own: one client module in an app.
    assert.ok(references(normalize(manifest.exports[name].import)).includes('index.js'), `${name} imports ./index.js`);
  }
  // The frameworks are the app's: optional peers, so an app that uses neither installs neither.
  assert.deepEqual(manifest.peerDependencies, { react: '>=18', vue: '>=3.3' });
  assert.deepEqual(manifest.peerDependenciesMeta, { react: { optional: true }, vue: { optional: true } });
  const seen = new Set();
  const queue = [...entries];
  while (queue.length) {
    const file = queue.shift();
    if (seen.has(file)) continue;
    seen.add(file);
    assert.ok(files.has(file), `npm pack leaves out ${file}, which the package loads`);
    if (file.endsWith('.js')) queue.push(...references(file));
  }
  assert.ok(seen.has('spa_login_bg.wasm'), 'the entry loads the wasm');
  assert.ok(files.has(normalize(manifest.types)), 'the types are packed');
  assert.equal(manifest.sideEffects, false);
});

// The bindings as an app's server imports them (server rendering, Next.js prerendering): from
// the packed tarball, in Node, with no window. Importing must not throw, and a render shows the
// loading state (the session is the browser's to find out).
test('the packed bindings import and render on the server (no window)', async () => {
  const dir = fileURLToPath(new URL('./ssr/', import.meta.url));
  // The frameworks, pinned by ssr/package-lock.json; installed once (npm prunes the unpacked
  // package below, so it is unpacked after).
  if (['react-dom', 'vue', 'vue-router'].some((name) => !existsSync(join(dir, `node_modules/${name}/package.json`)))) {
    execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: dir, stdio: 'ignore' });
  }
  const tmp = mkdtempSync(join(tmpdir(), 'spa-login-pack-'));
  try {
    const [{ filename }] = JSON.parse(execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', tmp], { cwd: pkg, encoding: 'utf8' }));
    const target = join(dir, 'node_modules/spa-login');
    rmSync(target, { recursive: true, force: true });
    mkdirSync(target, { recursive: true });
    execFileSync('tar', ['xzf', join(tmp, filename), '-C', target, '--strip-components=1']);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  // A child process: this one's module cache and globals stay out of it.
  const script = `
    import assert from 'node:assert/strict';
    assert.equal(typeof window, 'undefined');
    const react = await import('spa-login/react');
    const vue = await import('spa-login/vue');
    const { createElement } = await import('react');
    const { renderToString } = await import('react-dom/server');
    const Status = () => {
      const { isLoading, isAuthenticated } = react.useAuth();
      return createElement('b', null, isLoading ? 'Loading' : isAuthenticated ? 'Logged in' : 'Logged out');
    };
    const Guarded = react.withAuthenticationRequired(() => 'secret', { onRedirecting: () => 'Redirecting' });
    const html = renderToString(createElement(react.AuthProvider, { issuer: 'https://op.example', clientId: 'c' },
      createElement(Status), createElement(Guarded)));
    const { createSSRApp, h } = await import('vue');
    const { renderToString: renderVue } = await import('vue/server-renderer');
    const { RouterView, createMemoryHistory, createRouter } = await import('vue-router');
    // A guarded route rendered on the server: the guard lets it render (no session is known
    // there), rather than waiting for a start that only the browser makes.
    const router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/orders', component: { render: () => h('i', 'Orders') }, beforeEnter: vue.authGuard }] });
    const app = createSSRApp({ setup() { const a = vue.useAuth(); return () => [h('b', a.isLoading.value ? 'Loading' : 'Done'), h(RouterView)]; } });
    app.use(router).use(vue.createAuth({ issuer: 'https://op.example', clientId: 'c' }));
    await router.push('/orders');
    await router.isReady();
    console.log(JSON.stringify({ react: html, vue: await renderVue(app), exports: [Object.keys(react).sort(), Object.keys(vue).sort()] }));
  `;
  const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: dir, encoding: 'utf8' }));
  assert.equal(out.react, '<b>Loading</b>Redirecting');
  assert.equal(out.vue, '<!--[--><b>Loading</b><i>Orders</i><!--]-->');
  assert.deepEqual(out.exports, [['AuthProvider', 'useAuth', 'withAuthenticationRequired'], ['authGuard', 'createAuth', 'useAuth']]);
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
