import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { fileURLToPath } from 'node:url';

// The relay serves the built client; in development Vite serves it and
// forwards the sockets to a relay on RELAY_DEV_PORT.
const relayDevPort = Number(process.env.RELAY_DEV_PORT ?? 8081);

const stub = (file: string): string => fileURLToPath(new URL(`client/src/lib/format/stubs/${file}`, import.meta.url));

/** Parts of markdown-it the page does not use, replaced by small stand-ins (see each file); tests use the same. */
export const formattingAliases = {
  entities: stub('entities.ts'),
  'linkify-it': stub('linkify-it.ts'),
  'punycode.js': stub('punycode.ts'),
};

export default defineConfig({
  root: 'client',
  plugins: [svelte()],
  resolve: { alias: formattingAliases },
  build: {
    outDir: '../dist/client',
    emptyOutDir: true,
    target: 'es2022',
  },
  server: {
    proxy: { '/ws': { target: `ws://127.0.0.1:${relayDevPort}`, ws: true } },
  },
});
