import react from '@vitejs/plugin-react';
import { defineConfig, type PluginOption } from 'vite';

const api = 'http://127.0.0.1:4000';

// @vitejs/plugin-react is hoisted to the root and typed against the root's vite, which may be a
// different major than web's own; the plugin supports both, only the declared types differ.
const reactPlugin = react() as PluginOption;

export default defineConfig({
  plugins: [reactPlugin],
  build: { outDir: 'dist', emptyOutDir: true },
  server: {
    proxy: {
      '/v1': { target: api, changeOrigin: false },
      '/health': { target: api, changeOrigin: false },
    },
  },
});
