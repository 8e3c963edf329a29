import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // End-to-end tests start servers and run the go command: give them room.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // The machines have two cores; files that each run several go commands
    // compete for them, so keep the pool small.
    maxWorkers: 2,
  },
});
