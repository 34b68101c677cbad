import { defineConfig } from 'vitest/config';

// One suite, two databases: `npm run test:pglite` (embedded) and `npm run test:postgres`
// (TEST_DATABASE_URL set). Each test file gets its own database or schema, so files run in parallel.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
