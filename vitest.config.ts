import { defineConfig } from 'vitest/config';

// Unit tests sit beside their modules; cross-component suites live in test/.
// The kube-apiserver suites run when their binaries are built (test/kube/tools/build.sh); under CI=true a
// missing binary fails them instead of skipping.
export default defineConfig({
  test: {
    include: ['gateway/**/*.test.ts', 'operator/**/*.test.ts', 'emulator/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
