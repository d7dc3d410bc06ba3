// End-to-end: the vue sample app against the local provider and API, in headless Firefox.
import { defineSampleSuite } from './harness.mjs';

defineSampleSuite('vue', { lifecycle: true, browser: 'firefox' });
