import { configDefaults, defineConfig } from 'vitest/config';

// Tests that need the real Unleash (on a real PostgreSQL) are named `*.unleash.test.ts`. They run
// in their own project, whose global setup starts one flag service for the whole run, only when
// at least one of them is selected.
const needsUnleash = 'test/unit/**/*.unleash.test.ts';

export default defineConfig({
  test: {
    // Integration tests start real servers (rollgate dev, Prometheus, Unleash); give them room.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'], exclude: [...configDefaults.exclude, needsUnleash] } },
      { extends: true, test: { name: 'unleash', include: [needsUnleash], globalSetup: ['test/support/flagServiceSetup.ts'] } },
    ],
  },
});
