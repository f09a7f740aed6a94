import react from '@vitejs/plugin-react';
import { defineConfig, type PluginOption } from 'vite';

const api = 'http://127.0.0.1:4000';

// @vitejs/plugin-react is hoisted to the root and typed against the root's vite, which may be a
// different major than web's own; the plugin supports both, only the declared types differ.
const reactPlugin = react() as PluginOption;

export default defineConfig({
  plugins: [reactPlugin],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    rollupOptions: {
      // The libraries every page needs change less often than the app: a release of the app alone
      // leaves their chunk in the browser's cache.
      output: {
        manualChunks: {
          libraries: [
            'react',
            'react-dom',
            'react-dom/client',
            'react-router',
            '@radix-ui/react-dialog',
            '@radix-ui/react-dropdown-menu',
          ],
        },
      },
    },
  },
  server: {
    proxy: {
      '/v1': { target: api, changeOrigin: false },
      '/health': { target: api, changeOrigin: false },
    },
  },
});
