import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: '@spoolkit/backend-localdisk',
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
  },
});
