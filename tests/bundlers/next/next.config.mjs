import { fileURLToPath } from 'node:url';

export default {
  // Plain files in out/: the test serves them with the app's /config.json on loopback.
  output: 'export',
  // spa-login is linked from the repository's pkg/, outside this project: the repository is
  // the root Turbopack may read from (an app installing from npm needs nothing of this).
  turbopack: { root: fileURLToPath(new URL('../../..', import.meta.url)) },
};
