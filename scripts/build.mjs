// Builds the npm package into pkg/: wasm-pack's release output (wasm + glue) plus what
// pkg-template/ adds (the entry, TypeScript types, package.json fields, README for npm).
// Prints the size an app downloads.
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, delimiter } from 'node:path';
import { fileURLToPath } from 'node:url';
import { shippedBytes } from './size.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = join(root, 'pkg');
const template = join(root, 'pkg-template');

// binaryen's wasm-opt from npm first on PATH: Debian's is too old for wasm-bindgen's output.
// A clean pkg/: nothing of an earlier build's layout is left to be shipped by mistake.
rmSync(pkg, { recursive: true, force: true });
// The pinned nightly of Cargo.toml rebuilds std with panics that abort at once (no panic
// messages or formatting code in the wasm).
const toolchain = /^package-toolchain = "(.*)"/m.exec(readFileSync(join(root, 'Cargo.toml'), 'utf8'))[1];
const env = {
  ...process.env,
  PATH: [join(root, 'node_modules', '.bin'), process.env.PATH].join(delimiter),
  RUSTUP_TOOLCHAIN: toolchain,
  RUSTFLAGS: '-Zunstable-options -Cpanic=immediate-abort',
};
const cargoArgs = ['--', '-Z', 'build-std=std,panic_abort'];
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
for (const file of ['index.js', 'effects.js', 'index.d.ts', 'README.md']) copyFileSync(join(template, file), join(pkg, file));
// wasm-pack's own types describe the raw wasm exports, not the API: index.d.ts replaces them.
for (const file of ['.gitignore', 'spa_login.d.ts', 'spa_login_bg.wasm.d.ts']) rmSync(join(pkg, file), { force: true });
for (const file of fields.files) {
  if (!file.includes('*') && !existsSync(join(pkg, file))) throw new Error(`pkg/${file} is missing after the build`);
}

const size = shippedBytes();
console.log(`pkg/ built: ${size.raw} bytes raw, ${size.gzip} gzip -9, ${size.brotli} brotli (entry + effects + glue + wasm)`);
