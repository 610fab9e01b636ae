import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: '@spoolkit/bench',
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
  },
});
