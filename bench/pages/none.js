// The floor: the same page with no library, for the page load itself and the empty heap.
import { boot } from './boot.js';

boot({
  create: async () => ({}),
  ready: async () => ({}),
});
