/**
 * Splits a byte stream into lines with their byte offsets, without buffering the stream: a line is held
 * only until its newline arrives, and a line longer than `maxLineBytes` is refused rather than buffered.
 * Hand-written because node:readline neither bounds a line nor reports byte offsets, and the output
 * join reads records back from S3 by byte range.
 */
import type { Readable } from 'node:stream';
import { GatewayError } from '../errors/index.js';

/** One line: its text (without `\n` or a trailing `\r`), 1-based number, byte offset and byte length. */
export interface StreamLine {
  text: string;
  lineNumber: number;
  offset: number;
  /** Bytes of the line without its newline. */
  length: number;
}

const NEWLINE = 0x0a;

/**
 * The lines of a stream, blank ones included (callers skip them; line numbers count them as editors do).
 *
 * @throws GatewayError request_too_large when a line exceeds `maxLineBytes`.
 */
export async function* streamLines(
  stream: Readable,
  options: { maxLineBytes: number; what: string },
): AsyncGenerator<StreamLine> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let lineStart = 0;
  let position = 0;
  let lineNumber = 0;
  const take = (tail: Buffer): StreamLine => {
    const bytes = pending.length === 0 ? tail : Buffer.concat([...pending, tail], pendingBytes + tail.length);
    pending = [];
    pendingBytes = 0;
    let length = bytes.length;
    if (length > 0 && bytes[length - 1] === 0x0d) length -= 1;
    lineNumber += 1;
    return { text: bytes.toString('utf8', 0, length), lineNumber, offset: lineStart, length };
  };
  for await (const chunk of stream) {
    const buf: Buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    let from = 0;
    for (;;) {
      const nl = buf.indexOf(NEWLINE, from);
      if (nl === -1) break;
      const tail = buf.subarray(from, nl);
      if (pendingBytes + tail.length > options.maxLineBytes) throw tooLong(lineNumber + 1, options);
      yield take(tail);
      position += nl - from + 1;
      lineStart = position;
      from = nl + 1;
    }
    const rest = buf.subarray(from);
    if (rest.length > 0) {
      if (pendingBytes + rest.length > options.maxLineBytes) throw tooLong(lineNumber + 1, options);
      pending.push(rest);
      pendingBytes += rest.length;
      position += rest.length;
    }
  }
  if (pendingBytes > 0) yield take(Buffer.alloc(0));
}

function tooLong(lineNumber: number, options: { maxLineBytes: number; what: string }): GatewayError {
  return new GatewayError(
    'request_too_large',
    `Line ${lineNumber} of ${options.what} is longer than ${options.maxLineBytes} bytes.`,
  );
}
