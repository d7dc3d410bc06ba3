// Nothing here is about WebAssembly (no loader, no `experiments`): the package entry needs none.
const path = require('node:path');
const HtmlWebpackPlugin = require('html-webpack-plugin');

module.exports = {
  entry: '../app/main.js',
  output: { path: path.resolve(__dirname, 'dist'), clean: true },
  resolve: {
    // Only because the shared app source lives outside this project (../app/): look in this
    // project's node_modules too, as an app's own source would.
    modules: ['node_modules', path.resolve(__dirname, 'node_modules')],
  },
  plugins: [new HtmlWebpackPlugin({ template: 'index.html' })],
};
