/**
 * Global setup of the kube test project (vitest.config.ts), run once per `vitest run` that queues a
 * kube suite: builds the `aigw` CLI once into a private directory, and starts the one etcd +
 * kube-apiserver (crds/ applied) that the namespace-isolated suites share (`sharedCluster()`).
 * Without the binaries nothing is started and the suites skip (or fail under CI=true) as before.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { buildCliAsync, type Cluster, findBinary, REPO_ROOT, type SharedCluster, startCluster } from './harness.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The CLI built for this run (`aigwCli()`). */
    aigwCli: string;
    /** The shared cluster, or null when the binaries are missing. */
    kubeCluster: SharedCluster | null;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const buildDir = join(REPO_ROOT, '.aigw-run', `kube-cli-${process.pid}`);
  let cluster: Cluster | undefined;
  const teardown = async () => {
    await cluster?.stop();
    rmSync(buildDir, { recursive: true, force: true });
  };
  try {
    const canStart = findBinary('kube-apiserver') !== undefined && findBinary('etcd') !== undefined;
    // The build and the control plane's start overlap: tsc is one process, etcd and the API server others.
    const [cli, started] = await Promise.allSettled([
      buildCliAsync(buildDir),
      canStart ? startCluster({ name: 'shared' }) : Promise.resolve(undefined),
    ]);
    if (started.status === 'fulfilled') cluster = started.value;
    if (cli.status === 'rejected') throw cli.reason;
    if (started.status === 'rejected') throw started.reason;
    project.provide('aigwCli', cli.value);
    project.provide('kubeCluster', cluster?.share() ?? null);
  } catch (err) {
    await teardown();
    throw err;
  }
  return teardown;
}
