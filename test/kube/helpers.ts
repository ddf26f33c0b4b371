/**
 * The helpers every kube suite shares: polling, conditions, the `aigw` CLI as a child process, helm.
 * Test files import these instead of writing their own; the control plane itself is `harness.ts`.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { inject } from 'vitest';
import type { KubeObject } from '../../operator/src/kube/index.js';
import {
  attachCluster,
  buildCli,
  type Cluster,
  findBinary,
  parseYamlObjects,
  REPO_ROOT,
  startCluster,
} from './harness.js';

export { freePort } from './harness.js';

const execFileAsync = promisify(execFile);

export const CHART = join(REPO_ROOT, 'charts/aigateway');

export async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/**
 * Polls `fn` until it returns something other than `undefined`/`false` and returns that; errors count
 * as "not yet" (the last one is in the timeout message). The interval is short: the API server and the
 * operator answer within milliseconds, and every poll is a cheap local request.
 */
export async function until<T>(
  what: string,
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 20_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() >= deadline) break;
    await sleep(intervalMs);
  }
  throw new Error(`${what} did not happen within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
}

/** `until` with the deadline first, for tests whose promise is a time ("within 5 s"). */
export function within<T>(
  timeoutMs: number,
  what: string,
  fn: () => Promise<T | undefined | false> | T | undefined | false,
): Promise<T> {
  return until(what, fn, timeoutMs);
}

export interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

/** A condition of an object's status by type. */
export function cond(obj: { status?: unknown } | undefined, type: string): Condition | undefined {
  const conditions = (obj?.status as { conditions?: Condition[] } | undefined)?.conditions;
  return conditions?.find((c) => c.type === type);
}

// ---------------------------------------------------------------------------------------------- clusters

/**
 * The cluster a suite runs on. Suites that only touch their own namespace share the one kube-apiserver
 * the kube project's global setup starts (`global-setup.ts`), isolated by namespace; `stop()` then
 * closes only this file's clients. Outside that project (no shared cluster provided) the suite starts
 * its own. Suites that restart the API server, install the chart's cluster-wide objects or watch all
 * namespaces call `startCluster` themselves.
 */
export async function sharedCluster(name: string): Promise<Cluster> {
  const shared = inject('kubeCluster');
  return shared ? attachCluster(shared) : startCluster({ name });
}

// ---------------------------------------------------------------------------------------------- the CLI

let privateCli: string | undefined;

/**
 * The `aigw` CLI to spawn. The kube project's global setup builds it once per run into a private
 * directory (other suites rebuilding `dist/` meanwhile cannot hand a child half-written modules);
 * without that, this file builds its own copy once.
 */
export function aigwCli(): string {
  const provided = inject('aigwCli');
  if (provided) return provided;
  if (!privateCli) privateCli = buildCli(join(REPO_ROOT, '.aigw-run', `kube-cli-${process.pid}`));
  return privateCli;
}

export interface CliProcess {
  child: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  log: () => string;
}

/** Spawns `aigw ARGS` with the test's environment plus `env`. */
export function spawnCli(args: string[], env: Record<string, string> = {}): CliProcess {
  const child = spawn(process.execPath, [aigwCli(), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const chunks: Buffer[] = [];
  child.stdout?.on('data', (b: Buffer) => chunks.push(b));
  child.stderr?.on('data', (b: Buffer) => chunks.push(b));
  return { child, log: () => Buffer.concat(chunks).toString('utf8') };
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
export async function stopChild(child: ChildProcess | undefined, graceMs = 8000): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

// ---------------------------------------------------------------------------------------------- helm

const HELM_HOME = join(tmpdir(), 'aigw-helm');

/** Runs helm; resolves with stdout, rejects (with stderr on the error) when helm fails. */
export async function helm(args: string[], kubeconfig?: string): Promise<string> {
  const bin = findBinary('helm');
  if (!bin) throw new Error('helm binary missing: run test/kube/tools/build.sh');
  const { stdout } = await execFileAsync(bin, [...args, ...(kubeconfig ? ['--kubeconfig', kubeconfig] : [])], {
    env: {
      ...process.env,
      HELM_CACHE_HOME: join(HELM_HOME, 'cache'),
      HELM_CONFIG_HOME: join(HELM_HOME, 'config'),
      HELM_DATA_HOME: join(HELM_HOME, 'data'),
    },
    maxBuffer: 32 * 1024 * 1024,
  });
  return stdout;
}

/** Runs helm and reports success and everything it printed, instead of throwing. */
export async function helmResult(args: string[], kubeconfig?: string): Promise<{ ok: boolean; out: string }> {
  try {
    return { ok: true, out: await helm(args, kubeconfig) };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return { ok: false, out: `${e.stdout ?? ''}${e.stderr ?? String(err)}` };
  }
}

/** The error output of a helm command that must fail. */
export async function helmError(args: string[]): Promise<string> {
  const r = await helmResult(args);
  if (r.ok) throw new Error(`helm ${args.join(' ')} succeeded`);
  return r.out;
}

/** `helm template` of the chart with `--set` values, parsed into objects. */
export async function render(
  set: string[] = [],
  options: { release?: string; namespace?: string; extra?: string[] } = {},
): Promise<KubeObject[]> {
  const out = await helm([
    'template',
    options.release ?? 'aigateway',
    CHART,
    '--namespace',
    options.namespace ?? 'aigateway-system',
    ...set.flatMap((s) => ['--set', s]),
    ...(options.extra ?? []),
  ]);
  return parseYamlObjects(out);
}

/** The rendered object of `kind` named `name` (or whose name matches it); throws when it is not there. */
export function find<T extends KubeObject = KubeObject>(objects: KubeObject[], kind: string, name: string | RegExp): T {
  const o = objects.find(
    (x) => x.kind === kind && (typeof name === 'string' ? x.metadata.name === name : name.test(x.metadata.name)),
  );
  if (!o) throw new Error(`${kind} ${name} not rendered`);
  return o as T;
}

/** The value at a dotted path of a manifest (`spec.template.spec.containers.0`). */
export function dig(value: unknown, path: string): unknown {
  let cur: unknown = value;
  for (const key of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}
