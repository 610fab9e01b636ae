import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: '@spoolkit/example-backend-memory',
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
  },
});
