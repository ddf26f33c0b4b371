import { defineConfig } from 'vitest/config';

// Unit tests sit beside their modules; cross-component suites live in test/.
// Slow suites (real kube-apiserver, helm) run when AIGW_SLOW_TESTS=1, which CI sets.
export default defineConfig({
  test: {
    include: ['gateway/**/*.test.ts', 'operator/**/*.test.ts', 'emulator/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
