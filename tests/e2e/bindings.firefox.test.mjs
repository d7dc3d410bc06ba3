// End-to-end: the React and Vue bindings, in headless Firefox.
import { defineBindingsSuite } from './bindings.mjs';

defineBindingsSuite('firefox');
