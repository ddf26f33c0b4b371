import { EventEmitter } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../errors/index.js';
import { SseWriter, sseEvents } from './sse.js';

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
