import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // QEMU boots and kernel-tree scans are real work on a 2-core machine.
    testTimeout: 120_000,
    hookTimeout: 600_000,
    pool: 'forks',
  },
});
