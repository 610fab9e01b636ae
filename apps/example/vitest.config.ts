import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: '@spoolkit/example',
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
  },
});
