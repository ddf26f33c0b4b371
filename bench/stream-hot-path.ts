/**
 * `node dist/bench/stream-hot-path.js`: the gateway's own CPU per streamed chunk, in one process and without
 * sockets: decode one upstream read holding a whole 50-delta ConverseStream (as Bedrock's frames, `p` padding
 * included), splice the text deltas into their SSE chunks and translate the other events, into the one buffer
 * the socket write is given, as the chat route does for each read. What a socket read and write add is the
 * same for any proxy; this is the part the gateway adds on top (docs/benchmarks.md, Streaming hot path).
 *
 * Options: --deltas N (50), --streams N per round (3000), --rounds N (7).
 */
import { parseArgs } from 'node:util';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { SseBatch } from '../gateway/src/server/sse.js';
import { ChatStreamTranslator } from '../gateway/src/translate/chat/index.js';
import { EventStreamDecoder, type UpstreamEvent } from '../gateway/src/upstream/index.js';
import { translateRead } from './lib/gateway-work.js';

const { values: args } = parseArgs({
  options: {
    deltas: { type: 'string', default: '50' },
    streams: { type: 'string', default: '3000' },
    rounds: { type: 'string', default: '7' },
  },
});
const DELTAS = Number(args.deltas);
const STREAMS = Number(args.streams);
const ROUNDS = Number(args.rounds);

// Frames encoded with the AWS SDK's own codec, as the emulator (and Bedrock) send them.
const codec = new EventStreamCodec(toUtf8, fromUtf8);
const PAD = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
let padLength = 0;
function frame(type: string, payload: Record<string, unknown>): Uint8Array {
  padLength = (padLength % 40) + 1;
  return codec.encode({
    headers: {
      ':event-type': { type: 'string', value: type },
      ':content-type': { type: 'string', value: 'application/json' },
      ':message-type': { type: 'string', value: 'event' },
    },
    body: fromUtf8(JSON.stringify({ ...payload, p: PAD.slice(0, padLength) })),
  });
}
const frames = [frame('messageStart', { role: 'assistant' })];
for (let i = 0; i < DELTAS; i++) {
  frames.push(frame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: `word${2 * i} word${2 * i + 1} ` } }));
}
frames.push(
  frame('contentBlockStop', { contentBlockIndex: 0 }),
  frame('messageStop', { stopReason: 'end_turn' }),
  frame('metadata', { usage: { inputTokens: 12, outputTokens: DELTAS * 2, totalTokens: 12 + DELTAS * 2 } }),
);
const read = Buffer.concat(frames);
const options = {
  id: 'chatcmpl-abcdefghijklmnopqrstuvwx',
  created: 1_764_720_000,
  model: 'bench/anthropic-claude-3-haiku-20240307-v1-0',
  plan: { includeUsage: true },
};

let bytes = 0;
/** One stream through the chat route's path: text deltas spliced as bytes while the translator allows it. */
function oneStream(): number {
  const decoder = new EventStreamDecoder(1 << 24);
  const translator = new ChatStreamTranslator(options);
  const pending = new SseBatch(translator.textSplice());
  const events: UpstreamEvent[] = [];
  decoder.pushInto(read, events);
  const chunks = translateRead(events, translator, pending);
  decoder.end();
  pending.events(translator.end());
  // What the socket write is given: bytes (or, without a spliced delta, text it encodes first).
  const out = pending.take();
  bytes += typeof out === 'string' ? Buffer.byteLength(out) : out.length;
  return chunks;
}

const perChunk: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const started = process.hrtime.bigint();
  let chunks = 0;
  for (let i = 0; i < STREAMS; i++) chunks += oneStream();
  const ns = Number(process.hrtime.bigint() - started);
  // The first rounds warm the JIT up.
  if (round >= 2) perChunk.push(ns / chunks / 1000);
}
perChunk.sort((a, b) => a - b);
const median = perChunk[Math.floor(perChunk.length / 2)] ?? Number.NaN;
process.stdout.write(
  `${DELTAS} deltas a stream, ${frames.length} frames, ${read.length} bytes in one read: ` +
    `${median.toFixed(2)} µs per chunk (median of ${perChunk.length} rounds of ${STREAMS} streams; ` +
    `min ${perChunk[0]?.toFixed(2)}, max ${perChunk.at(-1)?.toFixed(2)}); ${(bytes / 1e6).toFixed(0)} MB of SSE written\n`,
);
