/**
 * Failover before the first byte: when the preferred account throttles, answers 5xx, times out or stalls,
 * the request moves to the other account and the caller sees a plain 200 (JSON and SSE alike), billed to
 * the account that answered. `retryOn` narrows which failures move; a caller who may use only the failing
 * account is not moved to one it may not use; when every target fails the caller gets an error in time,
 * never a hang.
 *
 * Two accounts, each its own emulator process. Route `ordered` prefers account A (priority 0) and falls back
 * to B (priority 1), so every request tries A first; ejection is set out of reach so each request meets A's
 * fault afresh.
 */

import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  ROUTE_KEYS,
  type RouteStack,
  routeManifest,
  startRouteStack,
  sumSamples,
  TARGET_HEADER,
} from '../helpers/route-stack.js';

const NOVA = 'amazon.nova-lite-v1:0';
const TITAN = 'amazon.titan-embed-text-v2:0';
const CANVAS = 'amazon.nova-canvas-v1:0';
const MICRO = 'amazon.nova-micro-v1:0';
// The most the resource allows: more failures than this file ever causes on one target.
const NO_EJECTION = { ejection: { consecutiveFailures: 100 } };
const ORDERED = [
  { model: 'nova-a', priority: 0 },
  { model: 'nova-b', priority: 1 },
];

let stack: RouteStack;
let a: RouteStack['accounts'][number];
let b: RouteStack['accounts'][number];

/** A loopback port nothing listens on: an account whose endpoint refuses connections. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** An account (credentials of acct-a) whose endpoint is down, with a Model and a route that prefers it. */
function deadAccount(port: number): string {
  return `apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: acct-down, namespace: default }
spec:
  provider: aws-bedrock
  region: us-east-1
  endpoint: http://127.0.0.1:${port}
  auth: { type: accessKey, accessKey: { secretRef: { name: acct-a-keys } } }
  collaborators: [{ subject: "team:route-callers", role: User }]
---
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: nova-down, namespace: default }
spec: { account: acct-down, modelId: "${NOVA}" }
---
${routeManifest(
  'down-first',
  [
    { model: 'nova-down', priority: 0 },
    { model: 'nova-b', priority: 1 },
  ],
  NO_EJECTION,
)}`;
}

beforeAll(async () => {
  const downPort = await closedPort();
  stack = await startRouteStack({
    accounts: 2,
    models: [
      { name: 'nova-a', account: 0, modelId: NOVA },
      { name: 'nova-b', account: 1, modelId: NOVA },
      { name: 'titan-a', account: 0, modelId: TITAN },
      { name: 'titan-b', account: 1, modelId: TITAN },
      { name: 'canvas-a', account: 0, modelId: CANVAS },
      { name: 'canvas-b', account: 1, modelId: CANVAS },
      { name: 'micro-b', account: 1, modelId: MICRO },
    ],
    manifests: [
      routeManifest('embed', [
        { model: 'titan-a', priority: 0 },
        { model: 'titan-b', priority: 1 },
      ]),
      routeManifest('draw', [
        { model: 'canvas-a', priority: 0 },
        { model: 'canvas-b', priority: 1 },
      ]),
      routeManifest('ordered', ORDERED, NO_EJECTION),
      routeManifest('same-priority', [{ model: 'nova-a' }, { model: 'nova-b' }], NO_EJECTION),
      routeManifest('only-5xx', ORDERED, { ...NO_EJECTION, retryOn: ['5xx'] }),
      routeManifest('one-attempt', ORDERED, { ...NO_EJECTION, maxAttempts: 1 }),
      routeManifest(
        'mixed',
        [
          { model: 'nova-a', priority: 0 },
          { model: 'micro-b', priority: 1 },
        ],
        NO_EJECTION,
      ),
      deadAccount(downPort),
    ].join('---\n'),
    // A stalled attempt is given up after 1 s (stream: its first event), the whole request after 3 s; the
    // emulator answers everything else in milliseconds.
    env: {
      AIGW_UPSTREAM_ATTEMPT_TIMEOUT_MS: '1000',
      AIGW_ROUTING_FAILOVER_FIRST_EVENT_TIMEOUT_MS: '1000',
      AIGW_UPSTREAM_DEADLINE_MS: '3000',
    },
  });
  [a, b] = stack.accounts as [typeof a, typeof b];
});
afterEach(async () => {
  await stack.resetAccounts();
});
afterAll(async () => {
  await stack?.close();
});

async function ask(model: string, text: string, key?: string) {
  const { data, response } = await stack
    .client(key)
    .chat.completions.create({ model, messages: [{ role: 'user', content: text }] })
    .withResponse();
  return { status: response.status, target: response.headers.get(TARGET_HEADER), data };
}

async function askStream(model: string, text: string) {
  const { data: stream, response } = await stack
    .client()
    .chat.completions.create({
      model,
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: text }],
    })
    .withResponse();
  let content = '';
  let finish: string | null | undefined;
  for await (const chunk of stream) {
    content += chunk.choices[0]?.delta.content ?? '';
    finish = chunk.choices[0]?.finish_reason ?? finish;
  }
  return { status: response.status, target: response.headers.get(TARGET_HEADER), content, finish };
}

/** A fault on account A only, for every request until cleared. */
function faultA(fault: Record<string, unknown>): Promise<void> {
  return a.addFaults({ model: NOVA, ...fault });
}

describe('a failing first choice', () => {
  it.each([
    ['throttled', { type: 'throttle' }, 'throttle'],
    ['throttled with Retry-After', { type: 'throttle', retryAfterSeconds: 30 }, 'throttle'],
    ['answering 500', { type: 'error', status: 500 }, '5xx'],
    ['answering 503', { type: 'error', status: 503 }, '5xx'],
    ['timing out (ModelTimeoutException)', { type: 'timeout' }, 'timeout'],
    ['dropping the connection', { type: 'drop' }, 'connect'],
  ])('%s: the caller gets 200 from the other account', async (_what, fault, reason) => {
    await faultA(fault);
    for (let i = 0; i < 3; i++) {
      const res = await ask('route/ordered', `failover ${i}`);
      expect(res).toMatchObject({ status: 200, target: 'acct-b/nova-b' });
      expect(res.data.choices[0]?.message.content).toBe(`Echo: failover ${i}`);
    }
    // A was tried (and failed) each time, exactly once: the failover replaces the retry on A.
    expect((await a.stats()).faultsInjected).toEqual({ [fault.type as string]: 3 });
    expect(await b.calls('Converse')).toBe(3);
    expect(
      await stack.metric('aigw_route_failovers_total', { route: 'ordered', from: 'acct-a/nova-a', reason }),
    ).toBeGreaterThanOrEqual(3);
  });

  it('refusing connections (endpoint down): the caller gets 200 from the other account', async () => {
    for (const stream of [false, true]) {
      const res = stream
        ? await askStream('route/down-first', 'nobody home')
        : await ask('route/down-first', 'nobody home');
      expect(res).toMatchObject({ status: 200, target: 'acct-b/nova-b' });
    }
    expect(
      await stack.metric('aigw_route_failovers_total', {
        route: 'down-first',
        from: 'acct-down/nova-down',
        reason: 'connect',
      }),
    ).toBe(2);
  });

  it('throttled, streaming: the stream comes whole from the other account', async () => {
    await faultA({ type: 'throttle' });
    const res = await askStream('route/ordered', 'a streamed failover');
    expect(res).toMatchObject({
      status: 200,
      target: 'acct-b/nova-b',
      content: 'Echo: a streamed failover',
      finish: 'stop',
    });
    expect((await a.stats()).faultsInjected).toEqual({ throttle: 1 });
    expect(await b.calls('ConverseStream')).toBe(1);
  });

  it('a stream whose first event is a throttling exception fails over: nothing reached the caller yet', async () => {
    await faultA({ type: 'stream-error', afterEvents: 0, exception: 'throttlingException' });
    const res = await askStream('route/ordered', 'first event throttled');
    expect(res).toMatchObject({ status: 200, target: 'acct-b/nova-b', content: 'Echo: first event throttled' });
    expect(await b.calls('ConverseStream')).toBe(1);
  });

  it('fails over to a target of another model id, sending that model its own request', async () => {
    await faultA({ type: 'throttle' });
    const res = await ask('route/mixed', 'another model please');
    expect(res).toMatchObject({ status: 200, target: 'acct-b/micro-b' });
    expect(res.data.choices[0]?.message.content).toBe('Echo: another model please');
    expect((await b.stats()).models).toEqual({ [MICRO]: 1 });
  });

  it('fails over to a target of the same priority too', async () => {
    await faultA({ type: 'error', status: 503 });
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => ask('route/same-priority', `peer ${i}`)));
    expect(results.every((r) => r.status === 200 && r.target === 'acct-b/nova-b')).toBe(true);
    expect(await b.calls('Converse')).toBe(20);
    // With equal weights A was the first choice of some of them; each of those failed over.
    const failedOnA = (await a.stats()).faultsInjected.error ?? 0;
    expect(failedOnA).toBeGreaterThan(0);
    expect(
      await stack.metric('aigw_route_failovers_total', {
        route: 'same-priority',
        from: 'acct-a/nova-a',
        reason: '5xx',
      }),
    ).toBe(failedOnA);
  });
});

describe('other surfaces', () => {
  it('embeddings: a throttled account fails over and the vectors come from the other one', async () => {
    await a.addFaults({ type: 'throttle', model: TITAN });
    const { data, response } = await stack
      .client()
      .embeddings.create({ model: 'route/embed', input: ['first text', 'second text'] })
      .withResponse();
    expect(response.status).toBe(200);
    expect(response.headers.get(TARGET_HEADER)).toBe('acct-b/titan-b');
    expect(data.data).toHaveLength(2);
    expect(data.data[0]?.embedding.length).toBeGreaterThan(0);
    // Titan embeds one text per InvokeModel: the inputs went to A side by side (each throttled, or the
    // second cancelled by the first's failure), then all of them to B; no vector came from A.
    const onA = await a.stats();
    expect(onA.faultsInjected.throttle).toBeGreaterThanOrEqual(1);
    expect(onA.operations.InvokeModel).toBe(onA.faultsInjected.throttle);
    expect(await b.calls('InvokeModel')).toBe(2);
  });
});

describe('image generations', () => {
  it('an account answering 503 fails over and the image comes from the other one', async () => {
    await a.addFaults({ type: 'error', status: 503, model: CANVAS });
    const { data, response } = await stack
      .client()
      .images.generate({ model: 'route/draw', prompt: 'a lighthouse at dusk', size: '512x512' })
      .withResponse();
    expect(response.status).toBe(200);
    expect(response.headers.get(TARGET_HEADER)).toBe('acct-b/canvas-b');
    expect(data.data?.[0]?.b64_json?.length).toBeGreaterThan(0);
    expect((await a.stats()).faultsInjected).toEqual({ error: 1 });
    expect(await b.calls('InvokeModel')).toBe(1);
  });
});

describe('a stalled first choice', () => {
  it('non-streaming: given up after the attempt timeout, answered by the other account', async () => {
    await faultA({ type: 'latency', latencyMs: 60_000 });
    const res = await ask('route/ordered', 'stalled upstream');
    expect(res).toMatchObject({ status: 200, target: 'acct-b/nova-b' });
    expect(res.data.choices[0]?.message.content).toBe('Echo: stalled upstream');
    expect(
      await stack.metric('aigw_route_failovers_total', { route: 'ordered', from: 'acct-a/nova-a', reason: 'timeout' }),
    ).toBeGreaterThanOrEqual(1);
  });

  it('streaming: 200 headers but no first event from A; the stream comes from B', async () => {
    await faultA({ type: 'latency', latencyMs: 60_000 });
    const res = await askStream('route/ordered', 'stalled stream');
    expect(res).toMatchObject({ status: 200, target: 'acct-b/nova-b', content: 'Echo: stalled stream' });
    // A's stream was abandoned before its first event, never switched mid-way, and its call cancelled:
    // A sees its client go away instead of a connection left open for a minute.
    expect((await a.stats()).streams).toMatchObject({ started: 1 });
    expect((await a.stats()).streams.completed ?? 0).toBe(0);
    await eventually(async () => (await a.stats()).streams.aborted === 1, "A's abandoned stream to be cancelled");
  });

  it('a caller who leaves while A stalls: A’s call is cancelled and nothing is sent to B', async () => {
    await faultA({ type: 'latency', latencyMs: 60_000 });
    const failovers = await stack.metric('aigw_route_failovers_total', { route: 'ordered' });
    const leave = new AbortController();
    const pending = stack
      .client()
      .chat.completions.create(
        { model: 'route/ordered', stream: true, messages: [{ role: 'user', content: 'I will not wait' }] },
        { signal: leave.signal },
      )
      .catch((e: unknown) => e);
    await eventually(async () => (await a.stats()).streams.started === 1, 'the stream to start on A');
    leave.abort();
    expect(await pending).toBeInstanceOf(OpenAI.APIUserAbortError);
    await eventually(async () => (await a.stats()).streams.aborted === 1, "A's call to be cancelled");
    expect(await b.calls()).toBe(0);
    // The caller leaving is no failure of A's.
    expect(await stack.metric('aigw_route_failovers_total', { route: 'ordered' })).toBe(failovers);
  });

  it('every target stalled: the caller gets a timeout error within the overall deadline, not a hang', async () => {
    await Promise.all([
      faultA({ type: 'latency', latencyMs: 60_000 }),
      b.addFaults({ type: 'latency', latencyMs: 60_000 }),
    ]);
    const err = await ask('route/ordered', 'nobody answers').catch((e: unknown) => e);
    // The SDK's own 30 s timeout would surface as APIConnectionTimeoutError; this is the gateway's answer.
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(err).not.toBeInstanceOf(OpenAI.APIConnectionError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(504);
    expect((err as InstanceType<typeof OpenAI.APIError>).code).toBe('upstream_timeout');
    // The error names the target whose error it is: the last one tried.
    expect((err as InstanceType<typeof OpenAI.APIError>).headers?.get(TARGET_HEADER)).toBe('acct-b/nova-b');
  });
});

describe('what does not fail over', () => {
  it('retryOn [5xx]: a throttle reaches the caller as 429 and B is not called; a 500 still fails over', async () => {
    await faultA({ type: 'throttle' });
    const err = await ask('route/only-5xx', 'throttled, no failover').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(429);
    expect((err as InstanceType<typeof OpenAI.APIError>).headers?.get(TARGET_HEADER)).toBe('acct-a/nova-a');
    expect(await b.calls()).toBe(0);

    await a.clearFaults();
    await faultA({ type: 'error', status: 500 });
    expect(await ask('route/only-5xx', '500 fails over')).toMatchObject({ status: 200, target: 'acct-b/nova-b' });
  });

  it('maxAttempts 1: the first choice’s throttle reaches the caller, B is not called', async () => {
    await faultA({ type: 'throttle' });
    const err = await ask('route/one-attempt', 'one try only').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(429);
    expect(await b.calls()).toBe(0);
  });

  it('a validation error from Bedrock is the caller’s own: answered as is, B not called', async () => {
    // Nova Lite's context is 300,000 tokens; the emulator counts four characters a token.
    const err = await ask('route/ordered', 'x'.repeat(1_300_000)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(400);
    expect(await a.calls('Converse')).toBe(1);
    expect(await b.calls()).toBe(0);
  });

  it('a caller who may use only account A gets A’s throttle, never B', async () => {
    await faultA({ type: 'throttle' });
    const err = await ask('route/ordered', 'only A for me', ROUTE_KEYS.firstOnly).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(429);
    expect(await b.calls()).toBe(0);
  });
});

describe('costs after a failover', () => {
  it('go to the account that answered, none to the one that failed', async () => {
    const before = await stack.metrics();
    await faultA({ type: 'throttle' });
    const res = await ask('route/ordered', 'who pays for this');
    expect(res.target).toBe('acct-b/nova-b');
    const after = await stack.metrics();
    const delta = (name: string, labels: Record<string, string>) =>
      sumSamples(after, name, labels) - sumSamples(before, name, labels);
    expect(delta('aigw_tokens_total', { account: 'acct-b', model: 'nova-b', kind: 'input' })).toBe(
      res.data.usage?.prompt_tokens,
    );
    expect(delta('aigw_tokens_total', { account: 'acct-b', model: 'nova-b', kind: 'output' })).toBe(
      res.data.usage?.completion_tokens,
    );
    expect(delta('aigw_cost_usd_total', { account: 'acct-b', model: 'nova-b' })).toBeGreaterThan(0);
    expect(delta('aigw_tokens_total', { account: 'acct-a' })).toBe(0);
    expect(delta('aigw_cost_usd_total', { account: 'acct-a' })).toBe(0);
    expect(delta('aigw_requests_total', { account: 'acct-b', model: 'nova-b', status: '200' })).toBe(1);
    expect(delta('aigw_requests_total', { account: 'acct-a' })).toBe(0);
  });
});
