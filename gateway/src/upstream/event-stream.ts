import { EventStreamCodec, type Message } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { fromBedrockStreamErrorFrame, fromBedrockStreamException, GatewayError } from '../errors/index.js';

/** One decoded event of a Bedrock event stream: `:event-type` and its JSON payload (`p` padding removed). */
export interface UpstreamEvent {
  /** `messageStart`, `contentBlockDelta`, … (ConverseStream) or `chunk` (InvokeModelWithResponseStream). */
  type: string;
  payload: unknown;
}

const PRELUDE_BYTES = 12;
const MIN_MESSAGE_BYTES = 16;
const EMPTY = new Uint8Array(0);

/**
 * Splits an `application/vnd.amazon.eventstream` byte stream into messages and decodes them with
 * `@smithy/eventstream-codec` (which checks both CRCs and parses headers). Reads split frames
 * arbitrarily (§5), so bytes are buffered until `total_length` has arrived; a length beyond
 * `maxMessageBytes` is refused instead of allocated.
 */
export class EventStreamDecoder {
  private readonly codec = new EventStreamCodec(toUtf8, fromUtf8);
  private pending: Uint8Array = EMPTY;
  private failure: GatewayError | undefined;
  /** Whether any frame was decoded yet: an exception as the first frame may still be retried. */
  private decodedAny = false;

  constructor(private readonly maxMessageBytes: number) {}

  /** Feeds bytes; returns the events completed by them. Throws GatewayError on corrupt frames and exceptions. */
  push(chunk: Uint8Array): UpstreamEvent[] {
    this.throwIfFailed();
    let buffer = chunk;
    if (this.pending.byteLength > 0) {
      buffer = new Uint8Array(this.pending.byteLength + chunk.byteLength);
      buffer.set(this.pending, 0);
      buffer.set(chunk, this.pending.byteLength);
    }
    const events: UpstreamEvent[] = [];
    let offset = 0;
    while (buffer.byteLength - offset >= PRELUDE_BYTES) {
      const view = new DataView(buffer.buffer, buffer.byteOffset + offset, 4);
      const total = view.getUint32(0, false);
      if (total < MIN_MESSAGE_BYTES || total > this.maxMessageBytes) {
        throw new GatewayError('upstream_error', `Bedrock sent an invalid event-stream frame (length ${total}).`);
      }
      if (buffer.byteLength - offset < total) break;
      let event: UpstreamEvent;
      try {
        event = toEvent(this.decode(buffer.subarray(offset, offset + total)), !this.decodedAny);
        this.decodedAny = true;
      } catch (error) {
        // An exception frame often arrives in the same read as the events before it: hand those
        // out first and raise the error on the next call (see throwIfFailed).
        if (events.length === 0 || !(error instanceof GatewayError)) throw error;
        this.failure = error;
        this.pending = EMPTY;
        return events;
      }
      events.push(event);
      offset += total;
    }
    // Keep only the unread tail; copy so the caller's chunk (a pooled Buffer) can be reused.
    this.pending = offset === buffer.byteLength ? EMPTY : buffer.slice(offset);
    return events;
  }

  /** Throws the error of an exception (or corrupt) frame that followed the events the last push returned. */
  throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  /** Call when the body ended: leftover bytes mean the stream was cut mid-frame. */
  end(): void {
    this.throwIfFailed();
    if (this.pending.byteLength > 0) {
      this.pending = EMPTY;
      throw new GatewayError('upstream_error', 'The Bedrock event stream ended in the middle of a frame.');
    }
  }

  private decode(frame: Uint8Array): Message {
    try {
      return this.codec.decode(frame);
    } catch (error) {
      throw new GatewayError('upstream_error', 'Bedrock sent a corrupt event-stream frame (checksum mismatch).', {
        cause: error,
      });
    }
  }
}

function headerString(message: Message, name: string): string | undefined {
  const header = message.headers[name];
  return header?.type === 'string' ? header.value : undefined;
}

function parsePayload(body: Uint8Array): unknown {
  if (body.byteLength === 0) return {};
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch (error) {
    throw new GatewayError('upstream_error', 'Bedrock sent an event whose payload is not JSON.', { cause: error });
  }
  // Anti side-channel padding (aws-sdk-js-v3#6919): a random-length string member `p` on any event.
  if (typeof payload === 'object' && payload !== null && 'p' in payload) delete (payload as { p?: unknown }).p;
  return payload;
}

function toEvent(message: Message, firstFrame: boolean): UpstreamEvent {
  const messageType = headerString(message, ':message-type') ?? 'event';
  if (messageType === 'event') {
    return { type: headerString(message, ':event-type') ?? '', payload: parsePayload(message.body) };
  }
  if (messageType === 'exception') {
    let payload: unknown;
    try {
      payload = parsePayload(message.body);
    } catch {
      payload = undefined;
    }
    throw fromBedrockStreamException(headerString(message, ':exception-type') ?? 'internalServerException', payload, {
      firstFrame,
    });
  }
  throw fromBedrockStreamErrorFrame(headerString(message, ':error-code'), headerString(message, ':error-message'));
}

/** Decodes the base64 `bytes` of an InvokeModelWithResponseStream `chunk` event into the model's JSON (§5.1). */
export function decodeInvokeStreamChunk(payload: unknown): unknown {
  const bytes = typeof payload === 'object' && payload !== null ? (payload as { bytes?: unknown }).bytes : undefined;
  if (typeof bytes !== 'string') {
    throw new GatewayError('upstream_error', 'Bedrock sent a stream chunk without bytes.');
  }
  try {
    return JSON.parse(Buffer.from(bytes, 'base64').toString('utf8')) as unknown;
  } catch (error) {
    throw new GatewayError('upstream_error', 'Bedrock sent a stream chunk that is not JSON.', { cause: error });
  }
}
