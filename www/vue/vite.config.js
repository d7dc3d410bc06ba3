import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [vue()],
  // spa-login is linked from the repository's pkg/, outside this app: its binding's `vue`
  // import is resolved here, to the app's one copy (an app installing from npm needs nothing).
  resolve: { dedupe: ['vue'] },
});
