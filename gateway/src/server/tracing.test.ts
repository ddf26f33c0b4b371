import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ConfigDir, DEMO_KEY, makeConfigDir, NOVA_LITE } from '../../../test/helpers/config-dir.js';
import { FakeUpstream, streamEvents } from '../../../test/helpers/fake-upstream.js';
import { ManifestDirSource } from '../config/index.js';
import { GatewayError } from '../errors/index.js';
import { type RunningGateway, startGateway } from './index.js';

const exporter = new InMemorySpanExporter();
// register() installs the W3C trace-context propagator the gateway extracts and injects with.
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
provider.register();
const upstream = new FakeUpstream();
let config: ConfigDir;
let gateway: RunningGateway;

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`;

beforeAll(async () => {
  config = await makeConfigDir();
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
  upstream.script = { events: streamEvents('one two three') };
});

function chat(body: Record<string, unknown>): Promise<Response> {
  return fetch(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${DEMO_KEY}`, 'content-type': 'application/json', traceparent: PARENT },
    body: JSON.stringify(body),
  });
}

async function spans() {
  // The server span ends when the response closes, just after the client has read it.
  await new Promise((r) => setTimeout(r, 20));
  const all = exporter.getFinishedSpans();
  const server = all.find((s) => s.kind === SpanKind.SERVER);
  const client = all.find((s) => s.kind === SpanKind.CLIENT && s.name !== 'POST');
  const attempt = all.find((s) => s.kind === SpanKind.CLIENT && s.name === 'POST');
  return { all, server: server!, client: client!, attempt: attempt! };
}

describe('tracing', () => {
  it('continues the caller trace with a server span and a Bedrock client span carrying GenAI attributes', async () => {
    const res = await chat({
      model: NOVA_LITE,
      max_tokens: 50,
      temperature: 0.3,
      messages: [{ role: 'user', content: 'secret prompt' }],
    });
    const body = (await res.json()) as { id: string };
    const { server, client, attempt } = await spans();
    expect(server.name).toBe('POST /v1/chat/completions');
    expect(server.spanContext().traceId).toBe(TRACE_ID);
    expect(server.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(server.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/v1/chat/completions',
      'http.response.status_code': 200,
      'url.path': '/v1/chat/completions',
      'url.scheme': 'http',
      'server.address': '127.0.0.1',
      'client.address': '127.0.0.1',
      'aigw.model': NOVA_LITE,
    });
    // GenAI attributes live on the client span only, so backends count each model call once.
    expect(server.attributes['gen_ai.operation.name']).toBeUndefined();
    expect(client.name).toBe('chat amazon.nova-lite-v1:0');
    expect(client.parentSpanContext?.spanId).toBe(server.spanContext().spanId);
    expect(client.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'aws.bedrock',
      'gen_ai.request.model': 'amazon.nova-lite-v1:0',
      'gen_ai.response.model': 'amazon.nova-lite-v1:0',
      'aigw.model': NOVA_LITE,
      'gen_ai.output.type': 'text',
      'gen_ai.request.stream': false,
      'gen_ai.request.max_tokens': 50,
      'gen_ai.request.temperature': 0.3,
      'gen_ai.response.id': body.id,
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 7,
      'gen_ai.usage.output_tokens': 2,
      'gen_ai.usage.cache_read.input_tokens': 0,
      'server.address': 'bedrock-runtime.us-east-1.amazonaws.com',
      'server.port': 443,
      'aigw.upstream.attempts': 1,
      'cloud.region': 'us-east-1',
    });
    // The upstream request carries the context of the attempt's HTTP span, a child of the GenAI span.
    expect(attempt.parentSpanContext?.spanId).toBe(client.spanContext().spanId);
    const sent = upstream.calls.at(-1)?.headers?.traceparent;
    expect(sent).toBe(`00-${TRACE_ID}-${attempt.spanContext().spanId}-01`);
    // No prompt or completion text in any attribute.
    expect(JSON.stringify([server.attributes, client.attributes])).not.toMatch(/secret prompt|fake upstream/);
  });

  it('records streams and marks a stream that failed mid-way as an error', async () => {
    upstream.script = {
      events: streamEvents('a b').slice(0, 2),
      failWith: new GatewayError('upstream_unavailable', 'down'),
    };
    const res = await chat({ model: NOVA_LITE, stream: true, messages: [{ role: 'user', content: 'x' }] });
    await res.text();
    const { server, client } = await spans();
    expect(server.attributes['error.type']).toBe('upstream_unavailable');
    expect(client.status.code).toBe(SpanStatusCode.ERROR);
    expect(client.attributes).toMatchObject({
      'error.type': 'upstream_unavailable',
      'gen_ai.request.stream': true,
      'aigw.upstream.attempts': 1,
    });
  });

  it('marks an upstream failure before any byte on both spans', async () => {
    upstream.sendError = new GatewayError('rate_limit_exceeded', 'slow down');
    try {
      const res = await chat({ model: NOVA_LITE, messages: [{ role: 'user', content: 'x' }] });
      expect(res.status).toBe(429);
      await res.text();
    } finally {
      upstream.sendError = undefined;
    }
    const { server, client } = await spans();
    expect(server.attributes).toMatchObject({ 'http.response.status_code': 429, 'error.type': 'rate_limit_exceeded' });
    expect(client.attributes).toMatchObject({ 'error.type': 'rate_limit_exceeded', 'aigw.upstream.attempts': 1 });
  });

  it('names a request no route matched by its method alone', async () => {
    const res = await fetch(`${gateway.url}/v1/nothing-here`, { headers: { 'user-agent': 'probe/1.0' } });
    expect(res.status).toBe(404);
    await res.text();
    const { server } = await spans();
    expect(server.name).toBe('GET');
    expect(server.attributes['http.route']).toBeUndefined();
    expect(server.attributes).toMatchObject({
      'http.response.status_code': 404,
      'url.path': '/v1/nothing-here',
      'user_agent.original': 'probe/1.0',
    });
  });
});

describe('message content capture (opt-in)', () => {
  let captured: RunningGateway;
  beforeAll(async () => {
    captured = await startGateway({
      source: new ManifestDirSource(config.dir),
      port: 0,
      adminPort: null,
      upstream,
      logger: pino({ level: 'silent' }),
      mediaFetcher: null,
      watch: false,
      tracer: provider.getTracer('test'),
      captureContent: true,
    });
  });
  afterAll(async () => {
    await captured?.close();
  });

  it('records the messages and the answer on the chat client span only when enabled', async () => {
    exporter.reset();
    const res = await fetch(`${captured.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${DEMO_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: NOVA_LITE, messages: [{ role: 'user', content: 'captured prompt' }] }),
    });
    expect(res.status).toBe(200);
    await res.text();
    const { server, client } = await spans();
    expect(JSON.parse(String(client.attributes['gen_ai.input.messages']))).toEqual([
      { role: 'user', content: 'captured prompt' },
    ]);
    expect(String(client.attributes['gen_ai.output.messages'])).toContain('Hello from the fake upstream');
    // The server span never carries message text.
    expect(JSON.stringify(server.attributes)).not.toContain('captured prompt');
  });
});
