/**
 * A ModelRoute over several Bedrock accounts, end to end: each account is its own `aigw emulator` process
 * (its own endpoint, account id, region and access key, so its own quotas, faults and prompt cache), and
 * `aigw serve --config DIR` runs as a child process over manifests that declare one ProviderAccount per
 * emulator, Models in each, and the routes a test asks for.
 *
 * Callers (API keys):
 * - {@link ROUTE_KEYS.all}: `team:route-callers`, a collaborator of every account;
 * - {@link ROUTE_KEYS.firstOnly}: `user:first-only@example.com`, a collaborator of the first account only;
 * - {@link ROUTE_KEYS.none}: a valid key that no account lists.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { type EmulatorProcess, spawnEmulator } from '../acceptance/emulator-harness.js';
import { type ChildGateway, spawnGateway } from './cli-process.js';

export const ROUTE_KEYS = {
  all: 'sk-aigw-route-all-00000000000000',
  firstOnly: 'sk-aigw-route-first-only-000000',
  none: 'sk-aigw-route-none-0000000000000',
} as const;

/** One Bedrock account: an emulator process of its own. */
export interface RouteAccount {
  /** The ProviderAccount name (the served-name prefix). */
  readonly name: string;
  /** Its 12-digit AWS account id (the emulator's principals carry it). */
  readonly accountId: string;
  /** The account's region (ProviderAccount `spec.region`). */
  readonly region: string;
  readonly emulator: EmulatorProcess;
  /** `GET /_emulator/stats`. */
  stats(): Promise<EmulatorStats>;
  /** Runtime calls this account received for `operation` (all runtime operations when absent). */
  calls(operation?: string): Promise<number>;
  /** `POST /_emulator/faults`. */
  addFaults(faults: Record<string, unknown> | Record<string, unknown>[]): Promise<void>;
  /** `DELETE /_emulator/faults`. */
  clearFaults(): Promise<void>;
  /** `POST /_emulator/reset`: statistics, faults and the prompt cache. */
  reset(): Promise<void>;
}

export interface EmulatorStats {
  operations: Record<string, number>;
  principals: Record<string, number>;
  models: Record<string, number>;
  faultsInjected: Record<string, number>;
  streams: Record<string, number>;
}

/** A Model of one account, as the manifests declare it. */
export interface RouteModel {
  /** `metadata.name` (unique in the namespace; served as `<account>/<name>`). */
  readonly name: string;
  /** Index into the stack's accounts. */
  readonly account: number;
  readonly modelId: string;
}

export interface RouteStack {
  readonly accounts: readonly RouteAccount[];
  readonly gateway: ChildGateway;
  /** The manifest directory the gateway serves. */
  readonly dir: string;
  /** An openai SDK client for the gateway (SDK retries off, so each status is what the gateway sent). */
  client(key?: string): OpenAI;
  /** The gateway's Prometheus text (admin port). */
  metrics(): Promise<string>;
  /** Sum of the samples of `name` whose labels include all of `labels` (0 when none). */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  /** Clears faults, statistics and prompt caches of every account. */
  resetAccounts(): Promise<void>;
  close(): Promise<void>;
}

/** Fast upstream retries so fault tests take milliseconds, not seconds (AIGW_UPSTREAM_* of `aigw serve`). */
export const FAST_RETRY_ENV: Record<string, string> = {
  AIGW_UPSTREAM_RETRY_BASE_MS: '5',
  AIGW_UPSTREAM_RETRY_CAP_MS: '20',
  AIGW_UPSTREAM_MAX_RETRY_AFTER_MS: '50',
};

const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1', 'ap-northeast-1'];

/** Account `i`: name `acct-<letter>`, account id 1000000000<i>, its own IAM user and key. */
function accountIdentity(i: number) {
  const letter = String.fromCharCode(97 + i);
  return {
    name: `acct-${letter}`,
    accountId: `10000000000${i}`.padStart(12, '0').slice(-12),
    region: REGIONS[i % REGIONS.length] ?? 'us-east-1',
    userName: `gateway-${letter}`,
    accessKeyId: `AKIAROUTE${letter.toUpperCase()}000000000`.slice(0, 20),
    secretAccessKey: `route-secret-${letter}-${'s'.repeat(24)}`,
  };
}

function accountManifests(i: number, endpoint: string): string {
  const a = accountIdentity(i);
  const collaborators = [`{ subject: "team:route-callers", role: User }`];
  if (i === 0) collaborators.push(`{ subject: "user:first-only@example.com", role: User }`);
  return `apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: ${a.name}, namespace: default }
spec:
  provider: aws-bedrock
  region: ${a.region}
  endpoint: ${endpoint}
  auth: { type: accessKey, accessKey: { secretRef: { name: ${a.name}-keys } } }
  collaborators: [${collaborators.join(', ')}]
---
apiVersion: v1
kind: Secret
metadata: { name: ${a.name}-keys, namespace: default }
type: Opaque
stringData: { AWS_ACCESS_KEY_ID: ${a.accessKeyId}, AWS_SECRET_ACCESS_KEY: ${a.secretAccessKey} }
`;
}

const API_KEYS = `apiVersion: v1
kind: Secret
type: aigateway.dev/api-key
metadata: { name: route-all-key, namespace: default }
stringData: { token: ${ROUTE_KEYS.all}, subject: "user:route-caller@example.com", teams: "route-callers" }
---
apiVersion: v1
kind: Secret
type: aigateway.dev/api-key
metadata: { name: route-first-only-key, namespace: default }
stringData: { token: ${ROUTE_KEYS.firstOnly}, subject: "user:first-only@example.com" }
---
apiVersion: v1
kind: Secret
type: aigateway.dev/api-key
metadata: { name: route-none-key, namespace: default }
stringData: { token: ${ROUTE_KEYS.none}, subject: "user:nobody@example.com", teams: "elsewhere" }
`;

function modelManifest(model: RouteModel): string {
  return `apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: ${model.name}, namespace: default }
spec: { account: ${accountIdentity(model.account).name}, modelId: "${model.modelId}" }
`;
}

async function admin(url: string, path: string, method: string, body?: unknown): Promise<Response> {
  const res = await fetch(`${url}/_emulator/${path}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  if (!res.ok) throw new Error(`emulator ${method} ${path}: ${res.status} ${await res.text()}`);
  return res;
}

/** Starts `aigw emulator` as account `i` (its config file in `dir`). */
async function startAccount(i: number, dir: string): Promise<RouteAccount> {
  const a = accountIdentity(i);
  const configFile = join(dir, `emulator-${a.name}.json`);
  await writeFile(
    configFile,
    JSON.stringify({
      identity: {
        accountId: a.accountId,
        users: [{ name: a.userName, accessKeyId: a.accessKeyId, secretAccessKey: a.secretAccessKey }],
      },
    }),
  );
  const emulator = await spawnEmulator(['--host', '127.0.0.1', '--config', configFile]);
  const stats = async (): Promise<EmulatorStats> =>
    (await (await admin(emulator.url, 'stats', 'GET')).json()) as EmulatorStats;
  return {
    name: a.name,
    accountId: a.accountId,
    region: a.region,
    emulator,
    stats,
    async calls(operation) {
      const ops = (await stats()).operations;
      return operation ? (ops[operation] ?? 0) : Object.values(ops).reduce((s, n) => s + n, 0);
    },
    async addFaults(faults) {
      await admin(emulator.url, 'faults', 'POST', faults);
    },
    async clearFaults() {
      await admin(emulator.url, 'faults', 'DELETE');
    },
    async reset() {
      await admin(emulator.url, 'reset', 'POST');
    },
  };
}

/**
 * Starts `accounts` emulator processes (accounts `acct-a`, `acct-b`, ...) and `aigw serve` over manifests
 * with those accounts, `models` and `manifests` (the routes, as YAML). `env` is added to the gateway's
 * environment (after {@link FAST_RETRY_ENV}).
 */
export async function startRouteStack(options: {
  accounts: number;
  models: readonly RouteModel[];
  manifests: string;
  env?: Record<string, string>;
}): Promise<RouteStack> {
  const dir = await mkdtemp(join(tmpdir(), 'aigw-route-'));
  const configDir = join(dir, 'config');
  const accounts: RouteAccount[] = [];
  let gateway: ChildGateway | undefined;
  const close = async () => {
    if (gateway) {
      gateway.kill();
      await gateway.exited;
    }
    await Promise.all(accounts.map((a) => a.emulator.close()));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    accounts.push(...(await Promise.all(Array.from({ length: options.accounts }, (_, i) => startAccount(i, dir)))));
    await mkdir(configDir);
    await writeFile(
      join(configDir, 'accounts.yaml'),
      accounts.map((a, i) => accountManifests(i, a.emulator.url)).join('---\n'),
    );
    await writeFile(join(configDir, 'api-keys.yaml'), API_KEYS);
    await writeFile(join(configDir, 'models.yaml'), options.models.map(modelManifest).join('---\n'));
    await writeFile(join(configDir, 'routes.yaml'), options.manifests);
    gateway = await spawnGateway(['--config', configDir], {
      // info at least: spawnGateway reads the listening addresses from the startup log line.
      AIGW_LOG_LEVEL: process.env.AIGW_TEST_LOG_LEVEL ?? 'info',
      ...FAST_RETRY_ENV,
      ...options.env,
    });
  } catch (error) {
    await close();
    throw error;
  }
  const gw = gateway;
  const metrics = async () => (await fetch(`${gw.adminUrl}/metrics`)).text();
  return {
    accounts,
    gateway: gw,
    dir: configDir,
    client: (key = ROUTE_KEYS.all) =>
      new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key, maxRetries: 0, timeout: 30_000 }),
    metrics,
    async metric(name, labels = {}) {
      return sumSamples(await metrics(), name, labels);
    },
    async resetAccounts() {
      await Promise.all(accounts.map((a) => a.reset()));
    },
    close,
  };
}

/** Sum of the samples of metric `name` in Prometheus text whose labels include every pair of `labels`. */
export function sumSamples(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const labelPart = line.startsWith(`${name}{`) ? line.slice(name.length + 1, line.lastIndexOf('}')) : '';
    if (Object.entries(labels).every(([k, v]) => labelPart.includes(`${k}="${v}"`))) {
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return total;
}

/**
 * Polls `check` until it returns a value other than false/undefined, failing after `timeoutMs` with
 * `what`. An error thrown by `check` fails at once (a failed assertion inside is a failure, not a retry).
 * Tests wait for conditions this way instead of asserting on time.
 */
export async function eventually<T>(
  check: () => Promise<T | false | undefined>,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== false && value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Runs `count` calls of `task` with at most `concurrency` in flight; returns their results in order. */
export async function inParallel<T>(count: number, concurrency: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const i = next++;
        results[i] = await task(i);
      }
    }),
  );
  return results;
}

/** The `x-aigateway-target` header (`account/model` of the target that answered), when the gateway sent one. */
export const TARGET_HEADER = 'x-aigateway-target';

/** A ModelRoute manifest (`spec` written as JSON, which YAML reads as flow style). */
export function routeManifest(
  name: string,
  targets: readonly { model: string; weight?: number; priority?: number }[],
  policy?: Record<string, unknown>,
): string {
  return `apiVersion: aigateway.dev/v1alpha1
kind: ModelRoute
metadata: { name: ${name}, namespace: default }
spec: ${JSON.stringify(policy ? { targets, policy } : { targets })}
`;
}
