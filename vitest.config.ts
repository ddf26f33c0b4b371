import { configDefaults, defineConfig } from 'vitest/config';

// Unit tests sit beside their modules; cross-component suites live in test/.
// The kube suites (test/kube/) are a project of their own: its global setup builds the CLI once and
// starts the kube-apiserver that the namespace-isolated suites share, and runs only when one of them is
// queued. They run when their binaries are built (test/kube/tools/build.sh); under CI=true a missing
// binary fails them instead of skipping.
const KUBE = 'test/kube/**/*.test.ts';
// Kube documentation checks need no cluster, so running one alone starts none.
const KUBE_WITHOUT_CLUSTER = ['test/kube/*-doc.test.ts', 'test/kube/image-pins.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default'],
    setupFiles: ['test/setup/fail-on-listener-leak.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'main',
          include: [
            'gateway/**/*.test.ts',
            'operator/**/*.test.ts',
            'emulator/**/*.test.ts',
            'test/*.test.ts',
            'test/!(kube)/**/*.test.ts',
            ...KUBE_WITHOUT_CLUSTER,
          ],
        },
      },
      {
        extends: true,
        test: {
          name: 'kube',
          include: [KUBE],
          exclude: [...configDefaults.exclude, ...KUBE_WITHOUT_CLUSTER],
          globalSetup: ['test/kube/global-setup.ts'],
        },
      },
    ],
  },
});
