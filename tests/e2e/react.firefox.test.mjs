// End-to-end: the react sample app against the local provider and API, in headless Firefox.
import { defineSampleSuite } from './harness.mjs';

defineSampleSuite('react', { lifecycle: true, browser: 'firefox' });
