// What stands between the package and a size goal, measured: for each part of the .wasm (the
// flows' async state machines, each module of the core, the text), what the package would weigh
// (gzip -9, as the size budget counts it) if that part cost nothing.
//
// `node scripts/size-floor.mjs [goal-bytes]` after `node scripts/build.mjs`, which keeps a copy
// of the .wasm with its function names (target/spa-login-names.wasm: the same code as shipped,
// before the functions are reordered and renamed). A part "costs nothing" when its function
// bodies are replaced by zeros, which gzip squeezes to almost nothing: the figure is what the
// package would weigh with that part gone and the rest as it is, so no rewrite of that part
// alone can take the package below it. The named copy is not in the shipped order, which
// compresses about 1 KB worse; each saving is measured on the named copy and taken off the
// shipped total.
import { existsSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { functions, readLeb, sections } from './wasm-order.mjs';
import { shippedBytes, PKG } from './size.mjs';

export const NAMED = fileURLToPath(new URL('../target/spa-login-names.wasm', import.meta.url));

// Rust's mangled paths carry a crate hash (`spa_login[8d0e…]`): gone, they read as source paths.
const clean = (name) => name.replace(/\[[0-9a-f]{16}\]/g, '');
const isFlow = (n) => /NoDrop<|\{closure#\d+\}/.test(n);
export const FLOWS = "the flows' async state machines and closures";
export const REST = 'std, alloc, wasm-bindgen, the allocator';
/** The part of the .wasm a function (by its name) belongs to. */
export function partOf(name) {
  const n = clean(name);
  if (isFlow(n)) return FLOWS;
  const m = /spa_login::(core::\w+|web)/.exec(n);
  return m ? m[1] : REST;
}
// The verifier and what it reads with: what any strict relying party carries, whatever its flows.
const VERIFIER = /^core::(jws|jwks|id_token|sha2|base64url|json|urls|error|text)$/;
// Text: runs of printable ASCII in the data section (error descriptions, member and option names).
const TEXT = /[\x20-\x7e]{12,}/g;
const gz = (b) => gzipSync(b, { level: 9 }).length;

/** The floor of each part and of a few ways the package could go, for the named module `named`
 * (a Buffer) and the package's shipped gzip size `shipped`. */
export function sizeFloor(named, shipped) {
  // The module as shipped has no custom sections: leave them out here too.
  const bytes = withoutCustomSections(named);
  const { imported, bodies } = functions(bytes);
  const names = functionNames(named);
  const data = [...sections(bytes)].find((s) => s.id === 11);
  const base = gz(bytes);
  const partAt = bodies.map((_, f) => partOf(names.get(imported + f) ?? ''));

  /** The package with the chosen functions' bodies (and, with `text`, the text) zeroed. */
  const without = (pick, text = false) => {
    const copy = Buffer.from(bytes);
    let raw = 0;
    bodies.forEach((body, f) => {
      if (!pick(partAt[f])) return;
      const at = body.byteOffset - bytes.byteOffset;
      copy.fill(0, at, at + body.length);
      raw += body.length;
    });
    if (text) {
      for (const m of copy.toString('latin1', data.start, data.end).matchAll(TEXT)) {
        copy.fill(0, data.start + m.index, data.start + m.index + m[0].length);
        raw += m[0].length;
      }
    }
    return { raw, package: shipped - (base - gz(copy)) };
  };

  const sizes = new Map();
  bodies.forEach((body, f) => sizes.set(partAt[f], (sizes.get(partAt[f]) ?? 0) + body.length));
  const parts = [...sizes]
    .sort((a, b) => b[1] - a[1])
    .map(([part, raw]) => ({ part, raw, package: without((p) => p === part).package }));
  parts.push({ part: 'the text in the data (error descriptions, names)', ...without(() => false, true) });
  const ways = [
    { way: "the flows' state machines free", ...without((p) => p === FLOWS) },
    { way: 'and the text free too', ...without((p) => p === FLOWS, true) },
    { way: 'only the verifier, JSON and URLs left (every flow, option, cache and the shell free)', ...without((p) => p !== REST && !VERIFIER.test(p)) },
  ];
  return { functions: bodies.length, named: names.size, parts, ways };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const goal = Number(process.argv[2] ?? 46080);
  if (!existsSync(NAMED)) throw new Error('no target/spa-login-names.wasm: run node scripts/build.mjs first');
  const shipped = shippedBytes().gzip;
  const js = gz(readFileSync(`${PKG}/index.js`));
  const { parts, ways } = sizeFloor(readFileSync(NAMED), shipped);
  const out = [];
  out.push(`The package as shipped: ${shipped} bytes gzip -9 (the entry ${js}, the .wasm ${shipped - js}); the goal: ${goal}.`);
  out.push('');
  out.push('| part of the .wasm | raw bytes | the package if it cost nothing |');
  out.push('|---|--:|--:|');
  for (const p of parts) out.push(`| ${p.part} | ${p.raw} | ${p.package} |`);
  out.push('');
  out.push('| if | raw bytes free | the package | over the goal |');
  out.push('|---|--:|--:|--:|');
  for (const w of ways) out.push(`| ${w.way} | ${w.raw} | ${w.package} | ${w.package - goal} |`);
  console.log(out.join('\n'));
}

function withoutCustomSections(b) {
  const kept = [...sections(b)].filter((s) => s.id !== 0).map((s) => b.subarray(s.at, s.end));
  return Buffer.concat([b.subarray(0, 8), ...kept]);
}

// The "name" custom section's function names (subsection 1), by function index.
function functionNames(b) {
  const out = new Map();
  for (const { id, start, end } of sections(b)) {
    if (id !== 0) continue;
    let [length, p] = readLeb(b, start);
    if (b.toString('utf8', p, p + length) !== 'name') continue;
    for (p += length; p < end; ) {
      const sub = b[p];
      let subSize;
      [subSize, p] = readLeb(b, p + 1);
      if (sub === 1) {
        let [count, q] = readLeb(b, p);
        for (; count > 0; count--) {
          let index, len;
          [index, q] = readLeb(b, q);
          [len, q] = readLeb(b, q);
          out.set(index, b.toString('utf8', q, q + len));
          q += len;
        }
      }
      p += subSize;
    }
  }
  return out;
}
