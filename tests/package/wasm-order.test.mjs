// The build's function order for gzip (scripts/wasm-order.mjs): a permutation of the module's
// functions, the same every time, that puts functions sharing byte sequences side by side.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipOrder } from '../../scripts/wasm-order.mjs';

const bytes = (seed, length) => Uint8Array.from({ length }, (_, i) => (seed * 31 + i * i * 7 + (i >> 3) * seed) & 0xff);

test('every function is placed once, and the same input gives the same order', () => {
  const bodies = Array.from({ length: 40 }, (_, i) => bytes(i % 7, 20 + i));
  const order = gzipOrder(bodies);
  assert.deepEqual([...order].sort((a, b) => a - b), [...bodies.keys()]);
  assert.deepEqual(gzipOrder(bodies), order);
});

test('a function goes next to the one it shares its byte sequences with', () => {
  const a = bytes(3, 64);
  const b = bytes(5, 64);
  const c = bytes(11, 64);
  // 0 and 3 share a's bytes, 1 and 4 b's, 2 and 5 c's; the linker put them apart.
  const bodies = [a, b, c, Uint8Array.from([...a, 1, 2]), Uint8Array.from([9, ...b]), Uint8Array.from([...c, 0])];
  const order = gzipOrder(bodies);
  const neighbours = (x, y) => Math.abs(order.indexOf(x) - order.indexOf(y)) === 1;
  assert.ok(neighbours(0, 3) && neighbours(1, 4) && neighbours(2, 5), `order ${order}`);
});
