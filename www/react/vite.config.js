import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [react()],
  // spa-login is linked from the repository's pkg/, outside this app: its binding's `react`
  // import is resolved here, to the app's one copy (an app installing from npm needs nothing).
  resolve: { dedupe: ['react', 'react-dom'] },
});
