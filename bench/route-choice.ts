/**
 * `node dist/bench/route-choice.js`: what choosing a ModelRoute target costs per request (docs/benchmarks.md,
 * "Route choice"): the attempt plan over three targets by weight; the same with prompt-cache affinity, the
 * prefix hash of a realistic 8 KiB cached prefix included; and the affinity scan of a request without cache
 * points (which finds none and falls back to weights). The target is under 20 µs per choice.
 *
 * Times are CPU time of this process (process.cpuUsage) per choice, median of the rounds, so other work on
 * a shared machine inflates them less than wall-clock time would.
 */
import { parseArgs } from 'node:util';
import type { CompiledModelRoute } from '../gateway/src/config/index.js';
import { affinityKey, RouteBalancer } from '../gateway/src/routing/index.js';
import type { ConverseRequest } from '../gateway/src/wire/bedrock/index.js';

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '7' }, iterations: { type: 'string', default: '20000' } },
});
const ROUNDS = Number(values.rounds);
const ITERATIONS = Number(values.iterations);

const route: CompiledModelRoute = {
  servedName: 'route/claude',
  name: 'claude',
  type: 'chat',
  targets: [
    { servedName: 'east/claude-sonnet', weight: 2, priority: 0 },
    { servedName: 'west/claude-sonnet', weight: 1, priority: 0 },
    { servedName: 'eu/claude-sonnet', weight: 1, priority: 1 },
  ],
  retryOn: ['throttle', '5xx', 'timeout', 'connect'],
  maxAttempts: 3,
  ejection: { consecutiveFailures: 3, baseSeconds: 10, maxSeconds: 300 },
  promptCacheAffinity: true,
};

// A long system prompt and two tools, cached (8 KiB of prefix as JSON), then a short conversation.
const systemText = 'You are the support assistant of Example Corp. Answer from the policy below. '.repeat(110);
const tool = (name: string) => ({
  toolSpec: {
    name,
    description: `Looks up ${name} records by id and returns them as JSON.`,
    inputSchema: {
      json: { type: 'object', properties: { id: { type: 'string', description: 'record id' } }, required: ['id'] },
    },
  },
});
const cached: ConverseRequest = {
  toolConfig: { tools: [tool('orders'), tool('customers')] },
  system: [{ text: systemText.slice(0, 7900) }, { cachePoint: { type: 'default' } }],
  messages: [
    { role: 'user', content: [{ text: 'Where is my order 4411?' }] },
    { role: 'assistant', content: [{ text: 'Let me look that up for you.' }] },
    { role: 'user', content: [{ text: 'It was due on Monday.' }] },
  ],
  inferenceConfig: { maxTokens: 1024 },
};
const uncached: ConverseRequest = { ...cached, system: [{ text: systemText.slice(0, 7900) }] };
const prefixBytes = Buffer.byteLength(JSON.stringify([cached.toolConfig?.tools, cached.system?.[0]]), 'utf8');

const balancer = new RouteBalancer();
const targets = route.targets;
let sink = 0;

const cases: Array<[string, () => void]> = [
  [
    'weights (no cache point)',
    () => {
      sink += balancer.plan(route, targets).length;
    },
  ],
  [
    'scan finds no cache point + weights',
    () => {
      const key = affinityKey(uncached);
      sink += balancer.plan(route, targets, key).length;
    },
  ],
  [
    `affinity: hash ${(prefixBytes / 1024).toFixed(1)} KiB prefix + rendezvous`,
    () => {
      const key = affinityKey(cached);
      sink += balancer.plan(route, targets, key).length;
    },
  ],
  [
    'affinity: rendezvous only (key given)',
    (() => {
      const key = affinityKey(cached);
      return () => {
        sink += balancer.plan(route, targets, key).length;
      };
    })(),
  ],
];

function cpuMicrosPerCall(fn: () => void): number {
  const started = process.cpuUsage();
  for (let i = 0; i < ITERATIONS; i++) fn();
  const used = process.cpuUsage(started);
  return (used.user + used.system) / ITERATIONS;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

for (const [, fn] of cases) cpuMicrosPerCall(fn); // warm-up: JIT and caches
console.log(
  `route choice over ${targets.length} targets; CPU µs per choice, median of ${ROUNDS} rounds × ${ITERATIONS}`,
);
for (const [name, fn] of cases) {
  const rounds = Array.from({ length: ROUNDS }, () => cpuMicrosPerCall(fn));
  const min = Math.min(...rounds);
  const max = Math.max(...rounds);
  console.log(
    `${name.padEnd(48)} ${median(rounds).toFixed(2).padStart(7)} µs  (min ${min.toFixed(2)}, max ${max.toFixed(2)})`,
  );
}
if (sink === 0) console.log('(no plans)');
