import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// The relay serves the built client; in development Vite serves it and
// forwards the sockets to a relay on RELAY_DEV_PORT.
const relayDevPort = Number(process.env.RELAY_DEV_PORT ?? 8081);

export default defineConfig({
  root: 'client',
  plugins: [svelte()],
  build: {
    outDir: '../dist/client',
    emptyOutDir: true,
    target: 'es2022',
  },
  server: {
    proxy: { '/ws': { target: `ws://127.0.0.1:${relayDevPort}`, ws: true } },
  },
});
