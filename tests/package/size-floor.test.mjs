// What stands between the package and a size goal (scripts/size-floor.mjs): the named copy the
// build keeps is the shipped module's code, and the parts it reports cover that code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { functions } from '../../scripts/wasm-order.mjs';
import { FLOWS, NAMED, REST, partOf, sizeFloor } from '../../scripts/size-floor.mjs';
import { PKG, shippedBytes } from '../../scripts/size.mjs';

test('functions are put in their part by their Rust path', () => {
  const h = '[0123456789abcdef]';
  assert.equal(partOf(`<spa_login${h}::core::no_drop::NoDrop<<spa_login${h}::core::client::Client<spa_login${h}::web::WebPorts>>::refresh::{closure#0}> as core${h}::future::future::Future>::poll`), FLOWS);
  assert.equal(partOf(`spa_login${h}::core::metadata::resolve::{closure#3}`), FLOWS);
  assert.equal(partOf(`<spa_login${h}::core::json::Parser>::value`), 'core::json');
  assert.equal(partOf(`<spa_login${h}::core::client::Client<spa_login${h}::web::WebPorts>>::forget`), 'core::client');
  assert.equal(partOf(`spa_login${h}::web::read_number`), 'web');
  assert.equal(partOf(`core${h}::str::converts::from_utf8`), REST);
  assert.equal(partOf(''), REST);
});

test("the build's named copy is the shipped module's code, and its parts cover all of it", () => {
  const named = readFileSync(NAMED);
  const shipped = functions(readFileSync(`${PKG}/spa_login_bg.wasm`));
  const copy = functions(named);
  assert.equal(copy.bodies.length, shipped.bodies.length, 'as many functions as the shipped module');
  const total = shippedBytes().gzip;
  const floor = sizeFloor(named, total);
  assert.ok(floor.named >= floor.functions * 0.95, `${floor.named} of ${floor.functions} functions named`);
  const code = copy.bodies.reduce((n, b) => n + b.length, 0);
  const parts = floor.parts.filter((p) => !p.part.startsWith('the text'));
  assert.equal(parts.reduce((n, p) => n + p.raw, 0), code, 'every function in one part');
  for (const p of floor.parts) assert.ok(p.raw > 0 && p.package < total, `${p.part}: ${p.package} against ${total}`);
  const [flows, flowsAndText, verifierOnly] = floor.ways.map((w) => w.package);
  assert.ok(verifierOnly < flowsAndText && flowsAndText < flows && flows < total, floor.ways.map((w) => w.package).join(' '));
});
