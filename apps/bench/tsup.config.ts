import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/cli.ts'],
  format: ['esm'],
  dts: false,
  target: 'node20',
  clean: true,
  sourcemap: false,
});
