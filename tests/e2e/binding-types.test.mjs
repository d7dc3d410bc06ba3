// The bindings' types as an app meets them: spa-login installed in an app of each framework
// (tests/e2e/bindings/), with the framework's own types, and `tsc --strict` over what such an
// app writes (types.tsx, types.ts: the README's examples, skipRedirectCallback with
// handleRedirectCallback, and what the types must refuse, marked @ts-expect-error so a type
// that is too loose fails as surely as one that is too strict).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { buildSample } from '../../www/servers.mjs';

const TSC = fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url));

for (const framework of ['react', 'vue']) {
  test(`spa-login/${framework}: an app type-checks with tsc --strict`, { timeout: 300_000 }, async () => {
    // Installs the app's packages (spa-login from pkg/) where they are not yet.
    await buildSample(`bindings-${framework}`);
    const project = fileURLToPath(new URL(`bindings/${framework}/tsconfig.json`, import.meta.url));
    await promisify(execFile)(process.execPath, [TSC, '-p', project])
      .catch((e) => assert.fail(`tsc --strict refused the ${framework} app:\n${e.stdout}${e.stderr}`));
  });
}
