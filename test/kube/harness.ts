/**
 * A real control plane for tests: etcd + kube-apiserver built by test/kube/tools/build.sh, started per
 * suite on free localhost ports with RBAC on and token users, with crds/ applied. No Docker, no kubelet:
 * Deployments never get Pods and namespaces never finish deleting, but CRD schemas, CEL rules,
 * ValidatingAdmissionPolicies, RBAC, server-side apply and watches are the real thing.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { KubeClient, type KubeObject, resourcePath } from '../../operator/src/kube/index.js';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');

/** Where build.sh caches binaries: `<cache>/bin/<name>-<version>/<name>`. */
const BIN_CACHE = join(process.env.AIGW_CACHE ?? join(homedir(), '.cache', 'aigateway'), 'bin');

/** Finds a built binary: `<NAME>_BIN` env var first, else the newest cached version. */
export function findBinary(name: 'kube-apiserver' | 'etcd' | 'helm'): string | undefined {
  const env = process.env[`${name.toUpperCase().replace(/-/g, '_')}_BIN`];
  if (env) return existsSync(env) ? env : undefined;
  if (!existsSync(BIN_CACHE)) return undefined;
  const dirs = readdirSync(BIN_CACHE)
    .filter((d) => d.startsWith(`${name}-v`) && existsSync(join(BIN_CACHE, d, name)))
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const newest = dirs.at(-1);
  return newest ? join(BIN_CACHE, newest, name) : undefined;
}

/**
 * Whether the kube suites can run. Without binaries they are skipped with a printed reason, except
 * under CI (CI=true), where a missing binary is a failure: CI builds them first.
 */
export function kubeSuiteAvailability(needs: Array<'kube-apiserver' | 'etcd' | 'helm'> = ['kube-apiserver', 'etcd']): {
  run: boolean;
  reason: string;
} {
  const missing = needs.filter((n) => findBinary(n) === undefined);
  if (missing.length === 0) return { run: true, reason: '' };
  const reason = `missing ${missing.join(', ')}: run test/kube/tools/build.sh (or set ${missing
    .map((m) => `${m.toUpperCase().replace(/-/g, '_')}_BIN`)
    .join('/')})`;
  if (process.env.CI === 'true') throw new Error(`kube suite cannot run under CI: ${reason}`);
  console.warn(`[kube suite skipped] ${reason}`);
  return { run: false, reason };
}

export interface TestUser {
  name: string;
  groups?: string[];
}

/** The identities every cluster knows (token auth). */
export const USERS = {
  admin: { name: 'admin', groups: ['system:masters'] },
  /** A Manager of accounts that list `user:alice@example.com` or `team:ml-platform`. */
  alice: { name: 'alice@example.com', groups: ['ml-platform'] },
  /** A plain user with RBAC rights on Models but no collaborator role. */
  bob: { name: 'bob@example.com', groups: ['developers'] },
  /** The operator's service account as the chart names it. */
  operator: {
    name: 'system:serviceaccount:aigateway-system:aigateway-operator',
    groups: ['system:serviceaccounts', 'system:serviceaccounts:aigateway-system'],
  },
  /** A second operator identity, same rights (leader-election tests). */
  operator2: {
    name: 'system:serviceaccount:aigateway-system:aigateway-operator-2',
    groups: ['system:serviceaccounts', 'system:serviceaccounts:aigateway-system'],
  },
} satisfies Record<string, TestUser>;
export type UserName = keyof typeof USERS;

export interface Cluster {
  server: string;
  dir: string;
  /** A kubeconfig for `user` (loaded object). */
  kubeConfig(user?: UserName): KubeConfig;
  /** A kubeconfig file for `user`, for helm and child processes. */
  kubeconfigPath(user?: UserName): string;
  /** A REST client for `user` (closed on stop). */
  client(user?: UserName): Promise<KubeClient>;
  /** Server-side applies YAML/objects as admin. */
  apply(objects: string | unknown[], options?: { fieldManager?: string }): Promise<KubeObject[]>;
  /**
   * Stops kube-apiserver (SIGTERM, as a rolling control-plane upgrade does) and starts it again on
   * the same port with the same etcd, certificates and tokens; resolves once `/readyz` answers ok.
   * Existing clients reconnect on their next request. `waitForReady: false` resolves as soon as the
   * new process is started instead, to observe the API server while it comes up.
   */
  restartApiServer(options?: { waitForReady?: boolean }): Promise<void>;
  /** What another process needs to use this cluster (`attachCluster`); the kube project's global setup provides it. */
  share(): SharedCluster;
  stop(): Promise<void>;
}

/** A running cluster as other processes see it: its address, directory and the users' tokens. */
export interface SharedCluster {
  server: string;
  dir: string;
  tokens: Record<UserName, string>;
}

/** A free TCP port on 127.0.0.1 (bound and released). */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

function startProcess(bin: string, args: string[], logFile: string): ChildProcess {
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const chunks: Buffer[] = [];
  const keep = (b: Buffer) => {
    chunks.push(b);
    if (chunks.length > 4000) chunks.splice(0, 1000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.on('exit', () => {
    try {
      writeFileSync(logFile, Buffer.concat(chunks));
    } catch {
      // the directory may already be gone at teardown
    }
  });
  (child as ChildProcess & { logTail: () => string }).logTail = () =>
    Buffer.concat(chunks).toString('utf8').slice(-4000);
  return child;
}

function logTail(child: ChildProcess): string {
  return (child as ChildProcess & { logTail?: () => string }).logTail?.() ?? '';
}

async function waitFor(
  what: string,
  child: ChildProcess,
  check: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}:\n${logTail(child)}`);
    try {
      if (await check()) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} not ready after ${timeoutMs} ms:\n${logTail(child)}`);
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Reads every document of crds/ as objects. */
export function readCrds(): KubeObject[] {
  const dir = join(REPO_ROOT, 'crds');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .flatMap((f) => parseYamlObjects(readFileSync(join(dir, f), 'utf8')));
}

/** Parses a multi-document YAML string (with `<<` merge keys) into objects, skipping empty documents. */
export function parseYamlObjects(text: string): KubeObject[] {
  return parseAllDocuments(text, { merge: true })
    .map((d) => {
      if (d.errors.length > 0) throw d.errors[0];
      return d.toJS({ maxAliasCount: -1 }) as KubeObject | null;
    })
    .filter((o): o is KubeObject => o !== null && typeof o === 'object');
}

/** Starts etcd + kube-apiserver, applies crds/ and waits until the CRDs are served. */
export async function startCluster(options: { name?: string; applyCrds?: boolean } = {}): Promise<Cluster> {
  const etcdBin = findBinary('etcd');
  const apiserverBin = findBinary('kube-apiserver');
  if (!etcdBin || !apiserverBin) throw new Error('kube-apiserver/etcd binaries missing: run test/kube/tools/build.sh');
  const dir = mkdtempSync(join(tmpdir(), `aigw-kube-${options.name ?? 'suite'}-`));
  const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];

  const etcd = startProcess(
    etcdBin,
    [
      '--name=default',
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
      `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-cluster=default=http://127.0.0.1:${peerPort}`,
      '--unsafe-no-fsync=true',
      '--log-level=error',
    ],
    join(dir, 'etcd.log'),
  );
  const processes: ChildProcess[] = [etcd];
  let clients: KubeClient[] = [];
  const stop = async () => {
    for (const c of clients) await c.close().catch(() => undefined);
    for (const p of [...processes].reverse()) await stopProcess(p);
    if (!process.env.AIGW_KEEP_KUBE_DIR) rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor('etcd', etcd, async () => (await fetch(`http://127.0.0.1:${etcdPort}/health`)).ok, 30_000);

    // Token auth: one static bearer token per test identity (the CSV format of --token-auth-file).
    const tokens = new Map<UserName, string>();
    const lines: string[] = [];
    for (const [key, user] of Object.entries(USERS) as Array<[UserName, TestUser]>) {
      const token = randomBytes(16).toString('hex');
      tokens.set(key, token);
      lines.push(`${token},${user.name},${key},"${(user.groups ?? []).join(',')}"`);
    }
    writeFileSync(join(dir, 'tokens.csv'), `${lines.join('\n')}\n`);
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(join(dir, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(join(dir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));

    let starts = 0;
    const launchApiserver = () =>
      startProcess(
        apiserverBin,
        [
          `--etcd-servers=http://127.0.0.1:${etcdPort}`,
          `--cert-dir=${join(dir, 'certs')}`,
          `--secure-port=${apiPort}`,
          '--bind-address=127.0.0.1',
          '--advertise-address=127.0.0.1',
          '--service-cluster-ip-range=10.0.0.0/24',
          '--authorization-mode=RBAC',
          `--token-auth-file=${join(dir, 'tokens.csv')}`,
          `--service-account-key-file=${join(dir, 'sa.pub')}`,
          `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
          '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
          '--api-audiences=https://kubernetes.default.svc.cluster.local',
          // No controller-manager runs, so the ServiceAccount admission plugin would reject Pods.
          '--disable-admission-plugins=ServiceAccount',
          '--allow-privileged=true',
          '--enable-priority-and-fairness=false',
          '--v=0',
        ],
        join(dir, starts++ === 0 ? 'apiserver.log' : `apiserver-${starts}.log`),
      );
    let apiserver = launchApiserver();
    processes.push(apiserver);
    const server = `https://127.0.0.1:${apiPort}`;

    const access = clusterAccess(server, dir, Object.fromEntries(tokens) as Record<UserName, string>);
    const { kubeConfig, kubeconfigPath, client, apply } = access;
    clients = access.clients;
    const admin = await client('admin');
    await waitFor(
      'kube-apiserver',
      apiserver,
      async () => (await admin.request<string>('GET', '/readyz', { timeoutMs: 2000 }).then(() => true)) === true,
      120_000,
    );

    if (options.applyCrds !== false) {
      await apply(readCrds());
      await waitFor(
        'CRDs',
        apiserver,
        async () => {
          const res = await admin.request<{ resources: Array<{ name: string }> }>(
            'GET',
            '/apis/aigateway.dev/v1alpha1',
          );
          const names = res.resources.map((r) => r.name);
          return names.includes('provideraccounts') && names.includes('models');
        },
        30_000,
      );
    }
    const restartApiServer: Cluster['restartApiServer'] = async (restart = {}) => {
      const old = apiserver;
      await stopProcess(old);
      apiserver = launchApiserver();
      processes.splice(processes.indexOf(old), 1, apiserver);
      if (restart.waitForReady === false) return;
      await waitFor(
        'kube-apiserver (restarted)',
        apiserver,
        async () => (await admin.request<string>('GET', '/readyz', { timeoutMs: 2000 }).then(() => true)) === true,
        120_000,
      );
    };
    const share = (): SharedCluster => ({
      server,
      dir,
      tokens: Object.fromEntries(tokens) as Record<UserName, string>,
    });
    return { server, dir, kubeConfig, kubeconfigPath, client, apply, restartApiServer, share, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Kubeconfigs, clients and apply for the users of a cluster at `server`. */
function clusterAccess(server: string, dir: string, tokens: Record<UserName, string>) {
  const clients: KubeClient[] = [];
  const kubeconfigYaml = (user: UserName) => `apiVersion: v1
kind: Config
clusters:
- name: test
  cluster: { server: "${server}", insecure-skip-tls-verify: true }
users:
- name: ${user}
  user: { token: "${tokens[user]}" }
contexts:
- name: ${user}
  context: { cluster: test, user: ${user}, namespace: default }
current-context: ${user}
`;
  const kubeConfig = (user: UserName = 'admin') => {
    const kc = new KubeConfig();
    kc.loadFromString(kubeconfigYaml(user));
    return kc;
  };
  const kubeconfigPath = (user: UserName = 'admin') => {
    const p = join(dir, `kubeconfig-${user}.yaml`);
    // Written once per user; files sharing the cluster write the same content.
    if (!existsSync(p)) writeFileSync(p, kubeconfigYaml(user), { mode: 0o600 });
    return p;
  };
  const client = async (user: UserName = 'admin') => {
    const c = await KubeClient.fromKubeConfig(kubeConfig(user));
    clients.push(c);
    return c;
  };
  let admin: Promise<KubeClient> | undefined;
  const apply: Cluster['apply'] = async (objects, opts = {}) => {
    admin ??= client('admin');
    const c = await admin;
    const list = typeof objects === 'string' ? parseYamlObjects(objects) : (objects as KubeObject[]);
    const out: KubeObject[] = [];
    for (const obj of list) {
      const path = await resourcePath(c, obj);
      out.push(await c.apply<KubeObject>(path, obj, { fieldManager: opts.fieldManager ?? 'aigw-tests' }));
    }
    return out;
  };
  return { kubeConfig, kubeconfigPath, client, apply, clients };
}

/**
 * Uses a cluster another process started (`Cluster.share()`), with crds/ applied. `stop()` closes the
 * clients made here and leaves the cluster running; its API server cannot be restarted from here.
 */
export function attachCluster(shared: SharedCluster): Cluster {
  const access = clusterAccess(shared.server, shared.dir, shared.tokens);
  return {
    server: shared.server,
    dir: shared.dir,
    kubeConfig: access.kubeConfig,
    kubeconfigPath: access.kubeconfigPath,
    client: access.client,
    apply: access.apply,
    restartApiServer: async () => {
      throw new Error('a shared cluster cannot be restarted: start a cluster of your own (startCluster)');
    },
    share: () => shared,
    stop: async () => {
      for (const c of access.clients) await c.close().catch(() => undefined);
    },
  };
}

// ---------------------------------------------------------------------------------------------- the CLI

const tscArgs = (outDir: string) => [
  join(REPO_ROOT, 'node_modules/typescript/bin/tsc'),
  '-p',
  'tsconfig.build.json',
  '--outDir',
  outDir,
];
const cliIn = (outDir: string) => {
  const cli = join(outDir, 'gateway/src/cli/aigw.js');
  if (!existsSync(cli)) throw new Error(`the CLI build produced no ${cli}`);
  return cli;
};

/**
 * Compiles the project into `outDir` (inside the repo so the output resolves its node_modules and
 * package.json) and returns the CLI's path. tsc emits even when another file of the tree has a type
 * error; whether the CLI exists is what counts.
 */
export function buildCli(outDir: string): string {
  try {
    execFileSync(process.execPath, tscArgs(outDir), { cwd: REPO_ROOT, stdio: 'pipe' });
  } catch {
    // see above
  }
  return cliIn(outDir);
}

/** `buildCli` without blocking the event loop (the global setup starts the cluster meanwhile). */
export async function buildCliAsync(outDir: string): Promise<string> {
  await promisify(execFile)(process.execPath, tscArgs(outDir), { cwd: REPO_ROOT }).catch(() => undefined);
  return cliIn(outDir);
}
