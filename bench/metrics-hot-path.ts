/**
 * `node dist/bench/metrics-hot-path.js`: what the Prometheus metrics of one chat request cost the gateway
 * (docs/benchmarks.md, "Streaming hot path"): the metric calls a successful chat request makes, in the order
 * the server makes them (in-flight gauge, the upstream attempt's latency and outcome, tokens by kind, GenAI
 * token usage, cost by subject and team, request count and latency, overhead, GenAI duration), and the same
 * for a stream (plus the added first byte, time to first token and time per output token). A scrape every
 * 10,000 requests, as a Prometheus server scraping every 15 s at a few hundred requests a second would.
 *
 * Times are CPU time of this process (process.cpuUsage) per request, median of the rounds.
 */
import { parseArgs } from 'node:util';
import type { CompiledAccount, CompiledModel, ServedModel } from '../gateway/src/config/index.js';
import { GatewayMetrics } from '../gateway/src/telemetry/index.js';

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '7' }, iterations: { type: 'string', default: '100000' } },
});
const ROUNDS = Number(values.rounds);
const ITERATIONS = Number(values.iterations);
const SCRAPE_EVERY = 10_000;

const account = { name: 'team-a', region: 'us-east-1', collaborators: [] } as unknown as CompiledAccount;
const model = {
  name: 'claude-sonnet',
  modelId: 'us.anthropic.claude-sonnet-4-20250514-v1:0',
  region: 'us-east-1',
} as unknown as CompiledModel;
const served: ServedModel = { account, model, credentials: {} };

const metrics = new GatewayMetrics();
const observer = metrics.upstreamObserver();
const genAi = metrics.genAi(served, 'chat');
// usage.ts binds the cost series once per (model, caller).
const cost = metrics.costOf(account.name, model.name, 'user:alice');
const teamCost = metrics.teamCostOf(account.name, model.name, 'ml');
const attempt = {
  account: account.name,
  region: 'us-east-1',
  operation: 'converse-stream' as const,
  modelId: model.modelId,
  origin: 'https://bedrock-runtime.us-east-1.amazonaws.com',
  attempt: 1,
};

function request(i: number, stream: boolean): void {
  const seconds = 0.05 + (i % 97) / 1000;
  const gauge = metrics.inflightOf('chat');
  gauge.inc();
  observer(attempt)?.end({ status: 200, requestId: 'r', error: undefined, willRetry: false });
  if (stream) {
    metrics.observeAddedFirstByte('chat', 0.0003);
    metrics.observeFirstToken(account.name, model.name, seconds / 2);
    genAi.timeToFirstToken(seconds / 2);
  }
  metrics.addTokens(account.name, model.name, 'input', 1200 + (i % 13));
  metrics.addTokens(account.name, model.name, 'output', 300 + (i % 7));
  metrics.addTokens(account.name, model.name, 'cache_read', undefined);
  metrics.addTokens(account.name, model.name, 'cache_write', undefined);
  genAi.inputTokens(1200 + (i % 13));
  genAi.outputTokens(300 + (i % 7));
  cost.inc(0.0042);
  teamCost.inc(0.0042);
  if (stream) genAi.timePerOutputToken(0.012);
  gauge.dec();
  metrics.observeRequest({
    route: 'chat',
    account: account.name,
    model: model.name,
    status: 200,
    seconds,
    overheadSeconds: 0.0004,
  });
  genAi.duration(seconds, undefined);
}

async function measure(stream: boolean): Promise<number> {
  const results: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const before = process.cpuUsage();
    for (let i = 0; i < ITERATIONS; i++) {
      request(i, stream);
      if (i % SCRAPE_EVERY === SCRAPE_EVERY - 1) await metrics.registry.metrics();
    }
    const used = process.cpuUsage(before);
    results.push((used.user + used.system) / ITERATIONS);
  }
  results.sort((a, b) => a - b);
  return results[Math.floor(results.length / 2)]!;
}

// Warm up both paths before measuring either.
await measure(false);
await measure(true);
const plain = await measure(false);
const streamed = await measure(true);
console.log(
  `metrics per chat request: ${plain.toFixed(2)} µs CPU; per streamed chat request: ${streamed.toFixed(2)} µs CPU`,
);
