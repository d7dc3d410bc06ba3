// The size budget: the package an app downloads may not grow past it. Bytes are exact for a
// given toolchain, so this is a fair test; a change that moves the budget says why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { shippedBytes, shippedFiles } from '../../scripts/size.mjs';

const budget = JSON.parse(readFileSync(new URL('./size-budget.json', import.meta.url), 'utf8'));

test(`the package is at most ${budget.gzip} bytes gzip -9`, () => {
  const size = shippedBytes();
  assert.ok(
    size.gzip <= budget.gzip,
    `${size.gzip} bytes gzip -9 (${shippedFiles().join(', ')}) is over the budget of ${budget.gzip}`,
  );
});
