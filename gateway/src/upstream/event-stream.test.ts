import * as zlib from 'node:zlib';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../errors/index.js';
import { decodeInvokeStreamChunk, EventStreamDecoder, TextDeltaEvent, type UpstreamEvent } from './event-stream.js';

const MAX = 24 * 1024 * 1024;
const codec = new EventStreamCodec(toUtf8, fromUtf8);

function frame(headers: Record<string, string>, payload: string): Uint8Array {
  const typed: Record<string, { type: 'string'; value: string }> = {};
  for (const [k, v] of Object.entries(headers)) typed[k] = { type: 'string', value: v };
  return codec.encode({ headers: typed, body: Buffer.from(payload) });
}

/** Events as plain objects: a text delta's payload is a getter on its class (`TextDeltaEvent`). */
const plain = (events: readonly UpstreamEvent[]) => events.map(({ type, payload }) => ({ type, payload }));

const event = (type: string, payload: unknown) =>
  frame(
    { ':message-type': 'event', ':event-type': type, ':content-type': 'application/json' },
    JSON.stringify(payload),
  );

/**
 * One event of `type` with `payload` through the decoder, and what JSON.parse makes of the payload without its `p`
 * padding: each is `'invalid'` when it throws.
 */
function decodedAndParsed(type: string, payload: string): { actual: unknown; expected: unknown } {
  let expected: unknown;
  try {
    expected = JSON.parse(payload);
    delete (expected as { p?: unknown }).p;
  } catch {
    expected = 'invalid';
  }
  let actual: unknown;
  try {
    actual = new EventStreamDecoder(MAX).push(frame({ ':message-type': 'event', ':event-type': type }, payload))[0]
      ?.payload;
  } catch {
    actual = 'invalid';
  }
  return { actual, expected };
}

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
    expect(plain(events)).toEqual([
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

  it('decodes every frame of a stream split at every pair of byte boundaries, exceptions included', () => {
    const frames = [
      event('messageStart', { role: 'assistant', p: 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123' }),
      event('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'héllo "wörld"\n' }, p: 'x' }),
      event('contentBlockStop', { contentBlockIndex: 0 }),
      frame({ ':message-type': 'exception', ':exception-type': 'throttlingException' }, '{"message":"slow down"}'),
    ];
    const stream = Buffer.concat(frames);
    const expected = [
      { type: 'messageStart', payload: { role: 'assistant' } },
      { type: 'contentBlockDelta', payload: { contentBlockIndex: 0, delta: { text: 'héllo "wörld"\n' } } },
      { type: 'contentBlockStop', payload: { contentBlockIndex: 0 } },
    ];
    for (let a = 0; a < stream.length; a += 4) {
      for (let b = a; b < stream.length; b += 7) {
        const decoder = new EventStreamDecoder(MAX);
        const events = [];
        let thrown: unknown;
        try {
          for (const part of [stream.subarray(0, a), stream.subarray(a, b), stream.subarray(b)]) {
            events.push(...decoder.push(part));
          }
          decoder.end();
        } catch (error) {
          thrown = error;
        }
        expect(events).toEqual(expected);
        expect(thrown).toMatchObject({ code: 'rate_limit_exceeded', message: 'slow down' });
      }
    }
  });

  it('reads each frame by its own headers when consecutive frames repeat or change them', () => {
    const delta = (text: string) => event('contentBlockDelta', { contentBlockIndex: 0, delta: { text } });
    const decoder = new EventStreamDecoder(MAX);
    const events = decoder.push(
      Buffer.concat([
        delta('a'),
        delta('b'),
        event('contentBlockStop', { contentBlockIndex: 0 }),
        delta('c'),
        frame(
          { ':message-type': 'event', ':event-type': 'contentBlockDelta' },
          '{"contentBlockIndex":0,"delta":{"text":"d"}}',
        ),
        event('messageStop', { stopReason: 'end_turn' }),
      ]),
    );
    expect(plain(events)).toEqual([
      { type: 'contentBlockDelta', payload: { contentBlockIndex: 0, delta: { text: 'a' } } },
      { type: 'contentBlockDelta', payload: { contentBlockIndex: 0, delta: { text: 'b' } } },
      { type: 'contentBlockStop', payload: { contentBlockIndex: 0 } },
      { type: 'contentBlockDelta', payload: { contentBlockIndex: 0, delta: { text: 'c' } } },
      { type: 'contentBlockDelta', payload: { contentBlockIndex: 0, delta: { text: 'd' } } },
      { type: 'messageStop', payload: { stopReason: 'end_turn' } },
    ]);
    const exception = frame(
      { ':message-type': 'exception', ':exception-type': 'throttlingException' },
      '{"message":"x"}',
    );
    expect(() => decoder.push(Buffer.concat([delta('e'), exception]))).not.toThrow();
    expect(() => decoder.push(delta('f'))).toThrow(expect.objectContaining({ code: 'rate_limit_exceeded' }));
  });

  it('tells apart header blocks of the same length that differ in any one byte (word or tail)', () => {
    const type = 'contentBlockDelta';
    const payload = { contentBlockIndex: 0, delta: { text: 'x' } };
    // One character of the event type changed at each position: the differing byte falls in every place of
    // the block's 4-byte words and in its tail, after a frame with the unchanged block.
    for (let k = 0; k < type.length; k++) {
      const other = `${type.slice(0, k)}${type[k] === 'Z' ? 'Y' : 'Z'}${type.slice(k + 1)}`;
      for (const shift of ['', 'ab', 'abc', 'abcd']) {
        // Another header before the event type moves it against the word boundaries.
        const headers = (t: string) => ({ ':message-type': 'event', ':x-shift': shift, ':event-type': t });
        const events = new EventStreamDecoder(MAX).push(
          Buffer.concat([
            frame(headers(type), JSON.stringify(payload)),
            frame(headers(other), JSON.stringify(payload)),
            frame(headers(type), JSON.stringify(payload)),
          ]),
        );
        expect(events.map((e) => e.type)).toEqual([type, other, type]);
      }
    }
  });

  it('does not let a later read change an event already handed out (the read buffer may be reused)', () => {
    const bytes = Buffer.from(event('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'keep me' } }));
    const decoder = new EventStreamDecoder(MAX);
    const first = decoder.push(bytes.subarray(0, 30));
    const events = decoder.push(bytes.subarray(30));
    bytes.fill(0);
    expect(first).toEqual([]);
    expect(plain(events)).toEqual([
      { type: 'contentBlockDelta', payload: { contentBlockIndex: 0, delta: { text: 'keep me' } } },
    ]);
    // Split across reads, the frame was copied: the text delta is read from that copy, not from `bytes`.
    expect(events[0]).toBeInstanceOf(TextDeltaEvent);
  });

  it('reports a checksum mismatch in the prelude, in the headers and in the payload', () => {
    const clean = event('messageStart', { role: 'assistant' });
    for (const at of [6, 9, 20, clean.length - 8, clean.length - 1]) {
      const bytes = Buffer.from(clean);
      bytes[at] = (bytes[at]! + 1) % 256;
      expect(() => new EventStreamDecoder(MAX).push(bytes)).toThrow(
        expect.objectContaining({ code: 'upstream_error' }),
      );
    }
  });

  it('checks frames of every length around the switch from the JS CRC to zlib (256 checked bytes)', () => {
    const bare = event('contentBlockDelta', { contentBlockIndex: 0, delta: { text: '' } }).length;
    // Frames from 40 bytes below to 40 above the switch, so both CRC paths and every tail length (0-7) are used.
    for (let size = 256 - 40; size <= 256 + 40; size++) {
      // The message CRC covers the frame from its prelude CRC to before the message CRC: length - 12 bytes.
      const text = 'x'.repeat(size + 12 - bare);
      const clean = event('contentBlockDelta', { contentBlockIndex: 0, delta: { text } });
      expect(clean.length - 12).toBe(size);
      expect(plain(new EventStreamDecoder(MAX).push(clean))).toEqual([
        { type: 'contentBlockDelta', payload: { contentBlockIndex: 0, delta: { text } } },
      ]);
      for (const at of [12, clean.length - 5, clean.length - 6 - (size % 8)]) {
        const bytes = Buffer.from(clean);
        bytes[at] = bytes[at]! ^ 0x20;
        expect(() => new EventStreamDecoder(MAX).push(bytes)).toThrow(
          expect.objectContaining({ code: 'upstream_error', message: expect.stringContaining('checksum') }),
        );
      }
    }
  });

  it('refuses a frame whose header length overruns the frame', () => {
    const bytes = Buffer.alloc(16);
    bytes.writeUInt32BE(16, 0);
    bytes.writeUInt32BE(100, 4);
    bytes.writeUInt32BE(zlib.crc32(bytes.subarray(0, 8)), 8);
    bytes.writeUInt32BE(zlib.crc32(bytes.subarray(0, 12)), 12);
    expect(() => new EventStreamDecoder(MAX).push(bytes)).toThrow(
      expect.objectContaining({ code: 'upstream_error', message: expect.stringContaining('header length') }),
    );
  });

  it('refuses a huge frame from its length prefix alone, even when the prefix is split across reads', () => {
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32BE(MAX + 1, 0);
    const decoder = new EventStreamDecoder(MAX);
    expect(decoder.push(prefix.subarray(0, 2))).toEqual([]);
    expect(() => decoder.push(prefix.subarray(2))).toThrow(
      expect.objectContaining({ code: 'upstream_error', message: expect.stringContaining(`length ${MAX + 1}`) }),
    );
    expect(() => new EventStreamDecoder(1024).push(event('x', { text: 'y'.repeat(2000) }))).toThrow(
      expect.objectContaining({ code: 'upstream_error' }),
    );
  });

  it('skips headers of other types and still reads the event type', () => {
    const bytes = codec.encode({
      headers: {
        ':message-type': { type: 'string', value: 'event' },
        flag: { type: 'boolean', value: true },
        small: { type: 'byte', value: 7 },
        count: { type: 'integer', value: 42 },
        when: { type: 'timestamp', value: new Date(0) },
        raw: { type: 'binary', value: new Uint8Array([1, 2, 3]) },
        id: { type: 'uuid', value: '00112233-4455-6677-8899-aabbccddeeff' },
        ':event-type': { type: 'string', value: 'messageStop' },
      },
      body: Buffer.from('{"stopReason":"end_turn"}'),
    });
    expect(new EventStreamDecoder(MAX).push(bytes)).toEqual([
      { type: 'messageStop', payload: { stopReason: 'end_turn' } },
    ]);
  });

  it('removes the `p` padding wherever it sits and keeps every other member', () => {
    const decoder = new EventStreamDecoder(MAX);
    const raw = (payload: string) => frame({ ':message-type': 'event', ':event-type': 'contentBlockDelta' }, payload);
    const payloads = decoder
      .push(
        Buffer.concat([
          raw('{"p":"abc"}'),
          raw('{"contentBlockIndex":0,"p":""}'),
          raw('{"p":"first","contentBlockIndex":1}'),
          raw('{"contentBlockIndex":2,"delta":{"text":"a,\\"p\\":\\"b"},"p":"Zz9"}'),
          raw('{"contentBlockIndex":3,"delta":{"text":"x","p":"inner"}}'),
          raw('{"contentBlockIndex":4,"p":"not-alphanumeric"}'),
          raw(''),
        ]),
      )
      .map((e) => e.payload);
    expect(payloads).toEqual([
      {},
      { contentBlockIndex: 0 },
      { contentBlockIndex: 1 },
      { contentBlockIndex: 2, delta: { text: 'a,"p":"b' } },
      { contentBlockIndex: 3, delta: { text: 'x', p: 'inner' } },
      { contentBlockIndex: 4 },
      {},
    ]);
  });

  it('reads text deltas exactly as JSON.parse does, escapes, odd shapes and padding included', () => {
    const texts = ['plain', '', 'ünïcödé 🎉', 'quote " inside', 'back\\slash', 'tab\there', 'line\nbreak', '\u2028'];
    const shapes = (text: string): string[] => {
      const literal = JSON.stringify(text);
      return [
        `{"contentBlockIndex":0,"delta":{"text":${literal}}}`,
        `{"contentBlockIndex":12,"delta":{"text":${literal}},"p":"abcXYZ019"}`,
        `{"contentBlockIndex":3,"delta":{"text":${literal}},"p":""}`,
        `{"contentBlockIndex":3,"delta":{"text":${literal}},"p":"a-b"}`,
        `{"contentBlockIndex":3,"delta":{"text":${literal},"extra":1}}`,
        `{"delta":{"text":${literal}},"contentBlockIndex":4}`,
        `{"contentBlockIndex":05,"delta":{"text":${literal}}}`,
        `{"contentBlockIndex":1234567,"delta":{"text":${literal}},"p":"x"}`,
        `{"contentBlockIndex":1,"delta":{"text":${literal}},"q":"x"}`,
      ];
    };
    for (const text of texts) {
      for (const payload of shapes(text)) {
        const { actual, expected } = decodedAndParsed('contentBlockDelta', payload);
        expect(actual, payload).toEqual(expected);
      }
    }
  });

  it('reads messageStart, contentBlockStop and messageStop exactly as JSON.parse does, odd shapes included', () => {
    const cases: Record<string, string[]> = {
      messageStart: [
        '{"role":"assistant"}',
        '{"role":"assistant","p":"abcXYZ019"}',
        '{"role":"assistant","p":""}',
        '{"role":"assistant","p":"a b"}',
        '{"role":"user"}',
        '{"role":"assistant" }',
        '{"role":"assistant","extra":true}',
        '{"role":"assistant","p":"x","q":1}',
        '{"role":"assistant"',
        '{"role":"assistant","p":"}',
        '{"role":"assistant"}}',
        '{"role":"assistant"}x',
      ],
      contentBlockStop: [
        '{"contentBlockIndex":0}',
        '{"contentBlockIndex":7,"p":"abc"}',
        '{"contentBlockIndex":123456,"p":""}',
        '{"contentBlockIndex":1234567}',
        '{"contentBlockIndex":05}',
        '{"contentBlockIndex":-1}',
        '{"contentBlockIndex":1.5}',
        '{"contentBlockIndex":}',
        '{"contentBlockIndex":2,"p":"ab-c"}',
        '{"p":"abc","contentBlockIndex":3}',
      ],
      messageStop: [
        '{"stopReason":"end_turn"}',
        '{"stopReason":"max_tokens","p":"Zz9"}',
        '{"stopReason":"tool_use","p":""}',
        '{"stopReason":"model_context_window_exceeded"}',
        `{"stopReason":"${'x'.repeat(60)}"}`,
        '{"stopReason":"end\\u005fturn"}',
        '{"stopReason":"with space"}',
        '{"stopReason":""}',
        '{"stopReason":"end_turn","additionalModelResponseFields":{"a":1}}',
        '{"stopReason":"end_turn"',
        '{"stopReason":end_turn}',
      ],
    };
    for (const [type, payloads] of Object.entries(cases)) {
      for (const payload of payloads) {
        const { actual, expected } = decodedAndParsed(type, payload);
        expect(actual, `${type} ${payload}`).toEqual(expected);
      }
    }
  });

  it('reports a payload that is not JSON', () => {
    const bytes = frame({ ':message-type': 'event', ':event-type': 'messageStart' }, '{"role":');
    expect(() => new EventStreamDecoder(MAX).push(bytes)).toThrow(
      expect.objectContaining({ code: 'upstream_error', message: expect.stringContaining('not JSON') }),
    );
  });

  it('turns an error frame into upstream_error with its code and message', () => {
    const bytes = frame({ ':message-type': 'error', ':error-code': 'InternalFailure', ':error-message': 'boom' }, '');
    expect(() => new EventStreamDecoder(MAX).push(bytes)).toThrow(
      expect.objectContaining({ code: 'upstream_error', message: 'InternalFailure: boom' }),
    );
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
