// The renewal lock (pkg-template/effects.js, the `lock` effect) where the browser has no Web
// Locks, or refuses them (a SecurityError in an opaque origin): the flows of one tab that
// renew the same token still take turns, so that one refresh token is never sent twice; locks
// of other names do not wait. Node has no Web Locks: `navigator` is stood in for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { perform } from '../../pkg-template/effects.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 10));

for (const [what, navigator] of [
  ['no Web Locks', {}],
  ['Web Locks refused', { locks: { request: () => Promise.reject(new DOMException('refused', 'SecurityError')) } }],
]) {
  test(`${what}: the renewals of one tab take turns, lock by lock`, async () => {
    globalThis.navigator = navigator;
    const [a, b, c, d] = [{}, {}, {}, {}];
    const got = [];
    const take = (name, ctx, tag) => perform({ op: 'lock', name }, ctx).then(() => got.push(tag));
    const first = take('spa-login.renew A', a, 'a');
    const second = take('spa-login.renew A', b, 'b');
    const third = take('spa-login.renew A', d, 'd');
    const other = take('spa-login.renew B', c, 'c');
    await Promise.all([first, other]);
    await tick();
    assert.deepEqual(got, ['a', 'c'], 'the second waits for the first');
    a.unlock();
    await second;
    await tick();
    assert.deepEqual(got, ['a', 'c', 'b'], 'then the second, while the third waits');
    b.unlock();
    await third;
    d.unlock();
    c.unlock();
    // Released: a new flow takes it at once.
    const e = {};
    await take('spa-login.renew A', e, 'e');
    assert.deepEqual(got, ['a', 'c', 'b', 'd', 'e']);
    e.unlock();
  });
}
