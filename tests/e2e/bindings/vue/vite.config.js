import { defineConfig } from 'vite';

export default defineConfig({
  // spa-login is linked from the repository's pkg/: its `vue` import resolves to this app's.
  resolve: { dedupe: ['vue'] },
});
