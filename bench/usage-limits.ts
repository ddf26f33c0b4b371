/**
 * `node dist/bench/usage-limits.js [--rounds 5] [--seconds 4]`: what UsagePolicy enforcement adds to a chat
 * request at concurrency 1. Gateways (`aigw serve`, each its own process, as deployed) serve the same config
 * in front of one emulator process, differing only in their policies and store:
 *
 * - `none`: no UsagePolicy at all (the reference);
 * - `unmatched`: policies exist, none matches the caller (must cost nothing measurable);
 * - `redis`: four policies match (requests/min, tokens/min, concurrent requests, USD per day and month),
 *   counted in a real redis-server on loopback, with the default reservations one request ahead (the
 *   admission is served by the ticket the previous request reserved; the store calls run beside the request);
 * - `redis-sync`: the same with reservations ahead off: one Lua script round trip before each call;
 * - `memory`: the same policies counted in-process.
 *
 * Rounds rotate the order; each figure is the median over rounds of the round's p50 (p99) minus `none`'s.
 * The load generator runs in this process. Needs `redis-server` on PATH and a build (`dist/`).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runLoad } from './lib/load.js';
import { aigwServeArgs, freePort, httpOk, type Managed, startProcess } from './lib/processes.js';
import { median, summarise } from './lib/stats.js';

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '5' }, seconds: { type: 'string', default: '4' } },
});
const ROUNDS = Number(values.rounds);
const SECONDS = Number(values.seconds);
const KEY = 'sk-aigw-demo-0000000000000000';
const MODEL = 'demo/amazon-nova-lite-v1-0';

const policies = (subject: string) => `apiVersion: aigateway.dev/v1alpha1
kind: UsagePolicy
metadata: { name: rpm, namespace: default }
spec: { subjects: ["${subject}"], per: subject, limits: { requestsPerMinute: 100000000 } }
---
apiVersion: aigateway.dev/v1alpha1
kind: UsagePolicy
metadata: { name: tpm, namespace: default }
spec: { subjects: ["${subject}"], limits: { tokensPerMinute: 1000000000 } }
---
apiVersion: aigateway.dev/v1alpha1
kind: UsagePolicy
metadata: { name: concurrency, namespace: default }
spec: { subjects: ["${subject}"], limits: { concurrentRequests: 1000 } }
---
apiVersion: aigateway.dev/v1alpha1
kind: UsagePolicy
metadata: { name: budget, namespace: default }
spec: { subjects: ["${subject}"], limits: { usdPerDay: 1000000, usdPerMonth: 10000000 } }
`;

async function configDir(emulatorUrl: string, extra: string | undefined): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'aigw-bench-limits-'));
  const examples = join(import.meta.dirname, '..', '..', 'examples');
  for (const name of await readdir(examples)) {
    if (!/\.ya?ml$/.test(name)) continue;
    const text = await readFile(join(examples, name), 'utf8');
    // The examples name the emulator by its default port or the EMULATOR_PORT form `make run` fills in.
    const pointed = text.replace(/http:\/\/127\.0\.0\.1:(?:\$\{EMULATOR_PORT:-4566\}|4566(?!\d))/g, emulatorUrl);
    await writeFile(join(dir, name), pointed);
  }
  if (extra) await writeFile(join(dir, 'policies.yaml'), extra);
  return dir;
}

const AIGW = fileURLToPath(new URL('../gateway/src/cli/aigw.js', import.meta.url));
const emuPort = await freePort();
const emulatorUrl = `http://127.0.0.1:${emuPort}`;
const emulator = await startProcess('emulator', process.execPath, [AIGW, 'emulator', '--port', String(emuPort)], () =>
  httpOk(`${emulatorUrl}/_emulator/health`),
);
const redisPort = await freePort();
const redis = spawn(
  'redis-server',
  ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
  {
    stdio: 'ignore',
  },
);
for (let i = 0; i < 100 && !(await redisUp(redisPort)); i++) await new Promise((r) => setTimeout(r, 50));

const targets: { name: string; dir: string; redis: boolean; ahead?: false }[] = [
  { name: 'none', dir: await configDir(emulatorUrl, undefined), redis: false },
  { name: 'unmatched', dir: await configDir(emulatorUrl, policies('team:nobody')), redis: true },
  { name: 'redis', dir: await configDir(emulatorUrl, policies('user:demo@example.com')), redis: true },
  {
    name: 'redis-sync',
    dir: await configDir(emulatorUrl, policies('user:demo@example.com')),
    redis: true,
    ahead: false,
  },
  { name: 'memory', dir: await configDir(emulatorUrl, policies('user:demo@example.com')), redis: false },
];
const gateways: { url: string; proc: Managed }[] = [];
// A failed run must not leave gateways, the emulator or redis-server behind.
process.once('exit', () => {
  for (const p of [emulator, ...gateways.map((g) => g.proc)]) p.child.kill('SIGKILL');
  redis.kill('SIGKILL');
});
for (const t of targets) {
  const port = await freePort();
  const adminPort = await freePort();
  const proc = await startProcess(
    t.name,
    process.execPath,
    aigwServeArgs(AIGW, t.dir, port, adminPort),
    () => httpOk(`http://127.0.0.1:${adminPort}/readyz`),
    {
      AIGW_LOG_LEVEL: 'warn',
      ...(t.redis ? { AIGW_REDIS_URL: `redis://127.0.0.1:${redisPort}` } : {}),
      ...(t.ahead === false ? { AIGW_LIMITS_RESERVE_AHEAD: 'false' } : {}),
    },
  );
  gateways.push({ url: `http://127.0.0.1:${port}`, proc });
}

const body = JSON.stringify({ model: MODEL, max_tokens: 16, messages: [{ role: 'user', content: 'hello there' }] });
const perRound: Record<string, { p50: number; p99: number }[]> = {};
for (let round = 0; round < ROUNDS; round++) {
  const order = targets.map((_, i) => (i + round) % targets.length);
  for (const i of order) {
    const gw = gateways[i]!;
    const result = await runLoad({
      spec: {
        origin: gw.url,
        path: '/v1/chat/completions',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body,
      },
      concurrency: 1,
      durationMs: SECONDS * 1000,
    });
    if (result.errors > 0) throw new Error(`${targets[i]!.name}: ${result.errors} errors (${result.firstError})`);
    const s = summarise(result.latenciesMicros, result.errors, result.seconds);
    const rows = perRound[targets[i]!.name] ?? [];
    rows.push({ p50: s.p50Ms, p99: s.p99Ms });
    perRound[targets[i]!.name] = rows;
  }
}

console.log(`chat, concurrency 1, ${ROUNDS} rounds x ${SECONDS} s; medians over rounds (ms)`);
console.log('| target | p50 | p99 | added p50 | added p99 |');
console.log('|---|---|---|---|---|');
const base = perRound.none!;
for (const t of targets) {
  const rows = perRound[t.name]!;
  const added = (k: 'p50' | 'p99') => median(rows.map((r, i) => r[k] - base[i]![k]));
  console.log(
    `| ${t.name} | ${median(rows.map((r) => r.p50)).toFixed(3)} | ${median(rows.map((r) => r.p99)).toFixed(3)} | ${
      t.name === 'none' ? '–' : added('p50').toFixed(3)
    } | ${t.name === 'none' ? '–' : added('p99').toFixed(3)} |`,
  );
}

await Promise.all(gateways.map((g) => g.proc.stop()));
await emulator.stop();
redis.kill('SIGKILL');
for (const t of targets) await rm(t.dir, { recursive: true, force: true });

async function redisUp(port: number): Promise<boolean> {
  const { createConnection } = await import('node:net');
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
