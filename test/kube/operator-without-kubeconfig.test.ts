/**
 * `aigw operator` on a machine with no cluster configured: the first thing a new user runs. It must
 * say that no kubeconfig or in-cluster configuration was found and how to give one, not fail later
 * with a TLS message about the `http://localhost:8080` fallback of the Kubernetes client.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './harness.js';
import { aigwCli } from './helpers.js';

// On a pod the in-cluster configuration exists, so "nothing configured" cannot be set up there.
const inPod = existsSync('/var/run/secrets/kubernetes.io/serviceaccount/token');

/** Runs `aigw operator ARGS` with only PATH and the given variables; no KUBECONFIG, no KUBERNETES_*. */
async function operator(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [aigwCli(), 'operator', ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, stdout, stderr };
}

describe.skipIf(inPod)('aigw operator without a kubeconfig', () => {
  let home: string;
  beforeAll(() => {
    home = mkdtempSync(join(tmpdir(), 'aigw-empty-home-'));
  });
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('says no kubeconfig or in-cluster configuration was found, and how to give one', async () => {
    const out = await operator([], { HOME: home });
    expect(out.code).toBe(1);
    const lines = out.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^aigw: no kubeconfig and no in-cluster configuration found/);
    // Every way to give one is named: the flag, the variable, the default file, running in a pod.
    expect(out.stderr).toContain('--kubeconfig FILE');
    expect(out.stderr).toContain('KUBECONFIG=FILE');
    expect(out.stderr).toContain(join(home, '.kube', 'config'));
    expect(out.stderr).toContain('in the cluster');
    expect(out.stderr).not.toMatch(/HTTP protocol|skipTLSVerify|localhost:8080/);
    expect(out.stdout).toBe('');
  });

  it('names the file when --kubeconfig or KUBECONFIG points at nothing, or at something that is not a kubeconfig', {
    timeout: 90_000,
  }, async () => {
    const missing = join(home, 'missing.yaml');
    const flag = await operator(['--kubeconfig', missing], { HOME: home });
    expect(flag.code).toBe(1);
    expect(flag.stderr).toContain(`cannot read the kubeconfig given with --kubeconfig (${missing})`);
    expect(flag.stderr).toContain('no such file');

    const env = await operator([], { HOME: home, KUBECONFIG: missing });
    expect(env.code).toBe(1);
    expect(env.stderr).toContain(`cannot read the kubeconfig named by KUBECONFIG (${missing})`);

    const empty = join(home, 'empty.yaml');
    writeFileSync(empty, '');
    const blank = await operator(['--kubeconfig', empty], { HOME: home });
    expect(blank.code).toBe(1);
    expect(blank.stderr).toContain('it is not a kubeconfig');

    const noContext = join(home, 'no-context.yaml');
    writeFileSync(noContext, 'apiVersion: v1\nkind: Config\nclusters: []\nusers: []\ncontexts: []\n');
    const none = await operator(['--kubeconfig', noContext], { HOME: home });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('has no current context');
    for (const o of [flag, env, blank, none]) expect(o.stderr).not.toMatch(/HTTP protocol|skipTLSVerify/);
  });
});
