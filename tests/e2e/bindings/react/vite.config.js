import { defineConfig } from 'vite';

export default defineConfig({
  // React's development build: StrictMode mounts twice only there, and the test is about that.
  define: { 'process.env.NODE_ENV': JSON.stringify('development') },
  // spa-login is linked from the repository's pkg/: its `react` import resolves to this app's.
  resolve: { dedupe: ['react', 'react-dom'] },
});
