import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/cli.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  target: 'node20',
  clean: true,
  sourcemap: false,
  // `import.meta.url` in the CommonJS build, for `createRequire` (see cli.ts).
  shims: true,
});
