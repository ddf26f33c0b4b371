import { isUtf8 } from 'node:buffer';
import { crc32 } from 'node:zlib';
import { fromBedrockStreamErrorFrame, fromBedrockStreamException, GatewayError } from '../errors/index.js';

/** One decoded event of a Bedrock event stream: `:event-type` and its JSON payload (`p` padding removed). */
export interface UpstreamEvent {
  /** `messageStart`, `contentBlockDelta`, … (ConverseStream) or `chunk` (InvokeModelWithResponseStream). */
  type: string;
  payload: unknown;
}

/** The payload of a text `contentBlockDelta`. */
export interface TextDeltaPayload {
  contentBlockIndex: number;
  delta: { text: string };
}

/**
 * A text `contentBlockDelta` read in place, the event of almost every streamed token. Its text stays bytes of
 * the read, `bytes[start, end)`: valid UTF-8 with no quote, backslash or control character, which makes them
 * their own JSON string body (what `JSON.stringify` would put between the quotes), so a translator may copy
 * them into its output as they are. `payload` decodes them only when someone asks.
 */
export class TextDeltaEvent implements UpstreamEvent {
  readonly type = 'contentBlockDelta';

  constructor(
    readonly contentBlockIndex: number,
    readonly bytes: Buffer,
    readonly start: number,
    readonly end: number,
  ) {}

  /** A new object on each read (the spliced path never reads it). */
  get payload(): TextDeltaPayload {
    return {
      contentBlockIndex: this.contentBlockIndex,
      delta: { text: this.bytes.toString('utf8', this.start, this.end) },
    };
  }
}

// Frame layout (bedrock-wire.md §5): total length, headers length, prelude CRC, headers, payload, message CRC.
const PRELUDE_BYTES = 12;
/** Header blocks up to this size are remembered for the next frame (Bedrock's are under 100 bytes). */
const MAX_REMEMBERED_HEADER_BYTES = 128;
const MIN_MESSAGE_BYTES = 16;

// Header value types of the event-stream encoding and the fixed size of each non-string value.
const TYPE_BYTE = 2;
const TYPE_SHORT = 3;
const TYPE_INT = 4;
const TYPE_LONG = 5;
const TYPE_BYTES = 6;
const TYPE_STRING = 7;
const TYPE_TIMESTAMP = 8;
const TYPE_UUID = 9;
const FIXED_VALUE_BYTES: Record<number, number> = {
  0: 0, // true
  1: 0, // false
  [TYPE_BYTE]: 1,
  [TYPE_SHORT]: 2,
  [TYPE_INT]: 4,
  [TYPE_LONG]: 8,
  [TYPE_TIMESTAMP]: 8,
  [TYPE_UUID]: 16,
};

// The headers the gateway reads, as bytes, so a header name is compared in place instead of decoded.
const H_MESSAGE_TYPE = Buffer.from(':message-type');
const H_EVENT_TYPE = Buffer.from(':event-type');
const H_EXCEPTION_TYPE = Buffer.from(':exception-type');
const H_ERROR_CODE = Buffer.from(':error-code');
const H_ERROR_MESSAGE = Buffer.from(':error-message');
const V_EVENT = Buffer.from('event');
const V_EXCEPTION = Buffer.from('exception');

/** Event types whose payloads have a reader of their own (see {@link shortPayload}); 0 for any other. */
const KIND_OTHER = 0;
const KIND_TEXT_DELTA = 1;
const KIND_MESSAGE_START = 2;
const KIND_BLOCK_STOP = 3;
const KIND_MESSAGE_STOP = 4;
const KIND_OF_TYPE: ReadonlyMap<string, number> = new Map([
  ['contentBlockDelta', KIND_TEXT_DELTA],
  ['messageStart', KIND_MESSAGE_START],
  ['contentBlockStop', KIND_BLOCK_STOP],
  ['messageStop', KIND_MESSAGE_STOP],
]);

/** Header values of one frame that decide what it is. */
interface FrameHeaders {
  messageType: 'event' | 'exception' | 'error';
  eventType: string | undefined;
  /** What the event type's payload is read with, decided once per header block (one of the KIND_ values). */
  kind: number;
  exceptionType: string | undefined;
  errorCode: string | undefined;
  errorMessage: string | undefined;
}

/**
 * Splits an `application/vnd.amazon.eventstream` byte stream into messages, checks both CRCs and reads the
 * headers and JSON payload of each. Reads split frames arbitrarily (§5): a frame that arrives whole is read
 * in place from the read's buffer (no copy); only a frame split across reads is copied, once, into a buffer
 * of its announced length, which is checked against `maxMessageBytes` before anything is allocated.
 *
 * Written by hand instead of `@smithy/eventstream-codec` because this runs once per streamed token: the codec
 * copies every message, decodes every header into typed objects and converts the body through its own
 * UTF-8 helpers; here only the five headers the gateway reads are looked at, compared as bytes, and the
 * CRCs are zlib's CRC-32 (computed in JS for a short frame, where node:zlib's native call costs more).
 */
export class EventStreamDecoder {
  /** A frame split across reads: its bytes so far (`partial` is undefined while fewer than 4 arrived). */
  private partial: Buffer | undefined;
  private partialFill = 0;
  /** Up to 3 bytes of a split length prefix. */
  private prefix: Buffer | undefined;
  private failure: GatewayError | undefined;
  /** Whether any frame was decoded yet: an exception as the first frame may still be retried. */
  private decodedAny = false;
  /** The last `:event-type` value, reused while the same type repeats (it usually does: one per token). */
  private lastType = '';
  /**
   * The header block of the last event frame, kept as its length, its little-endian 32-bit words (storage
   * allocated once, see {@link rememberedWords}) and its last `length % 4` bytes packed in a number; and what
   * the block said.
   */
  private lastHeaderLength = -1;
  private lastHeaderWords: number[] | undefined;
  private lastHeaderTail = 0;
  private lastHeaders: FrameHeaders | undefined;

  constructor(private readonly maxMessageBytes: number) {}

  /** Feeds bytes; returns the events completed by them. Throws GatewayError on corrupt frames and exceptions. */
  push(chunk: Uint8Array): UpstreamEvent[] {
    const events: UpstreamEvent[] = [];
    this.pushInto(chunk, events);
    return events;
  }

  /**
   * Like {@link push}, appending to `events`. When an exception frame follows events of the same read, those
   * events are appended and the error is raised on the next call (see {@link throwIfFailed}). A
   * {@link TextDeltaEvent} keeps a view of `chunk`: its memory must not be reused while the event is held.
   */
  pushInto(chunk: Uint8Array, events: UpstreamEvent[]): void {
    this.throwIfFailed();
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const before = events.length;
    try {
      let offset = 0;
      if (this.prefix !== undefined || this.partial !== undefined) {
        offset = this.continueSplit(buf, events);
        if (offset < 0) return;
      }
      const length = buf.length;
      // Word reads (lengths, CRC input, header comparison) go through one DataView of the read.
      const view = new DataView(buf.buffer, buf.byteOffset, length);
      while (length - offset >= 4) {
        const total = this.frameLength(view.getUint32(offset));
        if (length - offset < total) break;
        this.decodeFrame(buf, view, offset, total, events);
        offset += total;
      }
      if (offset < length) this.startSplit(buf, offset);
    } catch (error) {
      // An exception frame often arrives in the same read as the events before it: hand those
      // out first and raise the error on the next call.
      if (events.length === before || !(error instanceof GatewayError)) throw error;
      this.failure = error;
      this.partial = undefined;
      this.prefix = undefined;
    }
  }

  /** Throws the error of an exception (or corrupt) frame that followed the events the last push returned. */
  throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  /** Call when the body ended: leftover bytes mean the stream was cut mid-frame. */
  end(): void {
    this.throwIfFailed();
    if (this.partial !== undefined || this.prefix !== undefined) {
      this.partial = undefined;
      this.prefix = undefined;
      throw new GatewayError('upstream_error', 'The Bedrock event stream ended in the middle of a frame.');
    }
  }

  private frameLength(total: number): number {
    if (total < MIN_MESSAGE_BYTES || total > this.maxMessageBytes) {
      throw new GatewayError('upstream_error', `Bedrock sent an invalid event-stream frame (length ${total}).`);
    }
    return total;
  }

  /** Keeps the unread tail of a read (a copy: the read's buffer may be reused by the caller). */
  private startSplit(buf: Buffer, offset: number): void {
    const rest = buf.length - offset;
    if (rest < 4) {
      this.prefix = Buffer.from(buf.subarray(offset));
      return;
    }
    const total = buf.readUInt32BE(offset); // checked by the loop that stopped here
    this.partial = Buffer.allocUnsafe(total);
    this.partialFill = buf.copy(this.partial, 0, offset);
  }

  /** Completes a split frame from the start of `buf`; returns the offset after it, or -1 if `buf` ran out. */
  private continueSplit(buf: Buffer, events: UpstreamEvent[]): number {
    let offset = 0;
    if (this.prefix !== undefined) {
      const need = 4 - this.prefix.length;
      if (buf.length < need) {
        this.prefix = Buffer.concat([this.prefix, buf]);
        return -1;
      }
      const head = Buffer.concat([this.prefix, buf.subarray(0, need)]);
      this.prefix = undefined;
      const total = this.frameLength(head.readUInt32BE(0));
      this.partial = Buffer.allocUnsafe(total);
      head.copy(this.partial, 0);
      this.partialFill = 4;
      offset = need;
    }
    const partial = this.partial!;
    const copied = buf.copy(partial, this.partialFill, offset, offset + (partial.length - this.partialFill));
    this.partialFill += copied;
    offset += copied;
    if (this.partialFill < partial.length) return -1;
    this.partial = undefined;
    this.decodeFrame(
      partial,
      new DataView(partial.buffer, partial.byteOffset, partial.length),
      0,
      partial.length,
      events,
    );
    return offset;
  }

  /** Decodes the frame at `buf[start, start + total)`; `view` is a DataView of `buf` (same offsets). */
  private decodeFrame(buf: Buffer, view: DataView, start: number, total: number, events: UpstreamEvent[]): void {
    const headersLength = view.getUint32(start + 4);
    const preludeCrc = crc32Js(buf, view, start, start + 8, 0);
    const end = start + total - 4;
    if (
      preludeCrc !== view.getUint32(start + 8) ||
      messageCrc32(buf, view, start + 8, end, preludeCrc) !== view.getUint32(end)
    ) {
      throw new GatewayError('upstream_error', 'Bedrock sent a corrupt event-stream frame (checksum mismatch).');
    }
    if (headersLength > total - MIN_MESSAGE_BYTES) {
      throw new GatewayError('upstream_error', 'Bedrock sent an invalid event-stream frame (header length).');
    }
    const bodyStart = start + PRELUDE_BYTES + headersLength;
    const headers = this.headersOf(buf, view, start + PRELUDE_BYTES, bodyStart);
    const firstFrame = !this.decodedAny;
    this.decodedAny = true;
    if (headers.messageType === 'event') {
      const type = headers.eventType ?? '';
      const kind = headers.kind;
      if (kind === KIND_TEXT_DELTA) {
        const delta = textDelta(buf, view, bodyStart, end);
        if (delta !== undefined) {
          events.push(delta);
          return;
        }
      }
      const payload = kind === KIND_OTHER ? undefined : shortPayload(kind, buf, view, bodyStart, end);
      events.push({ type, payload: payload ?? parsePayload(buf, bodyStart, end) });
      return;
    }
    if (headers.messageType === 'exception') {
      let payload: unknown;
      try {
        payload = parsePayload(buf, bodyStart, end);
      } catch {
        payload = undefined;
      }
      throw fromBedrockStreamException(headers.exceptionType ?? 'internalServerException', payload, { firstFrame });
    }
    throw fromBedrockStreamErrorFrame(headers.errorCode, headers.errorMessage);
  }

  /**
   * The headers of a frame: those of the last event frame again when its header bytes are the same (the
   * frames of one token after another are), else read.
   */
  private headersOf(buf: Buffer, view: DataView, from: number, to: number): FrameHeaders {
    const length = to - from;
    const wordCount = length >>> 2;
    if (length === this.lastHeaderLength) {
      const words = this.lastHeaderWords!;
      let w = 0;
      while (w < wordCount && view.getUint32(from + w * 4, true) === words[w]) w++;
      if (w === wordCount && tailOf(buf, from + wordCount * 4, to) === this.lastHeaderTail) return this.lastHeaders!;
    }
    const headers = this.readHeaders(buf, from, to);
    if (headers.messageType === 'event' && length <= MAX_REMEMBERED_HEADER_BYTES) {
      this.lastHeaderWords ??= rememberedWords();
      const words = this.lastHeaderWords;
      for (let w = 0; w < wordCount; w++) words[w] = view.getUint32(from + w * 4, true);
      this.lastHeaderTail = tailOf(buf, from + wordCount * 4, to);
      this.lastHeaderLength = length;
      this.lastHeaders = headers;
    }
    return headers;
  }

  private readHeaders(buf: Buffer, from: number, to: number): FrameHeaders {
    const headers: FrameHeaders = {
      messageType: 'event',
      eventType: undefined,
      kind: KIND_OTHER,
      exceptionType: undefined,
      errorCode: undefined,
      errorMessage: undefined,
    };
    let at = from;
    while (at < to) {
      const nameLength = buf[at]!;
      const name = at + 1;
      const typeAt = name + nameLength;
      if (nameLength === 0 || typeAt >= to) throw corruptHeaders();
      const type = buf[typeAt]!;
      let valueAt = typeAt + 1;
      let valueEnd: number;
      if (type === TYPE_STRING || type === TYPE_BYTES) {
        if (valueAt + 2 > to) throw corruptHeaders();
        valueEnd = valueAt + 2 + buf.readUInt16BE(valueAt);
        valueAt += 2;
      } else {
        const size = FIXED_VALUE_BYTES[type];
        if (size === undefined) throw corruptHeaders();
        valueEnd = valueAt + size;
      }
      if (valueEnd > to) throw corruptHeaders();
      at = valueEnd;
      if (type !== TYPE_STRING) continue;
      if (sameBytes(buf, name, nameLength, H_EVENT_TYPE)) {
        headers.eventType = this.eventType(buf, valueAt, valueEnd);
      } else if (sameBytes(buf, name, nameLength, H_MESSAGE_TYPE)) {
        const length = valueEnd - valueAt;
        headers.messageType = sameBytes(buf, valueAt, length, V_EVENT)
          ? 'event'
          : sameBytes(buf, valueAt, length, V_EXCEPTION)
            ? 'exception'
            : 'error';
      } else if (sameBytes(buf, name, nameLength, H_EXCEPTION_TYPE)) {
        headers.exceptionType = buf.toString('utf8', valueAt, valueEnd);
      } else if (sameBytes(buf, name, nameLength, H_ERROR_CODE)) {
        headers.errorCode = buf.toString('utf8', valueAt, valueEnd);
      } else if (sameBytes(buf, name, nameLength, H_ERROR_MESSAGE)) {
        headers.errorMessage = buf.toString('utf8', valueAt, valueEnd);
      }
    }
    headers.kind = (headers.eventType !== undefined && KIND_OF_TYPE.get(headers.eventType)) || KIND_OTHER;
    return headers;
  }

  private eventType(buf: Buffer, from: number, to: number): string {
    const last = this.lastType;
    // Event types are ASCII: equal bytes and char codes mean the same string (anything else is decoded).
    if (last.length === to - from && last.length > 0) {
      let same = true;
      for (let i = 0; i < last.length; i++) {
        const code = last.charCodeAt(i);
        if (code > 0x7f || buf[from + i] !== code) {
          same = false;
          break;
        }
      }
      if (same) return last;
    }
    this.lastType = buf.toString('utf8', from, to);
    return this.lastType;
  }
}

// CRC-32 (IEEE, zlib's) in JS for the prelude and for short frames, slice-by-8: for a token's frame (100-200
// bytes) zlib.crc32's native call and the subarray it needs cost more than the computation, about 300 ns
// against 200 on Node 22; from 256 bytes on zlib is as fast or faster, so longer frames go to it.
// CRC_TABLES[t * 256 + n] is the CRC of byte n followed by t zero bytes.
const CRC_TABLES = new Int32Array(8 * 256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  CRC_TABLES[n] = c;
}
for (let i = 256; i < CRC_TABLES.length; i++) {
  const previous = CRC_TABLES[i - 256]!;
  CRC_TABLES[i] = CRC_TABLES[previous & 0xff]! ^ (previous >>> 8);
}
const [T0, T1, T2, T3, T4, T5, T6, T7] = Array.from({ length: 8 }, (_, t) =>
  CRC_TABLES.subarray(t * 256, t * 256 + 256),
) as [Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array];
/** Frames up to this many bytes after the prelude are checked in JS. */
const JS_CRC_MAX_BYTES = 256;

/** zlib.crc32(buf[from, to), value): in JS for short ranges, natively for long ones. */
function messageCrc32(buf: Buffer, view: DataView, from: number, to: number, value: number): number {
  return to - from <= JS_CRC_MAX_BYTES ? crc32Js(buf, view, from, to, value) : crc32(buf.subarray(from, to), value);
}

/** zlib.crc32(buf[from, to), value), eight bytes a step; `view` is a DataView of `buf`. */
function crc32Js(buf: Buffer, view: DataView, from: number, to: number, value: number): number {
  let c = ~value;
  let i = from;
  for (; i + 8 <= to; i += 8) {
    const lo = c ^ view.getInt32(i, true);
    const hi = view.getInt32(i + 4, true);
    c =
      T7[lo & 0xff]! ^
      T6[(lo >>> 8) & 0xff]! ^
      T5[(lo >>> 16) & 0xff]! ^
      T4[lo >>> 24]! ^
      T3[hi & 0xff]! ^
      T2[(hi >>> 8) & 0xff]! ^
      T1[(hi >>> 16) & 0xff]! ^
      T0[hi >>> 24]!;
  }
  for (; i < to; i++) c = T0[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/**
 * Storage for a remembered header block's words: a plain array of doubles, on the JS heap. A `Uint32Array` of
 * this size (over 64 bytes) gets its memory outside the heap, which costs about 1 µs to allocate and more to
 * free, once per stream; this costs a few dozen nanoseconds.
 */
function rememberedWords(): number[] {
  const words: number[] = [];
  // A double first, so the array holds unboxed doubles: uint32 words above 2^30 would not fit a small integer.
  for (let w = 0; w < MAX_REMEMBERED_HEADER_BYTES / 4; w++) words.push(0.5);
  return words;
}

/** Up to 3 bytes buf[from, to) packed in a number (with their count, so `ab` and `ab\0` differ). */
function tailOf(buf: Buffer, from: number, to: number): number {
  let tail = to - from;
  for (let i = from; i < to; i++) tail = tail * 256 + buf[i]!;
  return tail;
}

function corruptHeaders(): GatewayError {
  return new GatewayError('upstream_error', 'Bedrock sent an event-stream frame with corrupt headers.');
}

function sameBytes(buf: Buffer, at: number, length: number, expected: Buffer): boolean {
  if (length !== expected.length) return false;
  for (let i = 0; i < length; i++) if (buf[at + i] !== expected[i]) return false;
  return true;
}

const PAD_MEMBER = ',"p":"';

/**
 * The JSON payload without Bedrock's anti side-channel padding (aws-sdk-js-v3#6919): a random-length
 * alphanumeric string member `p` on any event, sent last. When the text ends with exactly that member it is
 * cut off before parsing (an unescaped `,"p":"` can only be an object key, and the final `}` closes the
 * top-level object); otherwise the member is deleted after parsing.
 */
function parsePayload(buf: Buffer, from: number, to: number): unknown {
  if (to === from) return {};
  let text = buf.toString('utf8', from, to);
  const cut = paddingStart(text);
  if (cut > 0) text = `${text.slice(0, cut)}}`;
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch (error) {
    throw new GatewayError('upstream_error', 'Bedrock sent an event whose payload is not JSON.', { cause: error });
  }
  if (typeof payload === 'object' && payload !== null && 'p' in payload) {
    delete (payload as { p?: unknown }).p;
  }
  return payload;
}

/**
 * A fixed run of ASCII bytes a payload must start with (or hold at a known place), compared four bytes at a
 * time: its little-endian 32-bit words and its last `length % 4` bytes.
 */
interface Literal {
  readonly length: number;
  readonly words: readonly number[];
  readonly tail: Buffer;
}

function literal(text: string): Literal {
  const bytes = Buffer.from(text, 'latin1');
  const words: number[] = [];
  for (let at = 0; at + 4 <= bytes.length; at += 4) words.push(bytes.readUInt32LE(at));
  return { length: bytes.length, words, tail: bytes.subarray(words.length * 4) };
}

/** Whether `buf[at, at + lit.length)` holds `lit`; `view` is a DataView of `buf`, `to` the end of the payload. */
function holds(buf: Buffer, view: DataView, at: number, to: number, lit: Literal): boolean {
  if (at + lit.length > to) return false;
  const words = lit.words;
  for (let w = 0; w < words.length; w++) if (view.getUint32(at + w * 4, true) !== words[w]) return false;
  const tail = lit.tail;
  const tailAt = at + words.length * 4;
  for (let i = 0; i < tail.length; i++) if (buf[tailAt + i] !== tail[i]) return false;
  return true;
}

const TEXT_DELTA_HEAD = literal('{"contentBlockIndex":');
const TEXT_DELTA_MIDDLE = literal(',"delta":{"text":"');
const MESSAGE_START_ASSISTANT = literal('{"role":"assistant"');
const STOP_REASON_HEAD = literal('{"stopReason":"');
const PAD_MEMBER_BYTES = literal(PAD_MEMBER);
/** Longest contentBlockIndex read by the fast paths (larger ones, if ever sent, take the JSON.parse path). */
const MAX_INDEX_DIGITS = 6;
/** Longest stop reason read by the fast path (Bedrock's longest, `model_context_window_exceeded`, has 29). */
const MAX_STOP_REASON = 48;

// Byte classes, one table lookup a byte. Inside a text delta's string: 1 = copied as is (printable ASCII but
// `"` and `\`), 2 = part of a multi-byte UTF-8 sequence, 0 = the closing quote, 3 = anything that needs
// unescaping or is not allowed raw (backslash, control characters).
const TEXT_CLASS = new Uint8Array(256).fill(1);
TEXT_CLASS.fill(3, 0, 0x20);
TEXT_CLASS.fill(2, 0x80, 0x100);
TEXT_CLASS[0x22] = 0;
TEXT_CLASS[0x5c] = 3;
/** 1 for `[0-9A-Za-z]` (the padding's alphabet), also `_` in STOP_REASON_CLASS: `end_turn`, `tool_use`, … */
const ALNUM_CLASS = new Uint8Array(256);
ALNUM_CLASS.fill(1, 0x30, 0x3a);
ALNUM_CLASS.fill(1, 0x41, 0x5b);
ALNUM_CLASS.fill(1, 0x61, 0x7b);
const STOP_REASON_CLASS = ALNUM_CLASS.slice();
STOP_REASON_CLASS[0x5f] = 1;

/**
 * Whether `buf[at, to)` is what closes a payload's top-level object: `}`, or Bedrock's padding member
 * `,"p":"<alphanumerics>"` and then `}`.
 */
function closesObject(buf: Buffer, view: DataView, at: number, to: number): boolean {
  if (buf[to - 1] !== 0x7d) return false;
  if (at === to - 1) return true;
  if (!holds(buf, view, at, to, PAD_MEMBER_BYTES) || to - 2 < at + PAD_MEMBER_BYTES.length || buf[to - 2] !== 0x22) {
    return false;
  }
  for (let i = at + PAD_MEMBER_BYTES.length; i < to - 2; i++) if (ALNUM_CLASS[buf[i]!] !== 1) return false;
  return true;
}

/**
 * Where the JSON non-negative integer at `buf[at…)` ends, or -1 when there is none, it has a leading zero or
 * more than MAX_INDEX_DIGITS digits (those take the JSON.parse path).
 */
function indexEnd(buf: Buffer, at: number, to: number): number {
  const digits = at;
  while (at < to && at - digits <= MAX_INDEX_DIGITS) {
    const c = buf[at]!;
    if (c < 0x30 || c > 0x39) break;
    at++;
  }
  if (at === digits || at - digits > MAX_INDEX_DIGITS || (buf[digits] === 0x30 && at - digits > 1)) return -1;
  return at;
}

/** The value of the digits `buf[from, to)`. */
function indexValue(buf: Buffer, from: number, to: number): number {
  let index = 0;
  for (let at = from; at < to; at++) index = index * 10 + (buf[at]! - 0x30);
  return index;
}

/**
 * The most frequent event, a text `contentBlockDelta`, read without JSON.parse when its text needs no
 * unescaping: exactly `{"contentBlockIndex":N,"delta":{"text":"…"}}`, optionally with the trailing `p`
 * padding, no backslash or control character inside the text, and valid UTF-8. Anything else (escapes, other
 * members, another order, invalid bytes) returns undefined and takes the JSON.parse path, so the payload is
 * always what JSON.parse would give. This is the per-token cost of a stream, hence the byte-level reading:
 * the fixed parts are compared a word at a time and each byte of the text is classified by one table lookup.
 */
function textDelta(buf: Buffer, view: DataView, from: number, to: number): TextDeltaEvent | undefined {
  if (!holds(buf, view, from, to, TEXT_DELTA_HEAD)) return undefined;
  const digits = from + TEXT_DELTA_HEAD.length;
  const digitsEnd = indexEnd(buf, digits, to);
  if (digitsEnd < 0 || !holds(buf, view, digitsEnd, to, TEXT_DELTA_MIDDLE)) return undefined;
  const textStart = digitsEnd + TEXT_DELTA_MIDDLE.length;
  let end = textStart;
  let high = false;
  for (; end < to; end++) {
    const kind = TEXT_CLASS[buf[end]!]!;
    if (kind === 1) continue;
    if (kind === 0) break;
    if (kind === 3) return undefined;
    high = true;
  }
  // After the text: `"}` closing delta, then what closes the payload.
  if (end + 3 > to || buf[end + 1] !== 0x7d || !closesObject(buf, view, end + 2, to)) return undefined;
  // Bytes past ASCII must form valid UTF-8 to be copied as they are (decoding would replace bad ones).
  if (high && !isUtf8(buf.subarray(textStart, end))) return undefined;
  return new TextDeltaEvent(indexValue(buf, digits, digitsEnd), buf, textStart, end);
}

/**
 * The payloads of the other events every stream carries once, read without JSON.parse in the shapes Bedrock
 * sends them: `messageStart` `{"role":"assistant"}`, `contentBlockStop` `{"contentBlockIndex":N}` and
 * `messageStop` `{"stopReason":"<word>"}`, each optionally with the padding. Anything else (another member, an
 * escape, another role) returns undefined and takes the JSON.parse path, so the payload is always what
 * JSON.parse would give without `p`.
 */
function shortPayload(kind: number, buf: Buffer, view: DataView, from: number, to: number): object | undefined {
  if (kind === KIND_MESSAGE_START) {
    if (!holds(buf, view, from, to, MESSAGE_START_ASSISTANT)) return undefined;
    return closesObject(buf, view, from + MESSAGE_START_ASSISTANT.length, to) ? { role: 'assistant' } : undefined;
  }
  if (kind === KIND_BLOCK_STOP) {
    if (!holds(buf, view, from, to, TEXT_DELTA_HEAD)) return undefined;
    const digits = from + TEXT_DELTA_HEAD.length;
    const digitsEnd = indexEnd(buf, digits, to);
    if (digitsEnd < 0 || !closesObject(buf, view, digitsEnd, to)) return undefined;
    return { contentBlockIndex: indexValue(buf, digits, digitsEnd) };
  }
  if (kind === KIND_MESSAGE_STOP) {
    if (!holds(buf, view, from, to, STOP_REASON_HEAD)) return undefined;
    const start = from + STOP_REASON_HEAD.length;
    let end = start;
    while (end < to && end - start <= MAX_STOP_REASON && STOP_REASON_CLASS[buf[end]!] === 1) end++;
    if (end === start || end >= to || buf[end] !== 0x22 || !closesObject(buf, view, end + 1, to)) return undefined;
    return { stopReason: buf.toString('latin1', start, end) };
  }
  return undefined;
}

/** Where a trailing `,"p":"<alphanumerics>"}` starts (`{"p":…}` alone: after the `{`), or -1. */
function paddingStart(text: string): number {
  const last = text.length - 1;
  if (last < 7 || text.charCodeAt(last) !== 0x7d /* } */ || text.charCodeAt(last - 1) !== 0x22 /* " */) return -1;
  let at = last - 2;
  while (at >= 0 && ALNUM_CLASS[text.charCodeAt(at)] === 1) at--;
  // `at` is on the opening quote of the value: `…,"p":"` ends there.
  const member = at - (PAD_MEMBER.length - 1);
  if (member < 0 || !text.startsWith(PAD_MEMBER, member)) {
    return at === 5 && text.startsWith('{"p":"', 0) ? 1 : -1;
  }
  return member;
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
