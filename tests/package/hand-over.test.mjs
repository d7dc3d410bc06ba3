// The hand-over of a response that landed in a window with no transaction for it (a popup the
// provider's Cross-Origin-Opener-Policy cut off from its opener): pkg-template/effects.js,
// `handOver`. Where the browser has no BroadcastChannel the offer goes through localStorage,
// written and removed at once; tokens never do (the memory cache keeps them out of Web
// Storage), a code may (nothing without the verifier the other window holds). Here the
// browser's window and localStorage are stood in for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { handOver } from '../../pkg-template/effects.js';

const STATE = 'c3RhdGUtb2YtdGhlLXBvcHVw';

// A window without BroadcastChannel: every localStorage write is kept, in order.
function windowWithoutBroadcastChannel() {
  const writes = [];
  globalThis.window = {
    localStorage: { setItem: (k, v) => writes.push([k, v]), removeItem: () => {} },
    addEventListener: () => {},
    removeEventListener: () => {},
  };
  delete globalThis.BroadcastChannel;
  return writes;
}

test('without BroadcastChannel, a response with tokens is not offered through localStorage', async () => {
  for (const url of [
    `https://app.example/cb#access_token=at-secret&token_type=Bearer&state=${STATE}`,
    `https://app.example/cb#id_token=x.y.z&state=${STATE}`,
    `https://app.example/cb#code=c&id_token=x.y.z&state=${STATE}`,
    `https://app.example/cb?state=${STATE}&access_token=at-secret`,
  ]) {
    const writes = windowWithoutBroadcastChannel();
    assert.equal(await handOver(STATE, url), false, url);
    assert.deepEqual(writes, [], `${url}: nothing written to localStorage`);
  }
});

test('without BroadcastChannel, a code response is offered through localStorage', async () => {
  const writes = windowWithoutBroadcastChannel();
  const url = `https://app.example/cb?code=the-code&state=${STATE}`;
  // Nobody takes it here: the offer goes out, and the wait ends without a taker.
  assert.equal(await handOver(STATE, url), false);
  assert.deepEqual(writes.map(([k, v]) => [k, JSON.parse(v)]), [['spa-login:response', { type: 'spa-login:response', state: STATE, url }]]);
});
