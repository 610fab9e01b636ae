import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: '@spoolkit/install-check',
    include: ['test/**/*.test.ts'],
    // npm install compiles fs-ext natively, which takes tens of seconds on 2 cores.
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
