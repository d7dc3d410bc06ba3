// End-to-end: the React and Vue bindings, in headless Chromium.
import { defineBindingsSuite } from './bindings.mjs';

defineBindingsSuite('chromium');
