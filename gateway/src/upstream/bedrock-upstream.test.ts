import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AccountCredentials, CompiledAccount } from '../config/index.js';
import { GatewayError } from '../errors/index.js';
import { BedrockUpstream, type UpstreamCall, type UpstreamEvent } from './index.js';

// A loopback stand-in for Bedrock whose behaviour each test scripts request by request.
type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;
interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  closedEarly: Promise<boolean>;
}

let server: Server;
let endpoint: string;
let handlers: Handler[] = [];
let seen: Seen[] = [];

const codec = new EventStreamCodec(toUtf8, fromUtf8);
function frame(kind: 'event' | 'exception', type: string, payload: unknown): Uint8Array {
  const typeHeader = kind === 'event' ? ':event-type' : ':exception-type';
  return codec.encode({
    headers: {
      ':message-type': { type: 'string', value: kind },
      [typeHeader]: { type: 'string', value: type },
      ':content-type': { type: 'string', value: 'application/json' },
    },
    body: Buffer.from(JSON.stringify(payload)),
  });
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-requestid': `req-${seen.length}`, ...headers });
  res.end(JSON.stringify(body));
}
const ok: Handler = (_req, res) =>
  json(res, 200, { output: { message: { role: 'assistant', content: [{ text: 'hi' }] } } });
const bedrockError =
  (status: number, type: string, message: string, headers: Record<string, string> = {}): Handler =>
  (_req, res) =>
    json(
      res,
      status,
      { message },
      { 'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/`, ...headers },
    );
const hang: Handler = () => {};

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const closedEarly = new Promise<boolean>((resolve) => {
        res.on('close', () => resolve(!res.writableFinished));
      });
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, closedEarly });
      const handler = handlers.shift() ?? ok;
      handler(req, res, body);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  handlers = [];
  seen = [];
});

function account(overrides: Partial<CompiledAccount> = {}): CompiledAccount {
  return {
    name: 'acct',
    namespace: 'ai',
    region: 'us-east-1',
    endpoint,
    auth: { type: 'accessKey' },
    collaborators: [],
    ...overrides,
  };
}
const keys: AccountCredentials = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};

function call(overrides: Partial<UpstreamCall> = {}): UpstreamCall {
  return {
    account: account(),
    credentials: keys,
    region: 'us-east-1',
    modelId: 'us.anthropic.claude-3-5-sonnet-20241022-v2:0',
    operation: 'converse',
    body: '{"messages":[{"role":"user","content":[{"text":"hi"}]}]}',
    signal: new AbortController().signal,
    ...overrides,
  };
}

function fastRetries(extra: ConstructorParameters<typeof BedrockUpstream>[0] = {}): BedrockUpstream {
  return new BedrockUpstream({ retryBaseMs: 5, retryCapMs: 20, ...extra });
}

async function collect(stream: AsyncIterable<UpstreamEvent>): Promise<UpstreamEvent[]> {
  const out: UpstreamEvent[] = [];
  for await (const event of stream) out.push(event);
  return out;
}

async function rejection(promise: Promise<unknown>): Promise<GatewayError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayError);
    return error as GatewayError;
  }
  throw new Error('expected the call to fail');
}

describe('BedrockUpstream.send', () => {
  it('posts the signed body to the SDK-encoded path and returns the response with timing', async () => {
    const upstream = fastRetries();
    try {
      const result = await upstream.send(call());
      expect(result.status).toBe(200);
      expect(result.requestId).toBe('req-1');
      expect(JSON.parse(Buffer.from(result.body).toString('utf8'))).toMatchObject({
        output: { message: { role: 'assistant' } },
      });
      expect(result.attempts).toBe(1);
      expect(result.timing.firstByteMs).toBeGreaterThan(0);
      expect(result.upstreamMs).toBeGreaterThanOrEqual(result.timing.firstByteMs);
      const [request] = seen;
      expect(request?.method).toBe('POST');
      expect(request?.url).toBe('/model/us.anthropic.claude-3-5-sonnet-20241022-v2%3A0/converse');
      expect(request?.body).toBe(call().body);
      expect(request?.headers.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE\/\d{8}\/us-east-1\/bedrock\/aws4_request, SignedHeaders=accept;content-type;host;x-amz-date, Signature=[0-9a-f]{64}$/,
      );
    } finally {
      await upstream.close();
    }
  });

  it('signs for the region an ARN names, and sends extra Bedrock headers', async () => {
    const upstream = fastRetries();
    try {
      await upstream.send(
        call({
          modelId: 'arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.anthropic.claude-3-haiku-20240307-v1:0',
          operation: 'invoke',
          headers: { 'X-Amzn-Bedrock-Trace': 'ENABLED' },
        }),
      );
      const [request] = seen;
      expect(request?.url).toBe(
        '/model/arn%3Aaws%3Abedrock%3Aeu-west-1%3A123456789012%3Ainference-profile%2Feu.anthropic.claude-3-haiku-20240307-v1%3A0/invoke',
      );
      expect(request?.headers.authorization).toContain('/eu-west-1/bedrock/aws4_request');
      expect(request?.headers['x-amzn-bedrock-trace']).toBe('ENABLED');
      expect(request?.headers.authorization).toContain('x-amzn-bedrock-trace');
    } finally {
      await upstream.close();
    }
  });

  it('uses a bearer token for API-key accounts', async () => {
    const upstream = fastRetries();
    try {
      await upstream.send(
        call({ account: account({ auth: { type: 'apiKey' } }), credentials: { apiKey: 'ABSKRW11bGF0b3JEZW1vS2V5' } }),
      );
      expect(seen[0]?.headers.authorization).toBe('Bearer ABSKRW11bGF0b3JEZW1vS2V5');
      expect(seen[0]?.headers['x-amz-date']).toBeUndefined();
    } finally {
      await upstream.close();
    }
  });

  it('retries a throttle and succeeds', async () => {
    const upstream = fastRetries();
    try {
      handlers = [bedrockError(429, 'ThrottlingException', 'Too many requests, please wait before trying again.'), ok];
      const result = await upstream.send(call());
      expect(result.attempts).toBe(2);
      expect(seen).toHaveLength(2);
      // Each attempt is signed afresh.
      expect(seen[1]?.headers.authorization).toBeDefined();
    } finally {
      await upstream.close();
    }
  });

  it('gives up after maxAttempts and reports the throttle as 429', async () => {
    const upstream = fastRetries({ maxAttempts: 3 });
    try {
      const throttle = bedrockError(429, 'ThrottlingException', 'Too many requests, please wait before trying again.');
      handlers = [throttle, throttle, throttle, ok];
      const error = await rejection(upstream.send(call()));
      expect(error.code).toBe('rate_limit_exceeded');
      expect(error.status).toBe(429);
      expect(seen).toHaveLength(3);
    } finally {
      await upstream.close();
    }
  });

  it('retries 5xx and ModelNotReady', async () => {
    const upstream = fastRetries({ maxAttempts: 4 });
    try {
      handlers = [
        bedrockError(500, 'InternalServerException', 'Internal error'),
        bedrockError(503, 'ServiceUnavailableException', 'Unavailable'),
        bedrockError(429, 'ModelNotReadyException', 'Model is not ready'),
        ok,
      ];
      expect((await upstream.send(call())).attempts).toBe(4);
    } finally {
      await upstream.close();
    }
  });

  it('never retries validation or auth errors', async () => {
    const upstream = fastRetries();
    try {
      handlers = [bedrockError(400, 'ValidationException', 'The provided model identifier is invalid.'), ok];
      const validation = await rejection(upstream.send(call()));
      expect(validation).toMatchObject({
        code: 'invalid_request',
        status: 400,
        message: 'The provided model identifier is invalid.',
      });
      expect(seen).toHaveLength(1);

      handlers = [
        bedrockError(403, 'UnrecognizedClientException', 'The security token included in the request is invalid.'),
        ok,
      ];
      const denied = await rejection(upstream.send(call()));
      expect(denied).toMatchObject({ code: 'upstream_access_denied', status: 403 });
      expect(seen).toHaveLength(2);
    } finally {
      await upstream.close();
    }
  });

  it('waits out Retry-After before the next attempt', async () => {
    const upstream = fastRetries();
    try {
      handlers = [bedrockError(503, 'ServiceUnavailableException', 'busy', { 'retry-after': '1' }), ok];
      const started = Date.now();
      const result = await upstream.send(call());
      expect(result.attempts).toBe(2);
      expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    } finally {
      await upstream.close();
    }
  });

  it('does not wait out a Retry-After beyond maxRetryAfterMs; the caller gets the hint', async () => {
    const upstream = fastRetries({ maxRetryAfterMs: 1000 });
    try {
      handlers = [bedrockError(429, 'ThrottlingException', 'slow down', { 'retry-after': '30' }), ok];
      const error = await rejection(upstream.send(call()));
      expect(error).toMatchObject({ code: 'rate_limit_exceeded', retryAfterSeconds: 30 });
      expect(seen).toHaveLength(1);
    } finally {
      await upstream.close();
    }
  });

  it('abandons an attempt after attemptTimeoutMs and retries', async () => {
    const upstream = fastRetries({ attemptTimeoutMs: 200 });
    try {
      handlers = [hang, ok];
      const result = await upstream.send(call());
      expect(result.attempts).toBe(2);
      // The abandoned attempt's connection was torn down, not left hanging.
      expect(await seen[0]?.closedEarly).toBe(true);
    } finally {
      await upstream.close();
    }
  });

  it('stops at the overall deadline with upstream_timeout', async () => {
    const upstream = fastRetries({ attemptTimeoutMs: 150, deadlineMs: 400, maxAttempts: 10 });
    try {
      handlers = Array.from({ length: 10 }, () => hang);
      const started = Date.now();
      const error = await rejection(upstream.send(call()));
      expect(error).toMatchObject({ code: 'upstream_timeout', status: 504 });
      expect(Date.now() - started).toBeLessThan(1500);
      // 150 ms attempts (+ short backoffs) inside a 400 ms deadline: two or three attempts, never ten.
      expect(seen.length).toBeGreaterThanOrEqual(2);
      expect(seen.length).toBeLessThanOrEqual(3);
      // The last attempt got what was left of the deadline, a clock difference: the message rounds it.
      expect((error as Error).message).toMatch(/^Bedrock did not respond within \d+ ms\.$/);
    } finally {
      await upstream.close();
    }
  });

  it('takes per-call limits that only tighten its own: attempts, attempt timeout, a shared deadline', async () => {
    const upstream = fastRetries({ maxAttempts: 3, attemptTimeoutMs: 5_000 });
    try {
      const throttle = bedrockError(429, 'ThrottlingException', 'Too many requests, please wait before trying again.');
      handlers = [throttle, ok];
      const once = await rejection(upstream.send(call({ limits: { maxAttempts: 1 } })));
      expect(once.code).toBe('rate_limit_exceeded');
      expect(seen).toHaveLength(1);
      // A call may not raise the client's own cap.
      seen = [];
      handlers = [throttle, throttle, throttle, ok];
      await rejection(upstream.send(call({ limits: { maxAttempts: 10 } })));
      expect(seen).toHaveLength(3);
      // A shorter attempt timeout: a silent upstream is given up in time (one attempt here).
      seen = [];
      handlers = [hang, ok];
      let started = performance.now();
      const timedOut = await rejection(upstream.send(call({ limits: { maxAttempts: 1, attemptTimeoutMs: 150 } })));
      expect(timedOut.code).toBe('upstream_timeout');
      expect(performance.now() - started).toBeLessThan(2_000);
      // A deadline shared with earlier calls: what is left of it bounds this call.
      seen = [];
      handlers = [hang, hang, hang];
      started = performance.now();
      const late = await rejection(upstream.send(call({ limits: { deadlineAt: performance.now() + 200 } })));
      expect(late.code).toBe('upstream_timeout');
      expect(performance.now() - started).toBeLessThan(2_000);
    } finally {
      await upstream.close();
    }
  });

  it('retries when the connection is reset', async () => {
    const upstream = fastRetries();
    try {
      handlers = [(req) => req.socket.destroy(), ok];
      expect((await upstream.send(call())).attempts).toBe(2);
    } finally {
      await upstream.close();
    }
  });

  it('retries when the connection drops while the response body is read', async () => {
    const upstream = fastRetries();
    try {
      handlers = [
        (_req, res) => {
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
          res.write('{"output":');
          setTimeout(() => res.socket?.destroy(), 10);
        },
        ok,
      ];
      const result = await upstream.send(call());
      expect(result.attempts).toBe(2);
      expect(JSON.parse(Buffer.from(result.body).toString('utf8'))).toHaveProperty('output');
    } finally {
      await upstream.close();
    }
  });

  it('refuses a response body larger than maxResponseBytes without retrying', async () => {
    const upstream = fastRetries({ maxResponseBytes: 1024 });
    try {
      handlers = [(_req, res) => json(res, 200, { big: 'x'.repeat(4096) }), ok];
      const error = await rejection(upstream.send(call()));
      expect(error.code).toBe('upstream_error');
      expect(seen).toHaveLength(1);
    } finally {
      await upstream.close();
    }
  });

  it('still maps an error whose body is too large to keep, from its status and error type', async () => {
    const upstream = fastRetries();
    try {
      // Past 1 MiB the error body is dropped, not buffered; the x-amzn-ErrorType header still names the error.
      handlers = [
        (_req, res) =>
          json(res, 400, { message: 'x'.repeat(2 * 1024 * 1024) }, { 'x-amzn-errortype': 'ValidationException' }),
        ok,
      ];
      const error = await rejection(upstream.send(call()));
      expect(error).toMatchObject({ code: 'invalid_request', status: 400 });
      expect(seen).toHaveLength(1);
      // The connection it was cut on is not reused by accident: the next call succeeds.
      handlers = [ok];
      expect((await upstream.send(call())).status).toBe(200);
    } finally {
      await upstream.close();
    }
  });

  it('stops immediately when the caller goes away', async () => {
    const upstream = fastRetries();
    try {
      handlers = [hang, ok];
      const controller = new AbortController();
      const pending = upstream.send(call({ signal: controller.signal }));
      await waitFor(() => seen.length === 1);
      controller.abort();
      const error = await rejection(pending);
      expect(error.code).toBe('client_closed_request');
      expect(await seen[0]?.closedEarly).toBe(true);
      await new Promise((r) => setTimeout(r, 50));
      expect(seen).toHaveLength(1);
    } finally {
      await upstream.close();
    }
  });

  it('reuses keep-alive connections across calls', async () => {
    const upstream = fastRetries();
    try {
      const ports = new Set<number>();
      handlers = Array.from({ length: 20 }, () => (req: IncomingMessage, res: ServerResponse, body: string) => {
        ports.add(req.socket.remotePort ?? 0);
        ok(req, res, body);
      });
      for (let i = 0; i < 20; i++) await upstream.send(call());
      // undici hands a socket back to its pool a tick after the body ends, so back-to-back calls may
      // open a second one; without keep-alive this would be 20.
      expect(ports.size).toBeLessThanOrEqual(2);
    } finally {
      await upstream.close();
    }
  });
});

describe('BedrockUpstream.stream', () => {
  const streamOf =
    (frames: Uint8Array[], options: { holdOpen?: boolean; delayMs?: number } = {}): Handler =>
    (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': 'stream-1' });
      let i = 0;
      const next = (): void => {
        if (res.destroyed) return;
        if (i < frames.length) {
          res.write(frames[i++]);
          setTimeout(next, options.delayMs ?? 1);
        } else if (!options.holdOpen) res.end();
      };
      next();
    };

  const conversation = [
    frame('event', 'messageStart', { role: 'assistant', p: 'abcdefgh' }),
    frame('event', 'contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Hel' } }),
    frame('event', 'contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'lo' } }),
    frame('event', 'contentBlockStop', { contentBlockIndex: 0 }),
    frame('event', 'messageStop', { stopReason: 'end_turn' }),
    frame('event', 'metadata', {
      usage: { inputTokens: 3, outputTokens: 2, totalTokens: 5 },
      metrics: { latencyMs: 10 },
    }),
  ];

  it('decodes the events of a ConverseStream', async () => {
    const upstream = fastRetries();
    try {
      handlers = [streamOf(conversation)];
      const stream = await upstream.stream(call({ operation: 'converse-stream' }));
      expect(stream.status).toBe(200);
      expect(stream.requestId).toBe('stream-1');
      const events = await collect(stream);
      expect(events.map((e) => e.type)).toEqual([
        'messageStart',
        'contentBlockDelta',
        'contentBlockDelta',
        'contentBlockStop',
        'messageStop',
        'metadata',
      ]);
      expect(events[0]?.payload).toEqual({ role: 'assistant' });
      expect(seen[0]?.url).toBe('/model/us.anthropic.claude-3-5-sonnet-20241022-v2%3A0/converse-stream');
      expect(seen[0]?.headers.accept).toBe('application/vnd.amazon.eventstream');
      expect(stream.timing.firstEventMs).toBeGreaterThanOrEqual(stream.timing.headersMs);
      expect(stream.timing.totalMs).toBeGreaterThanOrEqual(stream.timing.firstEventMs ?? 0);
    } finally {
      await upstream.close();
    }
  });

  it('retries a throttle that arrives before the stream starts', async () => {
    const upstream = fastRetries();
    try {
      handlers = [bedrockError(429, 'ThrottlingException', 'Too many requests'), streamOf(conversation)];
      const stream = await upstream.stream(call({ operation: 'converse-stream' }));
      expect(stream.attempts).toBe(2);
      expect(await collect(stream)).toHaveLength(6);
    } finally {
      await upstream.close();
    }
  });

  it('throws the mapped error at an exception frame, after the events before it', async () => {
    const upstream = fastRetries();
    try {
      handlers = [
        streamOf([
          conversation[0]!,
          conversation[1]!,
          frame('exception', 'modelStreamErrorException', {
            message: 'Model stream failed.',
            originalStatusCode: 500,
            originalMessage: 'overloaded',
          }),
        ]),
      ];
      const stream = await upstream.stream(call({ operation: 'converse-stream' }));
      const received: string[] = [];
      let thrown: unknown;
      try {
        for await (const event of stream) received.push(event.type);
      } catch (error) {
        thrown = error;
      }
      expect(received).toEqual(['messageStart', 'contentBlockDelta']);
      expect(thrown).toBeInstanceOf(GatewayError);
      expect(thrown).toMatchObject({ code: 'upstream_error', status: 502 });
      expect((thrown as Error).message).toContain('overloaded');
      // Exceptions after the 200 are not retried: the caller may already have seen output.
      expect(seen).toHaveLength(1);
    } finally {
      await upstream.close();
    }
  });

  it('destroys the upstream request when the caller aborts mid-stream', async () => {
    const upstream = fastRetries();
    try {
      handlers = [streamOf(conversation.slice(0, 2), { holdOpen: true })];
      const controller = new AbortController();
      const stream = await upstream.stream(call({ operation: 'converse-stream', signal: controller.signal }));
      const received: string[] = [];
      let thrown: unknown;
      try {
        for await (const event of stream) {
          received.push(event.type);
          if (received.length === 2) controller.abort();
        }
      } catch (error) {
        thrown = error;
      }
      expect(received).toEqual(['messageStart', 'contentBlockDelta']);
      expect(thrown).toMatchObject({ code: 'client_closed_request' });
      // Bedrock sees the connection go away (so generation and billing stop there).
      expect(await seen[0]?.closedEarly).toBe(true);
    } finally {
      await upstream.close();
    }
  });

  it('closes the upstream request when the consumer stops reading early', async () => {
    const upstream = fastRetries();
    try {
      handlers = [streamOf(conversation, { holdOpen: true, delayMs: 5 })];
      const stream = await upstream.stream(call({ operation: 'converse-stream' }));
      for await (const event of stream) {
        if (event.type === 'messageStart') break;
      }
      expect(await seen[0]?.closedEarly).toBe(true);
    } finally {
      await upstream.close();
    }
  });

  it('gives up on a silent stream after streamIdleTimeoutMs', async () => {
    const upstream = fastRetries({ streamIdleTimeoutMs: 200 });
    try {
      handlers = [streamOf(conversation.slice(0, 1), { holdOpen: true })];
      const stream = await upstream.stream(call({ operation: 'converse-stream' }));
      const error = await rejection(collect(stream));
      expect(error.code).toBe('upstream_timeout');
    } finally {
      await upstream.close();
    }
  });

  it('hands over the events of one upstream read together, and each event once', async () => {
    const upstream = fastRetries();
    try {
      handlers = [
        (_req, res) => {
          res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': 's' });
          // The first frame alone (the stream is held for it), then the rest in one write.
          res.write(conversation[0]);
          setTimeout(() => res.end(Buffer.concat(conversation.slice(1))), 20);
        },
      ];
      const stream = await upstream.stream(call({ operation: 'converse-stream' }));
      const batches: string[][] = [];
      // Whether the body had ended when each batch was handed over (the last came with the end, in one write).
      const exhausted: boolean[] = [];
      for await (const events of stream.batches()) {
        batches.push(events.map((e) => e.type));
        exhausted.push(stream.exhausted);
      }
      expect(batches).toEqual([
        ['messageStart'],
        ['contentBlockDelta', 'contentBlockDelta', 'contentBlockStop', 'messageStop', 'metadata'],
      ]);
      expect(exhausted).toEqual([false, true]);
      expect(() => stream.batches()).toThrow(TypeError);
    } finally {
      await upstream.close();
    }
  });

  it('stops reading from Bedrock while the consumer is busy, and reads on when it comes back', async () => {
    const upstream = fastRetries();
    const delta = frame('event', 'contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'x'.repeat(2000) } });
    const total = 3000;
    let written = 0;
    try {
      handlers = [
        (_req, res) => {
          res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': 's' });
          res.write(conversation[0]);
          const pump = (): void => {
            while (written < total) {
              written++;
              if (!res.write(delta)) {
                res.once('drain', pump);
                return;
              }
            }
            res.end(Buffer.concat(conversation.slice(3)));
          };
          pump();
        },
      ];
      const stream = await upstream.stream(call({ operation: 'converse-stream' }));
      const sizes: number[] = [];
      for await (const batch of stream.batches()) {
        sizes.push(batch.length);
        // A slow caller: while it is away, what Bedrock sends waits in the socket, not in the gateway's memory.
        if (sizes.length === 2) await new Promise((r) => setTimeout(r, 300));
      }
      // What queued up during the wait is what one socket read held (64 KiB: some 30 events), not the
      // hundreds of events the sender could have pushed meanwhile.
      expect(sizes[2]).toBeLessThan(100);
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(1 + total + 3);
    } finally {
      await upstream.close();
    }
  });

  it('maps an error response whose body is too large to keep from its status and headers', async () => {
    const upstream = fastRetries({ maxAttempts: 1 });
    try {
      handlers = [
        (_req, res) => {
          res.writeHead(400, { 'content-type': 'application/json', 'x-amzn-errortype': 'ValidationException:x' });
          res.end(`{"message":"${'y'.repeat(2 * 1024 * 1024)}"}`);
        },
      ];
      const error = await rejection(upstream.stream(call({ operation: 'converse-stream' })));
      expect(error.status).toBe(400);
      expect(error.message.length).toBeLessThan(10_000);
    } finally {
      await upstream.close();
    }
  });

  it('reports an error response before the stream as a GatewayError', async () => {
    const upstream = fastRetries();
    try {
      handlers = [bedrockError(400, 'ValidationException', 'Input is too long for requested model.')];
      const error = await rejection(upstream.stream(call({ operation: 'converse-stream' })));
      expect(error.code).toBe('context_length_exceeded');
    } finally {
      await upstream.close();
    }
  });
});

describe('per-attempt observer', () => {
  it('sees every attempt with its outcome and can add unsigned headers', async () => {
    const log: string[] = [];
    const upstream = fastRetries({
      onAttempt: (start) => {
        log.push(`start ${start.account} ${start.operation} #${start.attempt}`);
        return {
          headers: { traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01` },
          end: (end) =>
            log.push(`end #${start.attempt} ${end.status} ${end.error?.code ?? 'ok'} retry=${end.willRetry}`),
        };
      },
    });
    try {
      handlers = [bedrockError(429, 'ThrottlingException', 'slow down'), ok];
      await upstream.send(call());
      expect(log).toEqual([
        'start acct converse #1',
        'end #1 429 rate_limit_exceeded retry=true',
        'start acct converse #2',
        'end #2 200 ok retry=false',
      ]);
      expect(seen[1]?.headers.traceparent).toMatch(/^00-a{32}-b{16}-01$/);
      expect(seen[1]?.headers.authorization).not.toContain('traceparent');

      log.length = 0;
      handlers = [
        (_req, res) => {
          res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': 's' });
          res.end(frame('event', 'messageStart', { role: 'assistant' }));
        },
      ];
      const stream = await upstream.stream(call({ operation: 'converse-stream' }));
      expect(log).toEqual(['start acct converse-stream #1']);
      await collect(stream);
      expect(log).toEqual(['start acct converse-stream #1', 'end #1 200 ok retry=false']);
    } finally {
      await upstream.close();
    }
  });
});

describe('per-call attempt observer', () => {
  it("runs beside the client observer: both see every attempt, the call's headers win", async () => {
    const log: string[] = [];
    const upstream = fastRetries({
      onAttempt: (start) => {
        log.push(`client #${start.attempt}`);
        return {
          headers: { traceparent: 'client', 'x-client': '1' },
          end: () => log.push(`client end #${start.attempt}`),
        };
      },
    });
    try {
      handlers = [bedrockError(503, 'ServiceUnavailableException', 'busy'), ok];
      await upstream.send({
        ...call(),
        onAttempt: (start) => {
          log.push(`call #${start.attempt} ${new URL(start.origin).hostname}`);
          return {
            headers: { traceparent: `call-${start.attempt}` },
            end: (end) => log.push(`call end #${start.attempt} ${end.status}`),
          };
        },
      });
      expect(log).toEqual([
        'client #1',
        'call #1 127.0.0.1',
        'client end #1',
        'call end #1 503',
        'client #2',
        'call #2 127.0.0.1',
        'client end #2',
        'call end #2 200',
      ]);
      expect(seen.map((r) => r.headers.traceparent)).toEqual(['call-1', 'call-2']);
      expect(seen[1]?.headers['x-client']).toBe('1');
    } finally {
      await upstream.close();
    }
  });
});

describe('BedrockUpstream.authFor', () => {
  it('keeps one auth per account across config reloads and replaces it when credentials change', async () => {
    const upstream = fastRetries();
    try {
      const first = upstream.authFor(account(), { ...keys });
      // A reload builds new objects with the same content.
      expect(upstream.authFor(account(), { ...keys })).toBe(first);
      expect(upstream.authFor(account(), { ...keys, secretAccessKey: 'rotated' })).not.toBe(first);
      expect(upstream.authFor(account({ auth: { type: 'apiKey' } }), { apiKey: 'x' }).kind).toBe('apiKey');
    } finally {
      await upstream.close();
    }
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
