import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../errors/index.js';
import { decodeInvokeStreamChunk, EventStreamDecoder } from './event-stream.js';

const MAX = 24 * 1024 * 1024;
const codec = new EventStreamCodec(toUtf8, fromUtf8);

function frame(headers: Record<string, string>, payload: string): Uint8Array {
  const typed: Record<string, { type: 'string'; value: string }> = {};
  for (const [k, v] of Object.entries(headers)) typed[k] = { type: 'string', value: v };
  return codec.encode({ headers: typed, body: Buffer.from(payload) });
}

const event = (type: string, payload: unknown) =>
  frame(
    { ':message-type': 'event', ':event-type': type, ':content-type': 'application/json' },
    JSON.stringify(payload),
  );

describe('event-stream decoding', () => {
  it('decodes the bedrock-wire §5 messageStop vector', () => {
    const bytes = Buffer.from(
      '0000007a00000051ca2c46650b3a6576656e742d7479706507000b6d65737361676553746f700d3a636f6e74656e742d747970650700106170706c69636174696f6e2f6a736f6e0d3a6d6573736167652d747970650700056576656e747b2273746f70526561736f6e223a22656e645f7475726e227d5fbf09fc',
      'hex',
    );
    expect(new EventStreamDecoder(MAX).push(bytes)).toEqual([
      { type: 'messageStop', payload: { stopReason: 'end_turn' } },
    ]);
  });

  it('reassembles frames split at every byte and drops the `p` padding', () => {
    const stream = Buffer.concat([
      event('messageStart', { role: 'assistant', p: 'abcdefghijklmnop' }),
      event('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Hi' }, p: 'abc' }),
      event('contentBlockStop', { contentBlockIndex: 0 }),
    ]);
    const decoder = new EventStreamDecoder(MAX);
    const events = [];
    for (let i = 0; i < stream.length; i++) events.push(...decoder.push(stream.subarray(i, i + 1)));
    decoder.end();
    expect(events).toEqual([
      { type: 'messageStart', payload: { role: 'assistant' } },
      { type: 'contentBlockDelta', payload: { contentBlockIndex: 0, delta: { text: 'Hi' } } },
      { type: 'contentBlockStop', payload: { contentBlockIndex: 0 } },
    ]);
  });

  it('decodes several frames from one read', () => {
    const decoder = new EventStreamDecoder(MAX);
    const two = Buffer.concat([
      event('messageStart', { role: 'assistant' }),
      event('messageStop', { stopReason: 'end_turn' }),
    ]);
    expect(decoder.push(two).map((e) => e.type)).toEqual(['messageStart', 'messageStop']);
  });

  it('turns an exception frame into the mapped GatewayError', () => {
    const decoder = new EventStreamDecoder(MAX);
    const exception = frame(
      { ':message-type': 'exception', ':exception-type': 'throttlingException', ':content-type': 'application/json' },
      '{"message":"Too many tokens, please wait before trying again."}',
    );
    expect(decoder.push(event('messageStart', { role: 'assistant' }))).toHaveLength(1);
    let thrown: unknown;
    try {
      decoder.push(exception);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(GatewayError);
    expect(thrown).toMatchObject({
      code: 'rate_limit_exceeded',
      message: 'Too many tokens, please wait before trying again.',
    });
  });

  it('hands out the events that share a read with an exception frame before raising it', () => {
    const decoder = new EventStreamDecoder(MAX);
    const read = Buffer.concat([
      event('messageStart', { role: 'assistant' }),
      event('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Hi' } }),
      frame({ ':message-type': 'exception', ':exception-type': 'validationException' }, '{"message":"bad"}'),
    ]);
    expect(decoder.push(read).map((e) => e.type)).toEqual(['messageStart', 'contentBlockDelta']);
    expect(() => decoder.throwIfFailed()).toThrow(expect.objectContaining({ code: 'invalid_request', message: 'bad' }));
    expect(() => decoder.end()).toThrow(expect.objectContaining({ code: 'invalid_request' }));
  });

  it('reports a CRC mismatch as upstream_error', () => {
    const bytes = event('messageStart', { role: 'assistant' });
    bytes[bytes.length - 6] = (bytes[bytes.length - 6]! + 1) % 256;
    expect(() => new EventStreamDecoder(MAX).push(bytes)).toThrow(expect.objectContaining({ code: 'upstream_error' }));
  });

  it('refuses absurd frame lengths instead of allocating them', () => {
    const bytes = Buffer.alloc(16);
    bytes.writeUInt32BE(0xfffffff0, 0);
    expect(() => new EventStreamDecoder(MAX).push(bytes)).toThrow(expect.objectContaining({ code: 'upstream_error' }));
  });

  it('reports a stream cut mid-frame', () => {
    const decoder = new EventStreamDecoder(MAX);
    decoder.push(event('messageStart', { role: 'assistant' }).subarray(0, 20));
    expect(() => decoder.end()).toThrow(expect.objectContaining({ code: 'upstream_error' }));
  });

  it('decodes InvokeModelWithResponseStream chunk bytes', () => {
    const decoder = new EventStreamDecoder(MAX);
    const inner = { type: 'content_block_delta', delta: { text: 'yo' } };
    const [chunk] = decoder.push(
      event('chunk', { bytes: Buffer.from(JSON.stringify(inner)).toString('base64'), p: 'ab' }),
    );
    expect(chunk?.type).toBe('chunk');
    expect(decodeInvokeStreamChunk(chunk?.payload)).toEqual(inner);
  });
});
