// The conformance suite: every rule of docs/CONFORMANCE.md (which maps each to its
// test) checked through the public API of the built package in one headless Chromium.
// Run from the repository root, after `node scripts/build.mjs`:  node --test tests/conformance/
import { useBrowser } from './harness.mjs';

useBrowser();

// Each section registers its describe() block; imported after the browser hooks.
const only = process.env.CONFORMANCE_SECTIONS?.split(',');
for (const section of ['request', 'response', 'id-token', 'renew-popup-logout', 'storage', 'flows', 'code']) {
  if (!only || only.includes(section)) await import(`./sections/${section}.mjs`);
}
