/**
 * A ModelRoute through the real gateway and two Bedrock emulators (two accounts): a throttled or failing
 * first target fails over before the first byte and the caller sees 200 from the other account; once a
 * stream's first byte went out it is never switched (the caller gets the SSE error instead). The large
 * matrix (weights, ejection over time, cache affinity) is in test/e2e/model-route-*.test.ts.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../emulator/src/index.js';
import { DEMO_KEY } from './helpers/config-dir.js';
import { type Stack, startStack } from './helpers/stack.js';

const NOVA_LITE_ID = 'amazon.nova-lite-v1:0';

let second: RunningEmulator;
let stack: Stack;
let client: OpenAI;

/** The second account (same demo credentials, its own emulator), its Model, and a route over both. */
function extraFiles(secondUrl: string): Record<string, string> {
  return {
    'route.yaml': `apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: second, namespace: default }
spec:
  provider: aws-bedrock
  region: us-east-1
  endpoint: ${secondUrl}
  auth:
    type: accessKey
    accessKey:
      secretRef: { name: demo-aws-keys }
  collaborators:
    - { subject: "team:demo", role: User }
---
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: nova-lite-second, namespace: default }
spec: { account: second, modelId: "${NOVA_LITE_ID}" }
---
apiVersion: aigateway.dev/v1alpha1
kind: ModelRoute
metadata: { name: nova, namespace: default }
spec:
  targets:
    - { model: amazon-nova-lite-v1-0, priority: 0 }
    - { model: nova-lite-second, priority: 1 }
  policy:
    ejection: { consecutiveFailures: 100 }
---
apiVersion: aigateway.dev/v1alpha1
kind: ModelRoute
metadata: { name: nova-4xx, namespace: default }
spec:
  targets:
    - { model: amazon-nova-lite-v1-0, priority: 0 }
    - { model: nova-lite-second, priority: 1 }
  policy:
    retryOn: [5xx]
    ejection: { consecutiveFailures: 100 }
---
apiVersion: aigateway.dev/v1alpha1
kind: ModelRoute
metadata: { name: nova-eject, namespace: default }
spec:
  targets:
    - { model: amazon-nova-lite-v1-0, priority: 0 }
    - { model: nova-lite-second, priority: 1 }
  policy:
    ejection: { consecutiveFailures: 2, baseEjectionSeconds: 1, maxEjectionSeconds: 1 }
---
apiVersion: aigateway.dev/v1alpha1
kind: ModelRoute
metadata: { name: nova-embed, namespace: default }
spec:
  targets:
    - { model: amazon-titan-embed-text-v2-0, priority: 0 }
    - { model: titan-embed-second, priority: 1 }
---
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: titan-embed-second, namespace: default }
spec: { account: second, modelId: "amazon.titan-embed-text-v2:0" }
---
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: nova-canvas-second, namespace: default }
spec: { account: second, modelId: "amazon.nova-canvas-v1:0" }
---
apiVersion: aigateway.dev/v1alpha1
kind: ModelRoute
metadata: { name: canvas, namespace: default }
spec:
  targets:
    - { model: amazon-nova-canvas-v1-0, priority: 0 }
    - { model: nova-canvas-second, priority: 1 }
`,
  };
}

async function fault(emulator: RunningEmulator, body: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${emulator.url}/_emulator/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
}

const converseCalls = (emulator: RunningEmulator) =>
  (emulator.state.stats.operations.Converse ?? 0) + (emulator.state.stats.operations.ConverseStream ?? 0);

beforeAll(async () => {
  second = await startEmulator({ port: 0 });
  stack = await startStack({ extraFiles: extraFiles(second.url) });
  client = stack.client();
});

afterAll(async () => {
  await stack?.close();
  await second?.close();
});

beforeEach(async () => {
  for (const emulator of [stack.emulator, second]) {
    await fetch(`${emulator.url}/_emulator/reset`, { method: 'POST' });
  }
});

describe('a route over two accounts', () => {
  it('answers from the first priority while it is healthy, and names the target in a header', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'route/nova', messages: [{ role: 'user', content: 'hello' }] })
      .withResponse();
    expect(data.model).toBe('route/nova');
    expect(data.choices[0]?.message.content).toContain('hello');
    expect(response.headers.get('x-aigateway-target')).toBe('demo/amazon-nova-lite-v1-0');
    expect(converseCalls(stack.emulator)).toBe(1);
    expect(converseCalls(second)).toBe(0);
  });

  it('fails over a throttle before the first byte: the caller sees 200 from the other account', async () => {
    await fault(stack.emulator, { type: 'throttle', model: NOVA_LITE_ID });
    const { data, response } = await client.chat.completions
      .create({ model: 'route/nova', messages: [{ role: 'user', content: 'throttled first' }] })
      .withResponse();
    expect(response.status).toBe(200);
    expect(data.choices[0]?.message.content).toContain('throttled first');
    expect(response.headers.get('x-aigateway-target')).toBe('second/nova-lite-second');
    // One attempt on the throttled target (failover replaces the client's own retries), then the other.
    expect(stack.emulator.state.stats.faultsInjected.throttle).toBe(1);
    expect(second.state.stats.operations.Converse).toBe(1);
    // Tokens, cost and the request itself count for the target that answered.
    const metrics = await (await fetch(`${stack.gateway.admin!.url}/metrics`)).text();
    expect(metrics).toMatch(/aigw_tokens_total\{account="second",model="nova-lite-second",kind="input"\} [1-9]/);
    expect(metrics).toMatch(
      /aigw_cost_usd_total\{account="second",model="nova-lite-second",subject="user:demo@example.com"\} 0\.\d*[1-9]/,
    );
    expect(metrics).toMatch(
      /aigw_requests_total\{route="chat",account="second",model="nova-lite-second",status="200"\} 1/,
    );
  });

  it('fails over a stream whose first frame is a 5xx exception: the caller gets a whole stream', async () => {
    await fault(stack.emulator, { type: 'error', status: 500, model: NOVA_LITE_ID, operation: 'ConverseStream' });
    const stream = await client.chat.completions.create({
      model: 'route/nova',
      stream: true,
      messages: [{ role: 'user', content: 'stream after failover' }],
    });
    let text = '';
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(text).toContain('stream after failover');
    expect(finish).toBe('stop');
    expect(second.state.stats.operations.ConverseStream).toBe(1);
  });

  it('never switches a stream after its first byte: the caller gets the SSE error, the other account nothing', async () => {
    await fault(stack.emulator, { type: 'stream-error', afterEvents: 3, model: NOVA_LITE_ID, count: 1 });
    const raw = await fetch(`${stack.gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${DEMO_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'route/nova',
        stream: true,
        messages: [{ role: 'user', content: 'this stream breaks part way through' }],
      }),
    });
    expect(raw.status).toBe(200);
    expect(raw.headers.get('x-aigateway-target')).toBe('demo/amazon-nova-lite-v1-0');
    const events = (await raw.text()).trim().split('\n\n');
    expect(events.length).toBeGreaterThan(1);
    expect(events).not.toContain('data: [DONE]');
    const last = JSON.parse(events.at(-1)!.replace(/^data: /, '')) as { error: Record<string, unknown> };
    expect(last.error).toMatchObject({ code: 'upstream_error' });
    expect(converseCalls(second)).toBe(0);
  });

  it('does not fail over an error outside retryOn: the first target’s error reaches the caller', async () => {
    await fault(stack.emulator, { type: 'throttle', model: NOVA_LITE_ID });
    const err = await client.chat.completions
      .create({ model: 'route/nova-4xx', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect((err as InstanceType<typeof OpenAI.RateLimitError>).headers?.get('x-aigateway-target')).toBe(
      'demo/amazon-nova-lite-v1-0',
    );
    expect(converseCalls(second)).toBe(0);
  });

  it('does not fail over a validation error', async () => {
    await fault(stack.emulator, {
      type: 'stream-error',
      afterEvents: 0,
      exception: 'validationException',
      model: NOVA_LITE_ID,
      count: 1,
    });
    const err = await client.chat.completions
      .create({ model: 'route/nova', stream: true, messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(stack.emulator.state.stats.operations.ConverseStream).toBe(1);
    expect(converseCalls(second)).toBe(0);
  });

  it('fails over embeddings too: the whole fan-out goes to the other account', async () => {
    await fault(stack.emulator, { type: 'error', status: 503, operation: 'InvokeModel' });
    const { data, response } = await client.embeddings
      .create({ model: 'route/nova-embed', input: ['one', 'two'] })
      .withResponse();
    expect(data.data).toHaveLength(2);
    expect(data.model).toBe('route/nova-embed');
    expect(response.headers.get('x-aigateway-target')).toBe('second/titan-embed-second');
    expect(second.state.stats.operations.InvokeModel).toBe(2);
  });

  it('fails over image generation: the images come from the other account', async () => {
    await fault(stack.emulator, { type: 'error', status: 500, operation: 'InvokeModel' });
    const { data, response } = await client.images
      .generate({ model: 'route/canvas', prompt: 'a red square', size: '512x512', response_format: 'b64_json' })
      .withResponse();
    expect(data.data).toHaveLength(1);
    expect(data.data?.[0]?.b64_json?.length).toBeGreaterThan(100);
    expect(response.headers.get('x-aigateway-target')).toBe('second/nova-canvas-second');
    expect(second.state.stats.operations.InvokeModel).toBe(1);
  });

  it('ejects a target that keeps failing, counts it, and probes it back after the back-off', async () => {
    const ask = async () => {
      const { response } = await client.chat.completions
        .create({ model: 'route/nova-eject', messages: [{ role: 'user', content: 'x' }] })
        .withResponse();
      expect(response.status).toBe(200);
      return response.headers.get('x-aigateway-target');
    };
    await fault(stack.emulator, { type: 'throttle', model: NOVA_LITE_ID });
    expect(await ask()).toBe('second/nova-lite-second');
    expect(await ask()).toBe('second/nova-lite-second');
    // Two consecutive throttles: ejected, so the next request does not even try it.
    expect(await ask()).toBe('second/nova-lite-second');
    expect(stack.emulator.state.stats.faultsInjected.throttle).toBe(2);
    const metrics = await (await fetch(`${stack.gateway.admin!.url}/metrics`)).text();
    expect(metrics).toContain('aigw_route_ejections_total{route="nova-eject",target="demo/amazon-nova-lite-v1-0"} 1');
    expect(metrics).toContain(
      'aigw_route_failovers_total{route="nova-eject",from="demo/amazon-nova-lite-v1-0",reason="throttle"} 2',
    );
    expect(metrics).toMatch(
      /aigw_route_decisions_total\{route="nova-eject",target="second\/nova-lite-second",reason="weight"\} 1\b/,
    );
    // Healthy again; after the 1 s back-off one probe goes through and brings it back.
    await fetch(`${stack.emulator.url}/_emulator/faults`, { method: 'DELETE' });
    await new Promise((r) => setTimeout(r, 1100));
    expect(await ask()).toBe('demo/amazon-nova-lite-v1-0');
    expect(await ask()).toBe('demo/amazon-nova-lite-v1-0');
    const after = await (await fetch(`${stack.gateway.admin!.url}/metrics`)).text();
    expect(after).toContain(
      'aigw_route_decisions_total{route="nova-eject",target="demo/amazon-nova-lite-v1-0",reason="probe"} 1',
    );
  });

  it('applies usage limits per target: a target the caller is over its limit on is skipped', async () => {
    const before = stack.gateway.store.current!.revision;
    await stack.config.write(
      'policy.yaml',
      `apiVersion: aigateway.dev/v1alpha1
kind: UsagePolicy
metadata: { name: demo-account-cap, namespace: default }
spec:
  subjects: ["user:demo@example.com"]
  accounts: [demo]
  limits: { requestsPerMinute: 1 }
`,
    );
    for (let i = 0; i < 100 && stack.gateway.store.current!.revision === before; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(stack.gateway.store.current!.revision).not.toBe(before);
    const ask = () =>
      client.chat.completions
        .create({ model: 'route/nova', messages: [{ role: 'user', content: 'limited' }] })
        .withResponse();
    expect((await ask()).response.headers.get('x-aigateway-target')).toBe('demo/amazon-nova-lite-v1-0');
    // Over the limit on the demo account's model: the other account's target takes the request.
    const second = await ask();
    expect(second.response.status).toBe(200);
    expect(second.response.headers.get('x-aigateway-target')).toBe('second/nova-lite-second');
    // The refusal on the first target does not leak into the answer of the second.
    expect(second.response.headers.get('retry-after')).toBeNull();
    expect(second.response.headers.get('x-ratelimit-remaining-requests')).toBeNull();
    expect(converseCalls(stack.emulator)).toBe(1);
    // The same model named directly is refused as before.
    const err = await client.chat.completions
      .create({ model: 'demo/amazon-nova-lite-v1-0', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    await rm(join(stack.config.dir, 'policy.yaml'));
  });
});
