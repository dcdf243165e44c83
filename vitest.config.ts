import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/support/runner-env.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Real peers and real processes: two cores, so keep files from starving each other.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
