/**
 * A second floor, for attribution: the least a Bedrock gateway built on fastify must do. It takes the same
 * Converse / ConverseStream request as the bare floor (bench/passthrough-proxy.ts), but on a fastify route with
 * the body read as a string, signs it again with its own credentials (the gateway's SigV4 signer: a caller never
 * holds the AWS keys), forwards it on an undici pool and pipes the response bytes back unchanged. No caller
 * auth, no translation, no metrics. What aigw spends beyond this is its own logic; what this spends beyond the
 * bare floor is fastify and signing.
 *
 * `--ballast frames|request|both`: also do some of the gateway's own work and throw the result away, still piping
 * Bedrock's bytes back unchanged. `frames`: run each streamed answer through the event-stream decoder, the chat
 * stream translator and the SSE batch, as the chat route does. `request`: before signing, authenticate an API key
 * against a config snapshot, parse an OpenAI chat request and translate it to Converse, as the chat route does.
 * `garbage`: allocate about 40 KiB of small objects per request (about what aigw's own code allocates per
 * stream, bench/heap-summary.ts) and drop them at once; `garbage-held`: the same, kept until the response ends,
 * as a stream's state is kept. It measures how much more work per request slows the code this process shares with
 * aigw (fastify, undici, the signer), without changing what the client gets.
 */

import { once } from 'node:events';
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import { Pool } from 'undici';
import type { CompiledModel } from '../gateway/src/config/index.js';
import { getCapabilities } from '../gateway/src/models/index.js';
import { authenticateCaller } from '../gateway/src/server/auth.js';
import { SseBatch } from '../gateway/src/server/sse.js';
import {
  ChatStreamTranslator,
  parseChatCompletionRequest,
  toConverseRequest,
} from '../gateway/src/translate/chat/index.js';
import { SigV4Signer } from '../gateway/src/upstream/auth/sigv4.js';
import { EventStreamDecoder, type UpstreamEvent } from '../gateway/src/upstream/index.js';
import { apiKeySnapshot, translateRead } from './lib/gateway-work.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    target: { type: 'string' },
    region: { type: 'string', default: 'us-east-1' },
    'access-key-id': { type: 'string' },
    'secret-access-key': { type: 'string' },
    ballast: { type: 'string' },
  },
});
if (
  values.ballast !== undefined &&
  !['frames', 'request', 'both', 'garbage', 'garbage-held'].includes(values.ballast)
) {
  throw new Error('--ballast: frames, request, both, garbage or garbage-held');
}
const garbageBallast = values.ballast?.startsWith('garbage') === true;
const holdGarbage = values.ballast === 'garbage-held';
const frameBallast = values.ballast === 'frames' || values.ballast === 'both';
const requestBallast = values.ballast === 'request' || values.ballast === 'both' ? requestWork() : undefined;
if (!values.target || !values['access-key-id'] || !values['secret-access-key']) {
  throw new Error('usage: fastify-floor --target URL --access-key-id ID --secret-access-key KEY [--port N]');
}
const target = new URL(values.target);
const region = values.region;
const credentials = { accessKeyId: values['access-key-id'], secretAccessKey: values['secret-access-key'] };
const signer = new SigV4Signer(async () => credentials);
const pool = new Pool(target.origin, { connections: 4096, pipelining: 1, keepAliveTimeout: 30_000 });

const app = Fastify({ logger: false, bodyLimit: 10 * 1024 * 1024 });
app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => done(null, body));
app.get('/_stub/health', async () => 'ok');
const forward = async (
  request: { url: string; body: unknown },
  reply: { hijack(): void; raw: import('node:http').ServerResponse },
) => {
  const body = String(request.body);
  requestBallast?.();
  const garbage = garbageBallast ? allocateGarbage() : undefined;
  const headers: Record<string, string> = { host: target.host, 'content-type': 'application/json' };
  await signer.sign({
    method: 'POST',
    protocol: target.protocol as 'http:',
    hostname: target.hostname,
    port: Number(target.port) || undefined,
    path: request.url,
    headers,
    body,
    region,
  });
  const upstream = await pool.request({ method: 'POST', path: request.url, headers, body });
  reply.hijack();
  const res = reply.raw;
  const contentType = upstream.headers['content-type'];
  res.writeHead(upstream.statusCode, typeof contentType === 'string' ? { 'content-type': contentType } : {});
  const translate = frameBallast && request.url.endsWith('/converse-stream') ? translation() : undefined;
  for await (const chunk of upstream.body) {
    translate?.(chunk);
    if (!res.write(chunk)) await once(res, 'drain');
  }
  res.end();
  if (garbage) kept.delete(garbage);
};

/** Held until their response ends, so they live as long as a stream's state does in aigw. */
const kept = new Set<unknown[]>();

/** About 40 KiB of JavaScript heap in 224 small objects, each with an array and a string (`--ballast garbage`). */
function allocateGarbage(): unknown[] | undefined {
  const objects: unknown[] = [];
  for (let i = 0; i < 224; i++)
    objects.push({ index: i, items: [i, i + 1, i + 2, i + 3], name: `item-${i}`, next: null });
  // Added to the set even when dropped at once, so the allocation cannot be optimised away.
  kept.add(objects);
  if (!holdGarbage) {
    kept.delete(objects);
    return undefined;
  }
  return objects;
}

/** The chat route's per-request work before the upstream call, output discarded (`--ballast request`). */
function requestWork(): () => void {
  const { snapshot, authorization } = apiKeySnapshot();
  const model = {
    servedName: 'bench/us-anthropic-claude-sonnet-4-5-20250929-v1-0',
    account: 'bench',
    name: 'us-anthropic-claude-sonnet-4-5-20250929-v1-0',
    modelId: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0',
    region: 'us-east-1',
    type: 'chat',
    family: 'anthropic',
  } as CompiledModel;
  const capabilities = getCapabilities(model);
  const openai = JSON.stringify({
    model: model.servedName,
    messages: [{ role: 'user', content: 'Say hello in one word.' }],
    max_tokens: 64,
    stream: true,
  });
  return () => {
    authenticateCaller(authorization, snapshot);
    const plan = toConverseRequest(parseChatCompletionRequest(JSON.parse(openai)), {
      model,
      capabilities,
      resolvedMedia: new Map(),
    });
    JSON.stringify(plan.body);
  };
}

/** The chat route's per-read work on a stream, output discarded (`--ballast frames`). */
function translation(): (chunk: Buffer) => void {
  const decoder = new EventStreamDecoder(1 << 24);
  const translator = new ChatStreamTranslator({
    id: 'chatcmpl-ballast0123456789abcdef',
    created: Math.floor(Date.now() / 1000),
    model: 'bench/ballast',
    plan: { includeUsage: true },
  });
  const pending = new SseBatch(translator.textSplice());
  const events: UpstreamEvent[] = [];
  return (chunk) => {
    events.length = 0;
    decoder.pushInto(chunk, events);
    translateRead(events, translator, pending);
    pending.take();
  };
}
app.post('/model/:model/converse', forward);
app.post('/model/:model/converse-stream', forward);
await app.listen({ port: Number(values.port), host: '127.0.0.1' });
const address = app.server.address();
process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : 0}\n`);
// Exit normally on SIGTERM, so a run under `node --cpu-prof` writes its profile.
process.on('SIGTERM', () => process.exit(0));
