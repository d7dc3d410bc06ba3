// End-to-end: the plain sample under a strict Content-Security-Policy, in headless Firefox.
import { defineCspSuite } from './csp.mjs';

defineCspSuite('firefox');
