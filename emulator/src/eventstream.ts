/**
 * AWS event-stream framing (`application/vnd.amazon.eventstream`, bedrock-wire.md §5) with
 * `@smithy/eventstream-codec`. Event payloads carry the random `p` padding member real Bedrock adds
 * (aws-sdk-js-v3#6919), so strict decoders that reject unknown members fail here as they would in AWS.
 */

import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';

const codec = new EventStreamCodec(toUtf8, fromUtf8);
const PAD_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** A random-length padding string like Bedrock's `p` member. */
export function padding(): string {
  const length = 1 + Math.floor(Math.random() * 40);
  return (
    PAD_ALPHABET.slice(0, Math.min(length, PAD_ALPHABET.length)) + 'A'.repeat(Math.max(0, length - PAD_ALPHABET.length))
  );
}

/** Encodes one `event` message: `:event-type` = union member, JSON payload plus `p` padding. */
export function encodeEvent(eventType: string, payload: Record<string, unknown>): Uint8Array {
  return codec.encode({
    headers: {
      ':event-type': { type: 'string', value: eventType },
      ':content-type': { type: 'string', value: 'application/json' },
      ':message-type': { type: 'string', value: 'event' },
    },
    body: fromUtf8(JSON.stringify({ ...payload, p: padding() })),
  });
}

/** Encodes one `exception` message: `:exception-type` = union member (e.g. `throttlingException`). */
export function encodeException(exceptionType: string, payload: Record<string, unknown>): Uint8Array {
  return codec.encode({
    headers: {
      ':exception-type': { type: 'string', value: exceptionType },
      ':content-type': { type: 'string', value: 'application/json' },
      ':message-type': { type: 'string', value: 'exception' },
    },
    body: fromUtf8(JSON.stringify(payload)),
  });
}

/** Decodes one complete message (tests and tools). */
export function decodeMessage(bytes: Uint8Array): { headers: Record<string, string>; payload: string } {
  const message = codec.decode(bytes);
  const headers: Record<string, string> = {};
  for (const [name, header] of Object.entries(message.headers)) headers[name] = String(header.value);
  return { headers, payload: toUtf8(message.body) };
}
