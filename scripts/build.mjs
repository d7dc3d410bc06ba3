// Builds the npm package into pkg/: wasm-pack's release output (wasm + glue) plus what
// pkg-template/ adds (the entry, TypeScript types, package.json fields, README for npm).
// Prints the size an app downloads.
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, delimiter } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync, transformSync } from 'esbuild';
import { shippedBytes } from './size.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = join(root, 'pkg');
const template = join(root, 'pkg-template');

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
// The JS an app downloads, minified as the peers' bundles are (identifiers, whitespace,
// comments): the entry with its effects module bundled in (one file, one request), and the
// wasm-bindgen glue, which the entry imports. The readable sources are pkg-template/ and
// wasm-pack's output.
buildSync({
  entryPoints: [join(template, 'index.js')],
  outfile: join(pkg, 'index.js'),
  bundle: true,
  external: ['./spa_login.js'],
  format: 'esm',
  minify: true,
  legalComments: 'none',
});
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
const glue = join(pkg, 'spa_login.js');
writeFileSync(glue, transformSync(readFileSync(glue, 'utf8'), { format: 'esm', minify: true, legalComments: 'none' }).code);
// wasm-pack's own types describe the raw wasm exports, not the API: index.d.ts replaces them.
for (const file of ['.gitignore', 'spa_login.d.ts', 'spa_login_bg.wasm.d.ts']) rmSync(join(pkg, file), { force: true });
for (const file of fields.files) {
  if (!file.includes('*') && !existsSync(join(pkg, file))) throw new Error(`pkg/${file} is missing after the build`);
}

const size = shippedBytes();
console.log(`pkg/ built: ${size.raw} bytes raw, ${size.gzip} gzip -9, ${size.brotli} brotli (entry + glue + wasm)`);
