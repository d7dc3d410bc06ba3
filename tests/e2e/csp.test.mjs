// End-to-end: the plain sample under a strict Content-Security-Policy, in headless Chromium.
import { defineCspSuite } from './csp.mjs';

defineCspSuite('chromium');
