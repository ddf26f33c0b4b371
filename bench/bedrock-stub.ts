/**
 * The benchmark's Bedrock stub: replays Converse and ConverseStream answers recorded once from `aigw emulator`,
 * byte for byte, without verifying signatures or generating anything per request. The emulator encodes every
 * event (CRCs, JSON, random padding) per request, and at thousands of streams per second with 50 deltas each it
 * would need more CPU than the load generator's core has; a replay costs one write, so what the bench measures is
 * the target in front of it, and every target faces exactly the same upstream.
 *
 * Usage: bedrock-stub --port N --recordings FILE (JSON written by run.ts: headers and base64 bodies).
 * Control: PUT /_stub/config {"stream": "long" | "short", "mode": "burst" | "first-then-rest" | "paced", "gapMs": N}
 *   burst            the whole event stream in one write (throughput runs)
 *   first-then-rest  every frame up to and including the first contentBlockDelta at once, the rest in one write
 *                    gapMs later (time to first content chunk: the first delta cannot share a read with the rest)
 *   paced            one write per content delta, gapMs apart (long-lived streams)
 */
import { readFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import { parseArgs } from 'node:util';

export interface Recording {
  headers: Record<string, string>;
  /** base64 of the response body. */
  body: string;
}

export interface Recordings {
  chat: Recording;
  long: Recording;
  short: Recording;
}

export type StubMode = 'burst' | 'first-then-rest' | 'paced';

export interface StubConfig {
  stream: 'long' | 'short';
  mode: StubMode;
  gapMs: number;
}

/** An event stream split into writes: frames are grouped so that each content delta starts a new group. */
interface PreparedStream {
  headers: Record<string, string>;
  whole: Buffer;
  /** Everything through the first contentBlockDelta frame, then the remainder. */
  firstAndRest: [Buffer, Buffer];
  /** One group per content delta (non-delta frames ride with the delta before them; leading ones with the first). */
  perDelta: Buffer[];
}

const CONTENT_BLOCK_DELTA = Buffer.from('contentBlockDelta');

/** Splits an AWS event stream into frames by each prelude's total length (first 4 bytes, big-endian). */
export function splitFrames(body: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  let at = 0;
  while (at + 4 <= body.length) {
    const length = body.readUInt32BE(at);
    if (length < 16 || at + length > body.length) throw new Error(`bad event-stream frame at byte ${at}`);
    frames.push(body.subarray(at, at + length));
    at += length;
  }
  return frames;
}

function prepare(recording: Recording): PreparedStream {
  const whole = Buffer.from(recording.body, 'base64');
  const frames = splitFrames(whole);
  const groups: Buffer[][] = [];
  let seenDelta = false;
  for (const frame of frames) {
    const isDelta = frame.includes(CONTENT_BLOCK_DELTA);
    if (isDelta && seenDelta) groups.push([frame]);
    else if (groups.length === 0) groups.push([frame]);
    else groups[groups.length - 1]!.push(frame);
    if (isDelta) seenDelta = true;
  }
  const perDelta = groups.map((g) => Buffer.concat(g));
  const first = perDelta[0] ?? Buffer.alloc(0);
  return { headers: recording.headers, whole, firstAndRest: [first, whole.subarray(first.length)], perDelta };
}

function main(): void {
  const { values } = parseArgs({
    options: { port: { type: 'string', default: '0' }, recordings: { type: 'string' } },
  });
  if (!values.recordings) throw new Error('usage: bedrock-stub --recordings FILE [--port N]');
  const recordings = JSON.parse(readFileSync(values.recordings, 'utf8')) as Recordings;
  const chatBody = Buffer.from(recordings.chat.body, 'base64');
  const chatHeaders = { ...recordings.chat.headers, 'content-length': String(chatBody.length) };
  const streams = { long: prepare(recordings.long), short: prepare(recordings.short) };
  let config: StubConfig = { stream: 'long', mode: 'burst', gapMs: 0 };

  const later = (res: ServerResponse, ms: number, fn: () => void) =>
    setTimeout(() => {
      if (!res.destroyed) fn();
    }, ms);

  const answerStream = (res: ServerResponse): void => {
    const s = streams[config.stream];
    res.writeHead(200, s.headers);
    if (config.mode === 'burst') {
      res.end(s.whole);
    } else if (config.mode === 'first-then-rest') {
      res.write(s.firstAndRest[0]);
      later(res, config.gapMs, () => res.end(s.firstAndRest[1]));
    } else {
      const gap = config.gapMs;
      let i = 0;
      const next = (): void => {
        const group = s.perDelta[i++]!;
        if (i === s.perDelta.length) return void res.end(group);
        res.write(group);
        later(res, gap, next);
      };
      next();
    }
  };

  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    if (url === '/_stub/health') return void res.end('ok');
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (url === '/_stub/config' && req.method === 'PUT') {
        config = { ...config, ...(JSON.parse(Buffer.concat(chunks).toString()) as Partial<StubConfig>) };
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify(config));
      }
      if (url.endsWith('/converse-stream')) return answerStream(res);
      if (url.endsWith('/converse')) {
        res.writeHead(200, chatHeaders);
        return void res.end(chatBody);
      }
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"message":"the bench stub answers Converse and ConverseStream only"}');
    });
  });
  // Each event must leave when written, as from Bedrock, not wait for the previous segment's ACK.
  server.on('connection', (socket) => socket.setNoDelay(true));
  server.keepAliveTimeout = 60_000;
  server.listen(Number(values.port), '127.0.0.1', () => {
    const address = server.address();
    process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : 0}\n`);
  });
}

if (process.argv[1]?.endsWith('bedrock-stub.js')) main();
