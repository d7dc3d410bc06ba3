// Builds the npm package into pkg/: wasm-pack's release output (wasm + glue) plus what
// pkg-template/ adds (the entry, TypeScript types, package.json fields, README for npm).
// Prints the size an app downloads.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, delimiter } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, buildSync } from 'esbuild';
import { shippedBytes } from './size.mjs';
import { orderFunctions } from './wasm-order.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = join(root, 'pkg');
const template = join(root, 'pkg-template');
// The features wasm-bindgen's output uses (externref, multi-value returns) and the package's
// wasm-opt settings in Cargo.toml allow.
const FEATURES = ['--enable-reference-types', '--enable-multivalue', '--enable-bulk-memory', '--enable-nontrapping-float-to-int',
  '--enable-sign-ext', '--enable-mutable-globals'];

// A clean pkg/: nothing of an earlier build's layout is left to be shipped by mistake.
rmSync(pkg, { recursive: true, force: true });
// The pinned nightly of Cargo.toml rebuilds std with panics that abort at once (no panic
// messages or formatting code in the wasm).
const toolchain = /^package-toolchain = "(.*)"/m.exec(readFileSync(join(root, 'Cargo.toml'), 'utf8'))[1];
// Source paths that std's code embeds are mapped to fixed names: the wasm is the same on every
// machine (the size budget is exact) and carries no path of the machine that built it.
const sysroot = execFileSync('rustc', [`+${toolchain}`, '--print', 'sysroot'], { encoding: 'utf8' }).trim();
const cargoHome = process.env.CARGO_HOME || join(homedir(), '.cargo');
const env = {
  ...process.env,
  // binaryen's wasm-opt from npm first on PATH: Debian's is too old for wasm-bindgen's output.
  PATH: [join(root, 'node_modules', '.bin'), process.env.PATH].join(delimiter),
  RUSTUP_TOOLCHAIN: toolchain,
  RUSTFLAGS: [
    '-Zunstable-options',
    '-Cpanic=immediate-abort',
    // No file/line/column in the few panic locations left, no Debug formatting code.
    '-Zlocation-detail=none',
    '-Zfmt-debug=none',
    // LLVM inlines a call at -Oz when it costs less than 5; 8 lets it fold the smallest
    // helpers (accessors, one-line wrappers) into their callers, where the call's own set-up
    // was larger than the body: 285 bytes gzip less. Higher grows it again (against 8: 12 and
    // 15 +113 bytes, 20 +1,049).
    '-Cllvm-args=-inline-threshold=8',
    // A 64 KiB stack instead of the linker's 1 MiB. The stack comes first in memory, so the
    // static data (strings, tables) begins at its end: every address of it in the code is then
    // a 3-byte constant, not a 4-byte one (128 bytes gzip less). The deepest use is JSON at the
    // parser's nesting limit, which needs under 16 KiB; conformance tests parse and write that
    // (an ID token's claims, appState), and fail with an out-of-bounds access at 8 KiB.
    '-Clink-arg=-zstack-size=65536',
    `--remap-path-prefix=${sysroot}=/rust`,
    `--remap-path-prefix=${cargoHome}=/cargo`,
    `--remap-path-prefix=${root}=/spa-login`,
  ].join(' '),
};
const cargoArgs = ['.', '-Z', 'build-std=std,panic_abort'];
execFileSync('wasm-pack', ['build', '--target', 'web', '--release', '--out-dir', 'pkg', '--out-name', 'spa_login', ...cargoArgs], {
  cwd: root,
  env,
  stdio: 'inherit',
});

// The module with its function names, as wasm-pack optimized it (Cargo.toml keeps the names
// through its wasm-opt run): what scripts/size-floor.mjs reads. Not shipped; the renaming and
// reordering below drop the names.
mkdirSync(join(root, 'target'), { recursive: true });
copyFileSync(join(pkg, 'spa_login_bg.wasm'), join(root, 'target', 'spa-login-names.wasm'));

// wasm-pack's package.json gives name, version, description, license, repository; the template
// gives how the package is loaded.
const generated = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8'));
const fields = JSON.parse(readFileSync(join(template, 'package.json'), 'utf8'));
const { name, version, description, license, repository, keywords } = generated;
writeFileSync(
  join(pkg, 'package.json'),
  JSON.stringify({ name, version, description, license, repository, keywords, ...fields }, null, 2) + '\n',
);
for (const file of ['index.d.ts', 'react.d.ts', 'vue.d.ts', 'README.md']) copyFileSync(join(template, file), join(pkg, file));
// The licenses package.json's `license` names (MIT OR Apache-2.0), whatever wasm-pack copied.
for (const file of ['LICENSE-MIT', 'LICENSE-APACHE']) copyFileSync(join(root, file), join(pkg, file));
// The JS an app downloads, minified as the peers' bundles are (identifiers, whitespace,
// comments): one file, the entry with its effects and the wasm-bindgen glue bundled in (one
// request, one compression dictionary, and what the entry does not use of the glue left out).
// The readable sources are pkg-template/ and wasm-pack's output.
const glue = join(pkg, 'spa_login.js');
writeFileSync(glue, shortNames(readFileSync(glue, 'utf8')));
// The functions in an order that compresses better (see wasm-order.mjs).
orderFunctions(join(pkg, 'spa_login_bg.wasm'), (args) => execFileSync('wasm-opt', [...args, ...FEATURES], { env }));
await build({
  entryPoints: [join(template, 'index.js')],
  outfile: join(pkg, 'index.js'),
  bundle: true,
  // The entry imports the glue as its sibling, as it is in pkg/ during development.
  // The glue's import of host.js (wasm-bindgen's copy under snippets/) and the entry's are one
  // module: the entry registers the app's clocks where the wasm reads them.
  plugins: [{
    name: 'glue',
    setup: (b) => {
      b.onResolve({ filter: /^\.\/spa_login\.js$/ }, () => ({ path: glue }));
      b.onResolve({ filter: /\/snippets\/.*\/host\.js$/ }, () => ({ path: join(template, 'host.js') }));
    },
  }],
  format: 'esm',
  minify: true,
  legalComments: 'none',
  // V8's explicit compile hint (read by Chromium; other engines see a comment): where the entry
  // is loaded as its own file (an import map, a CDN, a dev server), Chromium compiles all of its
  // functions on a background thread as the file streams in, rather than each on the main
  // thread at its first call (in a trace of a login and its callback page, 13 main-thread
  // compiles instead of 49). It must be the file's first line. A bundler that merges the entry
  // into the app's file drops it.
  banner: { js: '//# allFunctionsCalledOnLoad' },
});
rmSync(glue);
// Bundled into the entry above.
rmSync(join(pkg, 'snippets'), { recursive: true, force: true });
// The framework bindings, each one file with what they share bundled in; the entry stays a
// module of its own (one client module per app, and nothing more for an app that uses neither).
for (const binding of ['react', 'vue']) {
  buildSync({
    entryPoints: [join(template, `${binding}.js`)],
    outfile: join(pkg, `${binding}.js`),
    bundle: true,
    external: ['./index.js', 'react', 'vue'],
    format: 'esm',
    minify: true,
    legalComments: 'none',
  });
}
// wasm-pack's own types describe the raw wasm exports, not the API: index.d.ts replaces them.
for (const file of ['.gitignore', 'spa_login.d.ts', 'spa_login_bg.wasm.d.ts']) rmSync(join(pkg, file), { force: true });
for (const file of fields.files) {
  if (!file.includes('*') && !existsSync(join(pkg, file))) throw new Error(`pkg/${file} is missing after the build`);
}

// wasm-bindgen names each import with a hash (`__wbg_getItem_bc0b89f59c2f1965`) and each export
// after its Rust path, and the wasm and the glue both spell every name out. binaryen renames
// them to a letter or two in the wasm and prints what it renamed; the same renaming is applied
// to the glue, where imports are the keys of its import object and exports are read as
// `wasm.<name>`.
function shortNames(glueText) {
  const wasmFile = join(pkg, 'spa_login_bg.wasm');
  const printed = execFileSync('wasm-opt', [wasmFile, '--minify-imports-and-exports-and-modules', ...FEATURES, '-o', wasmFile], { env, encoding: 'utf8' });
  const { imports, exports } = JSON.parse(printed.slice(printed.indexOf('{')));
  // The one import module (the glue) gets a short name too.
  const modules = new Set(WebAssembly.Module.imports(new WebAssembly.Module(readFileSync(wasmFile))).map((i) => i.module));
  if (modules.size !== 1 || new Set(imports.map(([m]) => m)).size !== 1) throw new Error('the wasm should import from the glue only');
  let text = glueText.replaceAll(JSON.stringify(imports[0][0]), JSON.stringify([...modules][0]));
  for (const [, from, to] of imports) text = text.replace(new RegExp(`\\b${from}\\b`, 'g'), to);
  for (const [from, to] of exports) text = text.replace(new RegExp(`\\bwasm\\.${from}\\b`, 'g'), `wasm.${to}`);
  for (const [, from] of imports) if (text.includes(from)) throw new Error(`the glue still names the import ${from}`);
  for (const [from] of exports) if (new RegExp(`\\bwasm\\.${from}\\b`).test(text)) throw new Error(`the glue still reads the export ${from}`);
  return text;
}

const size = shippedBytes();
console.log(`pkg/ built: ${size.raw} bytes raw, ${size.gzip} gzip -9, ${size.brotli} brotli (entry with the glue, and the wasm)`);
