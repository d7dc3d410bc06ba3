// End-to-end: the plain sample app against the local provider and API, in headless Firefox.
import { defineSampleSuite } from './harness.mjs';

defineSampleSuite('plain', { replay: true, browser: 'firefox' });
