/**
 * ModelRoute requests through the real server on a scripted upstream: the route decision on the server span,
 * one GenAI client span per target tried, translation per target model (two families on one route), and
 * callers routed only to the targets whose accounts list them.
 */
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type ConfigDir,
  DEMO_KEY,
  makeConfigDir,
  OUTSIDER_KEY,
  OUTSIDER_KEY_MANIFEST,
} from '../../../test/helpers/config-dir.js';
import { FakeUpstream } from '../../../test/helpers/fake-upstream.js';
import { redisAvailability, startRedis } from '../../../test/helpers/redis.js';
import { ManifestDirSource, routeEjectionKey } from '../config/index.js';
import { fromBedrockHttpError } from '../errors/index.js';
import type { UpstreamCall, UpstreamResponse } from '../upstream/index.js';
import { type RunningGateway, startGateway } from './index.js';

const SOLO_KEY = 'sk-aigw-solo-2222222222222222';

/** Throttles every call to the accounts in `throttled`, answers the others. */
class ThrottlingUpstream extends FakeUpstream {
  throttled = new Set<string>();
  override async send(call: UpstreamCall): Promise<UpstreamResponse> {
    if (this.throttled.has(call.account.name)) {
      this.calls.push(call);
      throw fromBedrockHttpError({ status: 429, errorType: 'ThrottlingException', body: '{"message":"slow down"}' });
    }
    return super.send(call);
  }
}

const EXTRA = {
  'route.yaml': `apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: solo, namespace: default }
spec:
  provider: aws-bedrock
  region: us-west-2
  auth: { type: default }
  collaborators:
    - { subject: "user:solo@example.com", role: User }
    - { subject: "team:demo", role: User }
---
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: nova-lite-solo, namespace: default }
spec: { account: solo, modelId: "amazon.nova-lite-v1:0" }
---
apiVersion: v1
kind: Secret
type: aigateway.dev/api-key
metadata: { name: solo-key, namespace: default }
stringData: { token: ${SOLO_KEY}, subject: "user:solo@example.com" }
---
apiVersion: aigateway.dev/v1alpha1
kind: ModelRoute
metadata: { name: mixed, namespace: default }
spec:
  targets:
    - { model: amazon-nova-lite-v1-0, priority: 0 }
    - { model: us-anthropic-claude-3-5-haiku-20241022-v1-0, priority: 1 }
---
apiVersion: aigateway.dev/v1alpha1
kind: ModelRoute
metadata: { name: shared, namespace: default }
spec:
  targets:
    - { model: amazon-nova-lite-v1-0 }
    - { model: nova-lite-solo }
`,
  'outsider.yaml': OUTSIDER_KEY_MANIFEST,
};

const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const upstream = new ThrottlingUpstream();
let config: ConfigDir;
let gateway: RunningGateway;

beforeAll(async () => {
  config = await makeConfigDir({ extraFiles: EXTRA });
  gateway = await startGateway({
    source: new ManifestDirSource(config.dir),
    port: 0,
    adminPort: null,
    upstream,
    logger: pino({ level: 'silent' }),
    mediaFetcher: null,
    watch: false,
    tracer: provider.getTracer('test'),
  });
});
afterAll(async () => {
  await gateway?.close();
  await config?.remove();
  await provider.shutdown();
});
beforeEach(() => {
  exporter.reset();
  upstream.calls.length = 0;
  upstream.throttled.clear();
});

function chat(model: string, key = DEMO_KEY): Promise<Response> {
  return fetch(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      model,
      max_tokens: 20,
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral' } }] },
        { role: 'user', content: 'hi' },
      ],
    }),
  });
}

describe('a route request', () => {
  it('shows the decision on the server span and calls each target with its own translation', async () => {
    upstream.throttled.add('demo');
    const res = await chat('route/mixed');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-aigateway-target')).toBe('demo-role/us-anthropic-claude-3-5-haiku-20241022-v1-0');
    expect(((await res.json()) as { model: string }).model).toBe('route/mixed');
    await new Promise((r) => setTimeout(r, 20));
    const spans = exporter.getFinishedSpans();
    const server = spans.find((s) => s.kind === SpanKind.SERVER)!;
    expect(server.attributes).toMatchObject({
      'aigw.model': 'route/mixed',
      'aigw.account': 'demo-role',
      'aigw.route': 'mixed',
      'aigw.route.target': 'demo-role/us-anthropic-claude-3-5-haiku-20241022-v1-0',
      'aigw.route.reason': 'failover',
      'aigw.route.attempts': 2,
    });
    const genAi = spans
      .filter((s) => s.kind === SpanKind.CLIENT && s.name !== 'POST')
      .map((s) => [s.name, s.attributes['error.type']]);
    expect(genAi).toEqual([
      ['chat amazon.nova-lite-v1:0', 'rate_limit_exceeded'],
      ['chat us.anthropic.claude-3-5-haiku-20241022-v1:0', undefined],
    ]);
    // One Bedrock call per target, each with the body translated for its model.
    expect(upstream.calls.map((c) => [c.account.name, c.modelId])).toEqual([
      ['demo', 'amazon.nova-lite-v1:0'],
      ['demo-role', 'us.anthropic.claude-3-5-haiku-20241022-v1:0'],
    ]);
    expect(upstream.calls[1]!.limits?.maxAttempts).toBeUndefined();
    expect(upstream.calls[0]!.limits?.maxAttempts).toBe(1);
  });

  it('routes a caller only to the targets whose accounts list it, and is a 404 for a caller of none', async () => {
    for (let i = 0; i < 20; i++) {
      const res = await chat('route/shared', SOLO_KEY);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-aigateway-target')).toBe('solo/nova-lite-solo');
    }
    expect(new Set(upstream.calls.map((c) => c.account.name))).toEqual(new Set(['solo']));
    // The demo team may use both; the same prefix (cache point) keeps going to one of them.
    const targets = new Set<string | null>();
    for (let i = 0; i < 10; i++) targets.add((await chat('route/shared')).headers.get('x-aigateway-target'));
    expect(targets.size).toBe(1);
    const outsider = await chat('route/shared', OUTSIDER_KEY);
    expect(outsider.status).toBe(404);
    expect(((await outsider.json()) as { error: { code: string } }).error.code).toBe('model_not_found');
    const solo = await chat('route/mixed', SOLO_KEY);
    expect(solo.status).toBe(404);
  });

  it('is a 400 naming the surface when the route is of another type', async () => {
    const res = await fetch(`${gateway.url}/v1/embeddings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${DEMO_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'route/mixed', input: 'x' }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('chat route');
  });
});

describe.skipIf(!redisAvailability().run)('with a shared Redis store', () => {
  it('records an ejection where the operator reads it', async () => {
    const redis = await startRedis();
    const reader = new Redis(redis.url);
    const dir = await makeConfigDir({
      extraFiles: {
        ...EXTRA,
        'eject.yaml': `apiVersion: aigateway.dev/v1alpha1
kind: ModelRoute
metadata: { name: eject-fast, namespace: default }
spec:
  targets:
    - { model: amazon-nova-lite-v1-0, priority: 0 }
    - { model: us-anthropic-claude-3-5-haiku-20241022-v1-0, priority: 1 }
  policy:
    ejection: { consecutiveFailures: 1, baseEjectionSeconds: 30, maxEjectionSeconds: 30 }
`,
      },
    });
    const withStore = await startGateway({
      source: new ManifestDirSource(dir.dir),
      port: 0,
      adminPort: null,
      upstream,
      logger: pino({ level: 'silent' }),
      mediaFetcher: null,
      watch: false,
      limits: { redisUrl: redis.url },
    });
    try {
      upstream.throttled.add('demo');
      const started = Date.now();
      const res = await fetch(`${withStore.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${DEMO_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'route/eject-fast', messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(res.status).toBe(200);
      const key = routeEjectionKey('default', 'eject-fast');
      expect(key).toBe('aigw:route:{default/eject-fast}:ejected');
      let until: string | null = null;
      for (let i = 0; i < 100 && until === null; i++) {
        until = await reader.hget(key, 'demo/amazon-nova-lite-v1-0');
        if (until === null) await new Promise((r) => setTimeout(r, 20));
      }
      expect(Number(until)).toBeGreaterThanOrEqual(started + 30_000);
      expect(Number(until)).toBeLessThanOrEqual(Date.now() + 30_000);
    } finally {
      await withStore.close();
      reader.disconnect();
      await redis.stop();
      await dir.remove();
    }
  });
});
