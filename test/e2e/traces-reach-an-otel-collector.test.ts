/**
 * Traces end to end: `aigw serve` (a child process, configured only through the standard OTEL_*
 * environment) exports to a real OpenTelemetry Collector over OTLP http/protobuf, http/json and gRPC;
 * the collector's file exporter writes what it received, and the assertions read that back: span
 * names, kinds, parent/child links, attributes and resource, for chat (plain and streaming), tool
 * calls, embeddings (one span per fan-out call), images, an upstream error with retries, and a
 * caller's `traceparent`, whose trace continues through to the request Bedrock receives.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type OpenAI from 'openai';
import { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../emulator/src/index.js';
import { type ConfigDir, makeConfigDir, NOVA_LITE } from '../helpers/config-dir.js';
import {
  type Collector,
  type ExportedSpan,
  otelcolAvailability,
  SPAN_KIND,
  startCollector,
} from '../helpers/otelcol.js';
import { type ChildGateway, ensureBuilt, openaiClient, spawnGateway } from '../helpers/stack.js';

const availability = otelcolAvailability();

const TITAN_V2 = 'demo/amazon-titan-embed-text-v2-0';
const NOVA_CANVAS = 'demo/amazon-nova-canvas-v1-0';
const SECRET_PROMPT = 'the secret prompt text 7f3a';

const ISOLATED_AWS_ENV = {
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
  AWS_CONFIG_FILE: '/nonexistent/config',
  AWS_EC2_METADATA_DISABLED: 'true',
};

/** An HTTP forwarder in front of the emulator that records the trace headers Bedrock would receive. */
interface RecordingProxy {
  url: string;
  port: number;
  seen: Array<{ path: string; traceparent: string | undefined; tracestate: string | undefined }>;
  close(): Promise<void>;
}

async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const upstream = new URL(target);
  const seen: RecordingProxy['seen'] = [];
  const server: Server = createServer((req, res) => {
    seen.push({
      path: req.url ?? '',
      traceparent: req.headers.traceparent as string | undefined,
      tracestate: req.headers.tracestate as string | undefined,
    });
    const forward = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    seen,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function traceparent(): { header: string; traceId: string; parentId: string } {
  const traceId = randomBytes(16).toString('hex');
  const parentId = randomBytes(8).toString('hex');
  return { header: `00-${traceId}-${parentId}-01`, traceId, parentId };
}

let emulator: RunningEmulator;
let proxy: RecordingProxy;
let config: ConfigDir;

beforeAll(async () => {
  if (!availability.run) return;
  ensureBuilt();
  emulator = await startEmulator({ port: 0 });
  proxy = await startRecordingProxy(emulator.url);
  config = await makeConfigDir({ emulatorUrl: proxy.url });
});
afterAll(async () => {
  await config?.remove();
  await proxy?.close();
  await emulator?.close();
});

describe.skipIf(!availability.run).each([
  ['http/protobuf', 'http'],
  ['http/json', 'http'],
  ['grpc', 'grpc'],
] as const)('traces over OTLP %s reach the collector', (protocol, receiver) => {
  let collector: Collector;
  let gateway: ChildGateway;
  let client: OpenAI;

  beforeAll(async () => {
    collector = await startCollector();
    gateway = await spawnGateway(['--config', config.dir], {
      ...ISOLATED_AWS_ENV,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver === 'grpc' ? collector.grpcEndpoint : collector.httpEndpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
      OTEL_BSP_SCHEDULE_DELAY: '50',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=trace-test,service.instance.id=pod-a',
      // Fast retries so the exhausted-retries case takes milliseconds.
      AIGW_UPSTREAM_RETRY_BASE_MS: '5',
      AIGW_UPSTREAM_RETRY_CAP_MS: '20',
    });
    client = openaiClient(gateway.url);
  }, 60_000);
  afterAll(async () => {
    gateway?.kill('SIGKILL');
    await collector?.close();
  });

  /** The spans of one trace once its server span and `clients` GenAI client spans have arrived. */
  async function traceOf(traceId: string, clients: number) {
    const all = await collector.waitFor((spans) => {
      const mine = spans.filter((s) => s.traceId === traceId);
      return (
        mine.some((s) => s.kind === SPAN_KIND.server) &&
        mine.filter((s) => s.kind === SPAN_KIND.client && s.name !== 'POST').length >= clients
      );
    });
    const mine = all.filter((s) => s.traceId === traceId);
    const server = mine.find((s) => s.kind === SPAN_KIND.server)!;
    const genai = mine.filter((s) => s.kind === SPAN_KIND.client && s.name !== 'POST');
    const attempts = mine.filter((s) => s.kind === SPAN_KIND.client && s.name === 'POST');
    return { all: mine, server, genai, attempts };
  }

  function expectAttemptsOf(genai: ExportedSpan, attempts: ExportedSpan[], count: number) {
    const own = attempts.filter((a) => a.parentSpanId === genai.spanId);
    expect(own).toHaveLength(count);
    for (const a of own)
      expect(a.attributes).toMatchObject({
        'http.request.method': 'POST',
        'server.address': '127.0.0.1',
        'server.port': proxy.port,
      });
    return own;
  }

  it('chat: continues the caller trace; the Bedrock call gets a GenAI client span whose context reaches Bedrock', async () => {
    const tp = traceparent();
    const requestId = randomUUID();
    const res = await client.chat.completions.create(
      { model: NOVA_LITE, max_tokens: 64, temperature: 0.2, messages: [{ role: 'user', content: SECRET_PROMPT }] },
      { headers: { traceparent: tp.header, tracestate: 'vendor=abc', 'x-request-id': requestId } },
    );
    const { server, genai, attempts, all } = await traceOf(tp.traceId, 1);

    expect(server.name).toBe('POST /v1/chat/completions');
    expect(server.parentSpanId).toBe(tp.parentId);
    expect(server.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/v1/chat/completions',
      'http.response.status_code': 200,
      'url.path': '/v1/chat/completions',
      'url.scheme': 'http',
      'server.address': '127.0.0.1',
      'server.port': Number(new URL(gateway.url).port),
      'client.address': '127.0.0.1',
      'aigw.request_id': requestId,
      'aigw.model': NOVA_LITE,
    });
    expect(String(server.attributes['user_agent.original'])).toMatch(/OpenAI\/JS/);

    expect(genai).toHaveLength(1);
    const span = genai[0]!;
    expect(span.name).toBe('chat amazon.nova-lite-v1:0');
    expect(span.parentSpanId).toBe(server.spanId);
    expect(span.statusCode).not.toBe(2);
    expect(span.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'aws.bedrock',
      'gen_ai.request.model': 'amazon.nova-lite-v1:0',
      'gen_ai.response.model': 'amazon.nova-lite-v1:0',
      'aigw.model': NOVA_LITE,
      'aigw.account': 'demo',
      'gen_ai.output.type': 'text',
      'gen_ai.request.stream': false,
      'gen_ai.request.max_tokens': 64,
      'gen_ai.request.temperature': 0.2,
      'gen_ai.response.id': res.id,
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': res.usage!.prompt_tokens,
      'gen_ai.usage.output_tokens': res.usage!.completion_tokens,
      'gen_ai.usage.cache_read.input_tokens': 0,
      'gen_ai.usage.cache_creation.input_tokens': 0,
      'server.address': '127.0.0.1',
      'server.port': proxy.port,
      'aigw.upstream.attempts': 1,
    });

    // The request Bedrock received carries the attempt span's context and the caller's tracestate.
    const [attempt] = expectAttemptsOf(span, attempts, 1);
    expect(attempt!.attributes['http.response.status_code']).toBe(200);
    const sent = proxy.seen.filter((s) => s.traceparent?.includes(tp.traceId));
    expect(sent.map((s) => s.traceparent)).toEqual([`00-${tp.traceId}-${attempt!.spanId}-01`]);
    expect(sent[0]!.tracestate).toBe('vendor=abc');

    // Resource: the standard environment plus the SDK's own attributes.
    expect(span.resource).toMatchObject({
      'service.name': 'aigateway',
      'service.instance.id': 'pod-a',
      'deployment.environment.name': 'trace-test',
      'telemetry.sdk.language': 'nodejs',
      'telemetry.sdk.name': 'opentelemetry',
    });
    expect(typeof span.resource['telemetry.sdk.version']).toBe('string');
    expect(typeof span.resource['service.version']).toBe('string');
    // No prompt or completion text anywhere.
    const text = JSON.stringify(all);
    expect(text).not.toContain(SECRET_PROMPT);
    expect(text).not.toContain(res.choices[0]!.message.content!);
  });

  it('chat stream: the client span ends with the stream, with usage, finish reason and time to first chunk', async () => {
    const tp = traceparent();
    const stream = await client.chat.completions.create(
      {
        model: NOVA_LITE,
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: 'user', content: 'count to five' }],
      },
      { headers: { traceparent: tp.header } },
    );
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) if (chunk.usage) usage = chunk.usage;
    const { server, genai, attempts } = await traceOf(tp.traceId, 1);
    const span = genai[0]!;
    expect(span.name).toBe('chat amazon.nova-lite-v1:0');
    expect(span.parentSpanId).toBe(server.spanId);
    expect(span.attributes).toMatchObject({
      'gen_ai.request.stream': true,
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': usage!.prompt_tokens,
      'gen_ai.usage.output_tokens': usage!.completion_tokens,
      'aigw.upstream.attempts': 1,
    });
    expect(span.attributes['gen_ai.response.time_to_first_chunk']).toBeGreaterThan(0);
    expect(server.attributes['http.response.status_code']).toBe(200);
    expectAttemptsOf(span, attempts, 1);
  });

  it('tool calls: finish reason tool_calls on the client span', async () => {
    const tp = traceparent();
    const res = await client.chat.completions.create(
      {
        model: NOVA_LITE,
        tools: [
          {
            type: 'function',
            function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
          },
        ],
        messages: [{ role: 'user', content: 'What is the weather? [[tools:1]]' }],
      },
      { headers: { traceparent: tp.header } },
    );
    expect(res.choices[0]!.finish_reason).toBe('tool_calls');
    const { genai } = await traceOf(tp.traceId, 1);
    expect(genai[0]!.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.response.finish_reasons': ['tool_calls'],
    });
  });

  it('embeddings: one client span per InvokeModel call of the fan-out, each propagating its context', async () => {
    const tp = traceparent();
    const res = await client.embeddings.create(
      { model: TITAN_V2, input: ['first text', 'second text', 'third text'] },
      { headers: { traceparent: tp.header } },
    );
    const { server, genai, attempts } = await traceOf(tp.traceId, 3);
    expect(server.name).toBe('POST /v1/embeddings');
    expect(server.attributes).toMatchObject({ 'aigw.upstream.calls': 3, 'aigw.model': TITAN_V2 });
    expect(genai).toHaveLength(3);
    for (const span of genai) {
      expect(span.name).toBe('embeddings amazon.titan-embed-text-v2:0');
      expect(span.parentSpanId).toBe(server.spanId);
      expect(span.attributes).toMatchObject({
        'gen_ai.operation.name': 'embeddings',
        'gen_ai.provider.name': 'aws.bedrock',
        'gen_ai.request.model': 'amazon.titan-embed-text-v2:0',
        'gen_ai.response.model': 'amazon.titan-embed-text-v2:0',
        'gen_ai.request.encoding_formats': ['base64'],
        'aigw.upstream.attempts': 1,
        'server.port': proxy.port,
      });
      expectAttemptsOf(span, attempts, 1);
    }
    expect(genai.map((s) => s.attributes['aigw.upstream.call_index']).sort()).toEqual([0, 1, 2]);
    const tokens = genai.reduce((sum, s) => sum + Number(s.attributes['gen_ai.usage.input_tokens']), 0);
    expect(tokens).toBe(res.usage.prompt_tokens);
    const sent = proxy.seen.filter((s) => s.traceparent?.includes(tp.traceId)).map((s) => s.traceparent);
    expect(sent.sort()).toEqual(attempts.map((a) => `00-${tp.traceId}-${a.spanId}-01`).sort());
  });

  it('images: a generate_content client span with output type image', async () => {
    const tp = traceparent();
    const res = await client.images.generate(
      { model: NOVA_CANVAS, prompt: SECRET_PROMPT, size: '512x512' },
      { headers: { traceparent: tp.header } },
    );
    expect(res.data).toHaveLength(1);
    const { server, genai, attempts, all } = await traceOf(tp.traceId, 1);
    expect(server.name).toBe('POST /v1/images/generations');
    const span = genai[0]!;
    expect(span.name).toBe('generate_content amazon.nova-canvas-v1:0');
    expect(span.parentSpanId).toBe(server.spanId);
    expect(span.attributes).toMatchObject({
      'gen_ai.operation.name': 'generate_content',
      'gen_ai.output.type': 'image',
      'gen_ai.request.model': 'amazon.nova-canvas-v1:0',
      'aigw.upstream.attempts': 1,
    });
    expectAttemptsOf(span, attempts, 1);
    expect(JSON.stringify(all)).not.toContain(SECRET_PROMPT);
  });

  it('an upstream error: error.type and status on both spans, every attempt recorded', async () => {
    await fetch(`${emulator.url}/_emulator/faults`, {
      method: 'POST',
      body: JSON.stringify({ type: 'throttle', model: 'amazon.nova-lite-v1:0' }),
    });
    const tp = traceparent();
    let code: string | undefined;
    try {
      await client.chat.completions.create(
        { model: NOVA_LITE, messages: [{ role: 'user', content: 'hi' }] },
        { headers: { traceparent: tp.header } },
      );
    } catch (err) {
      code = (err as { code?: string }).code ?? undefined;
      expect((err as { status?: number }).status).toBe(429);
    } finally {
      await fetch(`${emulator.url}/_emulator/faults`, { method: 'DELETE' });
    }
    expect(code).toBeTruthy();
    const { server, genai, attempts } = await traceOf(tp.traceId, 1);
    expect(server.statusCode).not.toBe(2); // a 4xx is not a server error
    expect(server.attributes).toMatchObject({ 'http.response.status_code': 429, 'error.type': code });
    const span = genai[0]!;
    expect(span.name).toBe('chat amazon.nova-lite-v1:0');
    expect(span.statusCode).toBe(2);
    expect(span.attributes).toMatchObject({ 'error.type': code, 'aigw.upstream.attempts': 3 });
    const own = expectAttemptsOf(span, attempts, 3);
    for (const a of own) {
      expect(a.statusCode).toBe(2);
      expect(a.attributes['http.response.status_code']).toBe(429);
    }
    expect(own.map((a) => a.attributes['http.request.resend_count'] ?? 0).sort()).toEqual([0, 1, 2]);
  });

  it('files: the S3 calls of an upload are client spans under the server span', async () => {
    const tp = traceparent();
    const file = await client.files.create(
      {
        file: await toFile(
          Buffer.from(
            `${JSON.stringify({
              custom_id: 'a',
              method: 'POST',
              url: '/v1/chat/completions',
              body: { model: NOVA_LITE, messages: [{ role: 'user', content: 'hi' }] },
            })}\n`,
          ),
          'input.jsonl',
        ),
        purpose: 'batch',
      },
      { headers: { traceparent: tp.header } },
    );
    expect(file.id).toBeTruthy();
    const all = await collector.waitFor((spans) =>
      spans.some((s) => s.traceId === tp.traceId && s.kind === SPAN_KIND.server),
    );
    const mine = all.filter((s) => s.traceId === tp.traceId);
    const server = mine.find((s) => s.kind === SPAN_KIND.server)!;
    expect(server.name).toBe('POST /v1/files');
    const s3 = mine.filter((s) => s.kind === SPAN_KIND.client && s.name.startsWith('S3.'));
    expect(s3.length).toBeGreaterThan(0);
    for (const span of s3) {
      expect(span.parentSpanId).toBe(server.spanId);
      expect(span.attributes).toMatchObject({
        'rpc.system': 'aws-api',
        'rpc.service': 'S3',
        'aws.s3.bucket': 'aigw-demo',
      });
      expect(span.name).toBe(`S3.${span.attributes['rpc.method']}`);
    }
    expect(s3.map((s) => s.attributes['rpc.method'])).toContain('PutObject');
  });

  it('batches: the control-plane call that creates the job is a client span under the server span', async () => {
    const lines = Array.from(
      { length: 100 },
      (_, i) =>
        `${JSON.stringify({
          custom_id: `r${i}`,
          method: 'POST',
          url: '/v1/chat/completions',
          body: { model: NOVA_LITE, messages: [{ role: 'user', content: `line ${i}` }] },
        })}\n`,
    ).join('');
    const file = await client.files.create({ file: await toFile(Buffer.from(lines), 'in.jsonl'), purpose: 'batch' });
    const tp = traceparent();
    const batch = await client.batches.create(
      {
        input_file_id: file.id,
        endpoint: '/v1/chat/completions',
        completion_window: '24h',
        // @ts-expect-error the gateway's extra member (extra_body in Python)
        model: NOVA_LITE,
      },
      { headers: { traceparent: tp.header } },
    );
    expect(batch.id).toBeTruthy();
    const all = await collector.waitFor((spans) =>
      spans.some((s) => s.traceId === tp.traceId && s.kind === SPAN_KIND.server),
    );
    const mine = all.filter((s) => s.traceId === tp.traceId);
    const server = mine.find((s) => s.kind === SPAN_KIND.server)!;
    expect(server.name).toBe('POST /v1/batches');
    const create = mine.find((s) => s.name === 'Bedrock.CreateModelInvocationJob');
    expect(create?.kind).toBe(SPAN_KIND.client);
    expect(create?.parentSpanId).toBe(server.spanId);
    expect(create?.attributes).toMatchObject({
      'rpc.system': 'aws-api',
      'rpc.service': 'Bedrock',
      'rpc.method': 'CreateModelInvocationJob',
      'http.response.status_code': 200,
    });
  });

  it('a request without traceparent starts a new trace; an unmatched route is named by its method', async () => {
    const requestId = randomUUID();
    const res = await fetch(`${gateway.url}/v1/no-such-surface`, { headers: { 'x-request-id': requestId } });
    expect(res.status).toBe(404);
    await res.text();
    const spans = await collector.waitFor((all) =>
      all.some((s) => s.kind === SPAN_KIND.server && s.attributes['aigw.request_id'] === requestId),
    );
    const server = spans.find((s) => s.attributes['aigw.request_id'] === requestId)!;
    expect(server.name).toBe('GET');
    expect(server.parentSpanId).toBe('');
    expect(server.attributes['http.route']).toBeUndefined();
    expect(server.attributes).toMatchObject({ 'http.response.status_code': 404, 'url.path': '/v1/no-such-surface' });
  });
});
