import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: '@spoolkit/config-lua',
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
  },
});
