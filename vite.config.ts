import { defineConfig } from 'vite';
import solid from 'vite-plugin-solid';

const backend = process.env.CAPSTAN_DEV_BACKEND ?? 'http://127.0.0.1:8080';

export default defineConfig({
  root: 'src/client',
  plugins: [solid()],
  build: {
    outDir: '../../dist/client',
    emptyOutDir: true,
    target: 'es2022',
    reportCompressedSize: true,
  },
  server: {
    proxy: { '/trpc': backend, '/api': backend, '/auth': backend },
  },
});
