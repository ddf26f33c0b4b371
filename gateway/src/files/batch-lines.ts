/**
 * Streaming validation of an OpenAI batch input file (JSONL) while it is uploaded: each line must be
 * `{"custom_id": string (unique in the file), "method": "POST", "url": "/v1/chat/completions" |
 * "/v1/embeddings", "body": object}`. Bytes are pushed as they arrive; only the current line is held.
 * Errors name the line (counted from 1) and the field, e.g. `Line 3: 'custom_id' must be a string.`
 *
 * Cost per file: one line buffered (≤ maxLineBytes), one nesting scan and one JSON.parse per line, and a
 * set of custom ids (ids longer than 64 characters are kept as a 32-byte digest) for at most maxLines lines.
 */
import { createHash } from 'node:crypto';
import { GatewayError } from '../errors/index.js';
import { jsonNestingExceeds } from '../json/index.js';
import type { FilesOptions } from './defaults.js';

/** The endpoints a batch line may call (Bedrock batch inference serves chat and embeddings). */
export const BATCH_LINE_URLS = ['/v1/chat/completions', '/v1/embeddings'] as const;
const FIELDS = new Set(['custom_id', 'method', 'url', 'body']);
const NEWLINE = 0x0a;
const utf8 = new TextDecoder('utf-8', { fatal: true });

export type BatchLineLimits = Pick<FilesOptions, 'maxLineBytes' | 'maxNestingDepth' | 'maxLines' | 'maxCustomIdLength'>;

/** Error of a batch line: 400, `param: 'file'`, message starting with `Line N`. */
export function batchLineError(line: number, message: string): GatewayError {
  return new GatewayError('invalid_value', `Line ${line} of the file: ${message}`, { param: 'file' });
}

/** Validates a batch file pushed chunk by chunk. Throws GatewayError at the first bad line. */
export class BatchLineValidator {
  /** Lines with a request so far. */
  requests = 0;
  /** Bytes seen so far. */
  bytes = 0;
  private line = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private blankAt = 0;
  private readonly ids = new Set<string>();

  constructor(private readonly limits: BatchLineLimits) {}

  /** Feeds the next bytes of the file. */
  push(chunk: Buffer): void {
    this.bytes += chunk.length;
    let start = 0;
    for (let nl = chunk.indexOf(NEWLINE, start); nl !== -1; nl = chunk.indexOf(NEWLINE, start)) {
      const piece = chunk.subarray(start, nl);
      this.checkLength(piece.length);
      if (this.pendingBytes === 0) this.onLine(piece);
      else {
        this.pending.push(piece);
        this.onLine(Buffer.concat(this.pending, this.pendingBytes + piece.length));
        this.pending = [];
        this.pendingBytes = 0;
      }
      start = nl + 1;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      this.checkLength(rest.length);
      // Copied: the caller may reuse its buffer.
      this.pending.push(Buffer.from(rest));
      this.pendingBytes += rest.length;
    }
  }

  /** Ends the file: validates a last line without newline and that there was at least one request. */
  end(): void {
    if (this.pendingBytes > 0) {
      this.onLine(Buffer.concat(this.pending, this.pendingBytes));
      this.pending = [];
      this.pendingBytes = 0;
    }
    if (this.requests === 0)
      throw new GatewayError(
        'invalid_value',
        'The file has no requests: a batch file holds one JSON request per line.',
        { param: 'file' },
      );
  }

  private checkLength(more: number): void {
    if (this.pendingBytes + more > this.limits.maxLineBytes)
      throw batchLineError(this.line + 1, `the line is longer than ${this.limits.maxLineBytes} bytes.`);
  }

  private onLine(raw: Buffer): void {
    this.line++;
    let bytes = raw;
    if (bytes.length > 0 && bytes[bytes.length - 1] === 0x0d) bytes = bytes.subarray(0, bytes.length - 1);
    if (this.line === 1 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
    if (isBlank(bytes)) {
      // Blank lines are fine at the end of the file only.
      if (this.blankAt === 0) this.blankAt = this.line;
      return;
    }
    if (this.blankAt !== 0)
      throw batchLineError(
        this.blankAt,
        'the line is empty; every line must hold one request (blank lines are allowed only at the end).',
      );
    if (this.requests >= this.limits.maxLines)
      throw batchLineError(
        this.line,
        `the file has more than ${this.limits.maxLines} requests, the most one batch takes.`,
      );
    this.checkNesting(bytes);
    let text: string;
    try {
      text = utf8.decode(bytes);
    } catch {
      throw batchLineError(this.line, 'the line is not valid UTF-8.');
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      const detail = err instanceof SyntaxError && err.message.length < 200 ? ` (${err.message})` : '';
      throw batchLineError(this.line, `the line is not valid JSON${detail}.`);
    }
    this.checkRequest(value);
    this.requests++;
  }

  /** Rejects nesting deeper than the limit before JSON.parse sees it (the gateway's one depth scan). */
  private checkNesting(bytes: Buffer): void {
    const max = this.limits.maxNestingDepth;
    if (jsonNestingExceeds(bytes, max))
      throw batchLineError(this.line, `the JSON is nested deeper than ${max} levels.`);
  }

  private checkRequest(value: unknown): void {
    const line = this.line;
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw batchLineError(line, 'expected a JSON object with custom_id, method, url and body.');
    const request = value as Record<string, unknown>;
    for (const key of Object.keys(request))
      if (!FIELDS.has(key))
        throw batchLineError(
          line,
          `unknown field '${printable(key)}'; a request line has custom_id, method, url and body.`,
        );
    const id = request.custom_id;
    if (id === undefined) throw batchLineError(line, "missing 'custom_id'.");
    if (typeof id !== 'string') throw batchLineError(line, "'custom_id' must be a string.");
    if (id.length === 0) throw batchLineError(line, "'custom_id' must not be empty.");
    if (id.length > this.limits.maxCustomIdLength)
      throw batchLineError(line, `'custom_id' is longer than ${this.limits.maxCustomIdLength} characters.`);
    const seen = id.length <= 64 ? id : createHash('sha256').update(id, 'utf8').digest('base64');
    if (this.ids.has(seen))
      throw batchLineError(
        line,
        `'custom_id' '${printable(id)}' is used by an earlier line; custom ids must be unique within the file.`,
      );
    this.ids.add(seen);
    if (request.method === undefined) throw batchLineError(line, "missing 'method'.");
    if (request.method !== 'POST') throw batchLineError(line, "'method' must be 'POST'.");
    const url = request.url;
    if (url === undefined) throw batchLineError(line, "missing 'url'.");
    if (typeof url !== 'string' || !(BATCH_LINE_URLS as readonly string[]).includes(url))
      throw batchLineError(line, `'url' must be one of ${BATCH_LINE_URLS.join(', ')}.`);
    const body = request.body;
    if (body === undefined) throw batchLineError(line, "missing 'body'.");
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw batchLineError(line, "'body' must be a JSON object (the request body of the url).");
  }
}

function isBlank(bytes: Buffer): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d) return false;
  }
  return true;
}

/** A caller's string, bounded and printable, for an error message. */
function printable(text: string): string {
  const clean = text.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 64 ? `${clean.slice(0, 64)}...` : clean;
}
