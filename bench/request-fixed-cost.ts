/**
 * CPU time of the per-request steps of a chat call that do not depend on its size, in process: authenticating
 * the caller's API key against a config snapshot, and SigV4-signing the Bedrock request. Reported as CPU ns per
 * call (process.cpuUsage, so other work on the machine inflates it less than wall-clock timing would), median
 * of five runs.
 *
 * Usage: node dist/bench/request-fixed-cost.js [--calls N (200000)]
 */
import { parseArgs } from 'node:util';
import { authenticateCaller } from '../gateway/src/server/index.js';
import { SigV4Signer } from '../gateway/src/upstream/index.js';
import { apiKeySnapshot } from './lib/gateway-work.js';
import { median } from './lib/stats.js';

const { values: args } = parseArgs({ options: { calls: { type: 'string', default: '200000' } } });
const CALLS = Number(args.calls);

const { snapshot, authorization } = apiKeySnapshot();
const signer = new SigV4Signer(async () => ({
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
}));
const body = JSON.stringify({
  messages: [{ role: 'user', content: [{ text: 'Say hello in one word.' }] }],
  inferenceConfig: { maxTokens: 64 },
});

async function cpuNsPerCall(fn: () => unknown): Promise<number> {
  const runs: number[] = [];
  for (let run = 0; run < 5; run++) {
    const start = process.cpuUsage();
    for (let i = 0; i < CALLS; i++) await fn();
    const used = process.cpuUsage(start);
    runs.push(((used.user + used.system) * 1000) / CALLS);
  }
  return median(runs);
}

const auth = await cpuNsPerCall(() => authenticateCaller(authorization, snapshot));
const sign = await cpuNsPerCall(() =>
  signer.sign({
    method: 'POST',
    protocol: 'https:',
    hostname: 'bedrock-runtime.us-east-1.amazonaws.com',
    port: undefined,
    path: '/model/us.anthropic.claude-sonnet-4-20250514-v1%3A0/converse',
    headers: {
      host: 'bedrock-runtime.us-east-1.amazonaws.com',
      'content-type': 'application/json',
      accept: 'application/json',
      'user-agent': 'aigateway',
      'x-request-id': '4f8a1c9e-3b7d-4e2a-9c1f-6d5b8a7e0f12',
    },
    body,
    region: 'us-east-1',
  }),
);
console.log(`authenticate the caller's API key: ${auth.toFixed(0)} ns CPU a call`);
console.log(`SigV4-sign a Converse request:     ${sign.toFixed(0)} ns CPU a call`);
