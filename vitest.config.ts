import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The suite-wide privacy scan: records what every test sent and logged, checks it at the end.
    globalSetup: ['tests/privacy-scan.global.ts'],
  },
});
