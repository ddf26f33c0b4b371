import { EventEmitter } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../errors/index.js';
import { ChatStreamTranslator } from '../translate/chat/index.js';
import { EventStreamDecoder, TextDeltaEvent } from '../upstream/index.js';
import { SseBatch, SseWriter, sseEvents } from './sse.js';

/** A response whose socket buffer is "full" until the test says otherwise. */
class SlowResponse extends EventEmitter {
  written: string[] = [];
  head: { status: number; headers: Record<string, unknown> } | undefined;
  destroyed = false;
  writableEnded = false;
  full = true;
  writeHead(status: number, headers: Record<string, unknown>) {
    this.head = { status, headers };
    return this;
  }
  flushHeaders() {}
  write(chunk: string): boolean {
    this.written.push(chunk);
    return !this.full;
  }
  end(chunk?: string) {
    if (chunk) this.written.push(chunk);
    this.writableEnded = true;
  }
}

function writer(res: SlowResponse): SseWriter {
  return new SseWriter(res as unknown as ServerResponse);
}

describe('SseWriter', () => {
  it('writes SSE headers once', () => {
    const res = new SlowResponse();
    const sse = writer(res);
    sse.start({ 'x-request-id': 'r1' });
    sse.start({ 'x-request-id': 'r2' });
    expect(res.head?.status).toBe(200);
    expect(res.head?.headers).toMatchObject({
      'x-request-id': 'r1',
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
    });
  });

  it('waits for drain when the caller reads slower than the model writes (backpressure)', async () => {
    const res = new SlowResponse();
    const sse = writer(res);
    sse.start({});
    let resolved = false;
    const pending = sse.write(['{"a":1}', '{"b":2}']).then(() => {
      resolved = true;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(res.written).toEqual(['data: {"a":1}\n\ndata: {"b":2}\n\n']);
    expect(resolved).toBe(false);
    res.full = false;
    res.emit('drain');
    await pending;
    expect(resolved).toBe(true);
  });

  it('stops waiting when the caller disconnects instead of hanging', async () => {
    const res = new SlowResponse();
    const sse = writer(res);
    sse.start({});
    const pending = sse.write(['{}']);
    res.destroyed = true;
    res.emit('close');
    await pending;
    expect(sse.closed).toBe(true);
    await sse.write(['{"ignored":true}']);
    expect(res.written).toHaveLength(1);
  });

  it('ends with [DONE] on success and with an error event (no [DONE]) on failure', () => {
    const ok = new SlowResponse();
    writer(ok).end();
    expect(ok.written).toEqual(['data: [DONE]\n\n']);
    const failed = new SlowResponse();
    writer(failed).fail(JSON.stringify(new GatewayError('upstream_error', 'Bedrock failed.').toBody()));
    expect(failed.written).toEqual([
      'data: {"error":{"message":"Bedrock failed.","type":"api_error","param":null,"code":"upstream_error"}}\n\n',
    ]);
  });

  it('sends the headers with the first events, in one write, and flushes a tick early on request', async () => {
    const server = createServer((_req, res) => {
      const sse = new SseWriter(res);
      sse.start({ 'x-request-id': 'r1' });
      const socket = res.socket!;
      const writes: number[] = [];
      const write = socket.write.bind(socket);
      const writev = (socket as unknown as { _writev: (chunks: unknown[], cb: () => void) => void })._writev.bind(
        socket,
      );
      (socket as unknown as { _writev: unknown })._writev = (chunks: unknown[], cb: () => void) => {
        writes.push(chunks.length);
        writev(chunks, cb);
      };
      void write;
      void sse.writeText(sseEvents(['{"role":1}']));
      // Corked until the end of this tick: nothing has left yet.
      expect(socket.writableCorked).toBe(1);
      sse.flush();
      expect(socket.writableCorked).toBe(0);
      // One writev for the head and the framed event together.
      expect(writes).toEqual([expect.any(Number)]);
      sse.end(sseEvents(['{"last":1}']));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const res = await fetch(`http://127.0.0.1:${port}/`);
      expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      expect(res.headers.get('x-request-id')).toBe('r1');
      expect(await res.text()).toBe('data: {"role":1}\n\ndata: {"last":1}\n\ndata: [DONE]\n\n');
    } finally {
      server.close();
    }
  });

  it('sends the headers on their own when a write has no events', async () => {
    const server = createServer((_req, res) => {
      const sse = new SseWriter(res);
      sse.start({});
      const socket = res.socket!;
      void sse.writeText('');
      // Written (corked to the end of the tick) before the stream ends.
      expect(socket.writableLength + socket.bytesWritten).toBeGreaterThan(0);
      setTimeout(() => sse.end(), 20);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('data: [DONE]\n\n');
    } finally {
      server.close();
    }
  });
});

describe('SseBatch', () => {
  const codec = new EventStreamCodec(toUtf8, fromUtf8);
  const frame = (payload: string | Buffer) =>
    Buffer.from(
      codec.encode({
        headers: {
          ':message-type': { type: 'string', value: 'event' },
          ':event-type': { type: 'string', value: 'contentBlockDelta' },
          ':content-type': { type: 'string', value: 'application/json' },
        },
        body: typeof payload === 'string' ? Buffer.from(payload) : payload,
      }),
    );
  const translator = () => {
    const t = new ChatStreamTranslator({
      id: 'chatcmpl-0123456789abcdef',
      created: 1764720000,
      model: 'team/modèle-ü',
      plan: { includeUsage: true },
    });
    t.pushEvent('messageStart', { role: 'assistant' });
    return t;
  };

  it('splices a text delta into exactly the bytes the translator would serialise', () => {
    const texts = [
      'Hello',
      ' world, with more than thirty-two bytes of plain text in it',
      'héllo wörld',
      'emoji 🙂 and 中文',
      'del \x7f and separators \u2028\u2029',
      '"quoted"',
      'back\\slash',
      'line\nbreak',
    ];
    for (const text of texts) {
      for (const payload of [
        JSON.stringify({ contentBlockIndex: 0, delta: { text } }),
        `${JSON.stringify({ contentBlockIndex: 3, delta: { text } }).slice(0, -1)},"p":"abcXYZ019"}`,
      ]) {
        const [event] = new EventStreamDecoder(1 << 20).push(frame(payload));
        const expected = sseEvents(translator().pushEvent('contentBlockDelta', event!.payload));
        const t = translator();
        const batch = new SseBatch(t.textSplice());
        batch.events(['{"before":1}']);
        if (event instanceof TextDeltaEvent && t.splicesText) batch.text(event);
        else batch.events(t.pushEvent(event!.type, event!.payload));
        batch.events(['{"after":"ü"}']);
        const out = batch.take();
        expect(Buffer.from(out).toString('utf8'), payload).toBe(
          `data: {"before":1}\n\n${expected}data: {"after":"ü"}\n\n`,
        );
        // A take leaves the batch empty.
        expect(batch.take()).toBe('');
        // Texts that need escaping take the JSON path; plain ones are spliced as bytes.
        expect(event instanceof TextDeltaEvent, payload).toBe(!/["\\\n]/.test(text));
      }
    }
  });

  it('decodes invalid UTF-8 as the JSON path does instead of copying it', () => {
    const bytes = Buffer.concat([
      Buffer.from('{"contentBlockIndex":0,"delta":{"text":"bad '),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('"}}'),
    ]);
    const [event] = new EventStreamDecoder(1 << 20).push(frame(bytes));
    expect(event).not.toBeInstanceOf(TextDeltaEvent);
    expect(event?.payload).toEqual({ contentBlockIndex: 0, delta: { text: 'bad \ufffd(' } });
  });

  it('ends a stream with its last spliced deltas, the closing events and [DONE] in one write', () => {
    const t = translator();
    const batch = new SseBatch(t.textSplice());
    const [delta] = new EventStreamDecoder(1 << 20).push(
      frame(JSON.stringify({ contentBlockIndex: 0, delta: { text: 'héllo wörld 🙂' } })),
    );
    expect(delta).toBeInstanceOf(TextDeltaEvent);
    batch.events(['{"first":1}']);
    batch.text(delta as TextDeltaEvent);
    batch.events(['{"finish":1}', '{"usage":1}']);
    const res = new SlowResponse();
    const sse = writer(res);
    sse.start({});
    sse.end(batch);
    expect(res.writableEnded).toBe(true);
    expect(res.written).toHaveLength(1);
    const chunk = `data: ${t.pushEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'héllo wörld 🙂' } })[0]}\n\n`;
    expect(Buffer.from(res.written[0]!).toString('utf8')).toBe(
      `data: {"first":1}\n\n${chunk}data: {"finish":1}\n\ndata: {"usage":1}\n\ndata: [DONE]\n\n`,
    );
    // A failure after them: the same batch, then the error event and no [DONE], in one write.
    const failing = new SseBatch(t.textSplice());
    failing.text(delta as TextDeltaEvent);
    const failed = new SlowResponse();
    writer(failed).fail('{"error":{"code":"upstream_error"}}', failing);
    expect(failed.written).toHaveLength(1);
    expect(Buffer.from(failed.written[0]!).toString('utf8')).toBe(
      `${chunk}data: {"error":{"code":"upstream_error"}}\n\n`,
    );
    // Without a spliced delta it is one string.
    const plain = new SlowResponse();
    const batch2 = new SseBatch(t.textSplice());
    batch2.events(['{"finish":1}']);
    writer(plain).end(batch2);
    expect(plain.written).toEqual(['data: {"finish":1}\n\ndata: [DONE]\n\n']);
  });

  it('stays a string while no delta was spliced, and writes a buffer through SseWriter', async () => {
    const t = translator();
    const batch = new SseBatch(t.textSplice());
    batch.events(['{"a":1}']);
    expect(batch.take()).toBe('data: {"a":1}\n\n');
    expect(batch.take()).toBe('');

    const [delta] = new EventStreamDecoder(1 << 20).push(
      frame(JSON.stringify({ contentBlockIndex: 0, delta: { text: 'hi' } })),
    );
    const server = createServer((_req, res) => {
      const sse = new SseWriter(res);
      sse.start({});
      batch.text(delta as TextDeltaEvent);
      void sse.writeText(batch.take());
      batch.text(delta as TextDeltaEvent);
      sse.end(batch);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const body = await (await fetch(`http://127.0.0.1:${port}/`)).text();
      const chunk = `data: ${t.pushEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'hi' } })[0]}\n\n`;
      expect(body).toBe(`${chunk}${chunk}data: [DONE]\n\n`);
    } finally {
      server.close();
    }
  });
});
