import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeEvent, encodeException } from './eventstream.js';

// bedrock-wire.md §5 test vector: a messageStop event, 122 bytes.
const MESSAGE_STOP_HEX =
  '0000007a00000051ca2c46650b3a6576656e742d7479706507000b6d65737361676553746f700d3a636f6e74656e742d747970650700106170706c69636174696f6e2f6a736f6e0d3a6d6573736167652d747970650700056576656e747b2273746f70526561736f6e223a22656e645f7475726e227d5fbf09fc';

describe('event-stream framing', () => {
  it('the codec reproduces the spec messageStop frame byte for byte', () => {
    const codec = new EventStreamCodec(toUtf8, fromUtf8);
    const bytes = codec.encode({
      headers: {
        ':event-type': { type: 'string', value: 'messageStop' },
        ':content-type': { type: 'string', value: 'application/json' },
        ':message-type': { type: 'string', value: 'event' },
      },
      body: fromUtf8('{"stopReason":"end_turn"}'),
    });
    expect(Buffer.from(bytes).toString('hex')).toBe(MESSAGE_STOP_HEX);
    expect(decodeMessage(Buffer.from(MESSAGE_STOP_HEX, 'hex'))).toEqual({
      headers: { ':event-type': 'messageStop', ':content-type': 'application/json', ':message-type': 'event' },
      payload: '{"stopReason":"end_turn"}',
    });
  });

  it('events carry a random-length p padding member next to the payload', () => {
    const decoded = decodeMessage(encodeEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Hi' } }));
    expect(decoded.headers).toMatchObject({ ':event-type': 'contentBlockDelta', ':message-type': 'event' });
    const payload = JSON.parse(decoded.payload) as { p: string; delta: unknown };
    expect(payload.delta).toEqual({ text: 'Hi' });
    expect(payload.p).toMatch(/^[a-zA-Z0-9]+$/);
  });

  it('exceptions are exception messages named by :exception-type', () => {
    const decoded = decodeMessage(encodeException('throttlingException', { message: 'slow down' }));
    expect(decoded.headers).toMatchObject({ ':exception-type': 'throttlingException', ':message-type': 'exception' });
    expect(JSON.parse(decoded.payload)).toEqual({ message: 'slow down' });
  });
});
