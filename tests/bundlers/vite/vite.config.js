// Nothing here is about WebAssembly: the package entry needs no plugin.
export default {
  resolve: {
    // Only because the shared app source lives outside this project (../app/): resolve
    // 'spa-login' from this project's node_modules, as an app's own source would.
    dedupe: ['spa-login'],
  },
};
