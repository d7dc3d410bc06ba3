// What an app downloads: our package (entry, glue, .wasm) next to each peer's
// minified browser bundle of what a typical app imports. Raw, gzip -9 and brotli 11, in bytes.
// `node bench/size.mjs` prints the table (fast: esbuild only, no browser); run.mjs uses it too.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

export const BENCH = dirname(fileURLToPath(import.meta.url));
export const ROOT = join(BENCH, '..');
export const PKG = join(ROOT, 'pkg');
const DEFAULT_PKG = PKG;

// What a typical app imports from each peer.
export const PEER_IMPORTS = {
  'auth0-js': "export { WebAuth } from 'auth0-js';",
  '@auth0/auth0-spa-js': "export { createAuth0Client } from '@auth0/auth0-spa-js';",
  'oidc-client': "export { UserManager } from 'oidc-client';",
  'oidc-client-ts': "export { UserManager } from 'oidc-client-ts';",
};

// The framework bindings: ours (pkg/react.js, pkg/vue.js, which import the entry) next to the
// peers' bindings for the same framework, with what a typical app imports, the framework left
// out (it is the app's). The peers' builds carry @auth0/auth0-spa-js inline, so theirs is the
// binding with its client; ours is given alone and with the client (entry, glue and wasm as
// shipped).
export const BINDINGS = {
  react: {
    ours: 'react.js',
    peer: '@auth0/auth0-react',
    import: "export { Auth0Provider, useAuth0, withAuthenticationRequired } from '@auth0/auth0-react';",
    framework: ['react', 'react-dom'],
  },
  vue: {
    ours: 'vue.js',
    peer: '@auth0/auth0-vue',
    import: "export { createAuth0, useAuth0, authGuard } from '@auth0/auth0-vue';",
    framework: ['vue', 'vue-router'],
  },
};

// The options of every browser bundle: what an app's production build does.
export const ESBUILD_BROWSER = {
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2020',
  define: { 'process.env.NODE_ENV': '"production"' },
  legalComments: 'none',
  logLevel: 'error',
  write: false,
};

export function compressed(buf) {
  return {
    raw: buf.length,
    gzip: gzipSync(buf, { level: 9 }).length,
    brotli: brotliCompressSync(buf, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  };
}

const add = (a, b) => ({ raw: a.raw + b.raw, gzip: a.gzip + b.gzip, brotli: a.brotli + b.brotli });

// The JS files that our entry loads: index.js (the glue bundled in), and any snippets of the glue.
function ourJsFiles(PKG) {
  const files = ['index.js'];
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.js')) files.push(relative(PKG, p));
    }
  };
  if (existsSync(join(PKG, 'snippets'))) walk(join(PKG, 'snippets'));
  return files;
}

export function installedVersion(name) {
  return JSON.parse(readFileSync(join(BENCH, 'node_modules', name, 'package.json'), 'utf8')).version;
}

export async function measureSizes(PKG = DEFAULT_PKG) {
  const esbuild = await import('esbuild');
  for (const f of ['index.js', 'spa_login_bg.wasm']) {
    if (!existsSync(join(PKG, f))) throw new Error(`${f} is missing in ${relative(ROOT, PKG)}: build the package first (npm run build)`);
  }

  // Ours as shipped: every file separately (they are separate downloads), compressed each.
  const jsFiles = ourJsFiles(PKG);
  const wasm = compressed(readFileSync(join(PKG, 'spa_login_bg.wasm')));
  const shippedFiles = jsFiles.map((f) => ({ file: `pkg/${f}`, ...compressed(readFileSync(join(PKG, f))) }));
  const shippedJs = shippedFiles.reduce(add, { raw: 0, gzip: 0, brotli: 0 });

  // Ours minified: the same JS bundled into one minified file by esbuild (the wasm stays a
  // separate file: esbuild leaves `new URL('./spa_login_bg.wasm', import.meta.url)` alone).
  const ours = await esbuild.build({
    ...ESBUILD_BROWSER,
    stdin: { contents: "export { createClient } from './index.js';", resolveDir: PKG, loader: 'js' },
    logOverride: { 'duplicate-object-key': 'silent' }, // wasm-bindgen's import object, harmless
  });
  const minJs = compressed(Buffer.from(ours.outputFiles[0].contents));

  const peers = {};
  for (const [name, contents] of Object.entries(PEER_IMPORTS)) {
    const out = await esbuild.build({ ...ESBUILD_BROWSER, stdin: { contents, resolveDir: BENCH, loader: 'js' } });
    peers[name] = { version: installedVersion(name), import: contents.replace(/^export/, 'import'), ...compressed(Buffer.from(out.outputFiles[0].contents)) };
  }

  const bindings = {};
  for (const [framework, b] of Object.entries(BINDINGS)) {
    const peer = await esbuild.build({ ...ESBUILD_BROWSER, external: b.framework, stdin: { contents: b.import, resolveDir: BENCH, loader: 'js' } });
    const ours = compressed(readFileSync(join(PKG, b.ours)));
    bindings[framework] = {
      ours: { file: `pkg/${b.ours}`, alone: ours, withClient: add(ours, add(shippedJs, wasm)) },
      peer: {
        name: b.peer,
        version: installedVersion(b.peer),
        import: b.import.replace(/^export/, 'import'),
        ...compressed(Buffer.from(peer.outputFiles[0].contents)),
      },
    };
  }

  return {
    bindings,
    ours: {
      files: ['pkg/' + jsFiles.join(' + pkg/'), 'pkg/spa_login_bg.wasm'].join(' + '),
      shipped: add(shippedJs, wasm),
      shippedFiles: [...shippedFiles, { file: 'pkg/spa_login_bg.wasm', ...wasm }],
      minified: add(minJs, wasm),
      minifiedJs: minJs,
      wasm,
    },
    peers,
  };
}

export const kb = (n) => (n / 1024).toFixed(1);

export function sizeSummary(s) {
  const peers = Object.entries(s.peers).map(([n, p]) => `${n} ${kb(p.gzip)}`).join(', ');
  return `ours ${kb(s.ours.minified.gzip)} KB gzip -9 (minified JS + wasm; ${kb(s.ours.shipped.gzip)} as shipped) vs ${peers}`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const s = await measureSizes();
  const row = (name, v) => `${name.padEnd(36)} ${String(v.raw).padStart(8)} ${String(v.gzip).padStart(8)} ${String(v.brotli).padStart(8)}`;
  console.log(`${'bytes'.padEnd(36)} ${'raw'.padStart(8)} ${'gzip -9'.padStart(8)} ${'brotli'.padStart(8)}`);
  console.log(row('spa-login (minified JS + wasm)', s.ours.minified));
  console.log(row('spa-login (as shipped)', s.ours.shipped));
  console.log(row('  of which .wasm', s.ours.wasm));
  for (const [name, p] of Object.entries(s.peers)) console.log(row(`${name} ${p.version}`, p));
  for (const [framework, b] of Object.entries(s.bindings)) {
    console.log(`${framework} binding (${b.ours.file}; the framework not counted, the peer's client inline)`);
    console.log(row(`  spa-login/${framework} alone`, b.ours.alone));
    console.log(row(`  spa-login/${framework} with the client`, b.ours.withClient));
    console.log(row(`  ${b.peer.name} ${b.peer.version}`, b.peer));
  }
  console.log(`size: ${sizeSummary(s)}`);
}
