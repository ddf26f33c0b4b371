/**
 * Server-sent events writer for streamed chat completions: `data: <json>\n\n` per chunk, then
 * `data: [DONE]\n\n` (OpenAI's terminator), or a final `data: {"error":...}` event and no [DONE] when
 * the stream fails after it started (openai-to-bedrock.md §3.2). Writes respect backpressure: a slow
 * caller pauses the upstream read instead of buffering the whole answer in memory.
 *
 * Each write is one socket write: the caller joins the events it has (those of one upstream read) with
 * {@link sseEvents} or an {@link SseBatch}, and the response headers go out with the first of them rather than
 * on their own.
 */
import type { ServerResponse } from 'node:http';
import type { TextSplice } from '../translate/chat/index.js';
import type { TextDeltaEvent } from '../upstream/index.js';

const DONE = 'data: [DONE]\n\n';
const DONE_WRITING: Promise<void> = Promise.resolve();

/** Frames serialized chunk JSON strings as SSE events, in order (the empty string for none). */
export function sseEvents(chunks: readonly string[]): string {
  let text = '';
  for (const chunk of chunks) text += `data: ${chunk}\n\n`;
  return text;
}

/** Text deltas up to this many bytes are copied byte by byte: cheaper than a native copy call. */
const SHORT_COPY = 32;

/**
 * The SSE events of one upstream read, in order, for one write: serialised chunks framed as events, and text
 * deltas spliced in as bytes — the chunk's fixed text before the delta's JSON string body, the body copied
 * from Bedrock's frame as it is, and the fixed text after it (`TextSplice`). That skips, for each streamed
 * token, decoding its text, `JSON.stringify` of it, building the chunk string and encoding that to UTF-8 again
 * on the socket; the bytes are the same.
 */
export class SseBatch {
  readonly #before: Buffer;
  readonly #after: Buffer;
  #parts: (string | TextDeltaEvent)[] = [];
  /** Framed events since the last spliced delta. */
  #text = '';
  /** Byte length of the spliced deltas with their fixed text. */
  #bytes = 0;

  constructor(splice: TextSplice) {
    this.#before = Buffer.from(`data: ${splice.before}`);
    this.#after = Buffer.from(`${splice.after}\n\n`);
  }

  /** Adds serialised chunk JSON strings as events. */
  events(chunks: readonly string[]): void {
    this.#text += sseEvents(chunks);
  }

  /** Adds a text delta's event, its text copied from the frame (`TextDeltaEvent`: valid JSON string body). */
  text(delta: TextDeltaEvent): void {
    if (this.#text !== '') {
      this.#parts.push(this.#text);
      this.#text = '';
    }
    this.#parts.push(delta);
    this.#bytes += this.#before.length + (delta.end - delta.start) + this.#after.length;
  }

  /**
   * Everything added since the last take, and then `suffix` (framed text, such as `[DONE]`), as one string (no
   * spliced delta) or one buffer; then empty.
   */
  take(suffix = ''): string | Buffer {
    const parts = this.#parts;
    if (parts.length === 0) {
      const text = this.#text + suffix;
      this.#text = '';
      return text;
    }
    const text = this.#text + suffix;
    if (text !== '') parts.push(text);
    let size = this.#bytes;
    for (const part of parts) if (typeof part === 'string') size += Buffer.byteLength(part);
    const out = Buffer.allocUnsafe(size);
    const before = this.#before;
    const after = this.#after;
    let at = 0;
    for (const part of parts) {
      if (typeof part === 'string') {
        at += out.write(part, at);
        continue;
      }
      out.set(before, at);
      at += before.length;
      const { bytes, start, end } = part;
      if (end - start <= SHORT_COPY) for (let i = start; i < end; i++) out[at++] = bytes[i]!;
      else at += bytes.copy(out, at, start, end);
      out.set(after, at);
      at += after.length;
    }
    this.#parts = [];
    this.#text = '';
    this.#bytes = 0;
    return out;
  }
}

export class SseWriter {
  readonly #res: ServerResponse;
  #started = false;
  /** Whether anything (headers included) went to the socket yet. */
  #wrote = false;

  constructor(res: ServerResponse) {
    this.#res = res;
  }

  get started(): boolean {
    return this.#started;
  }

  /** Whether the caller is gone (socket closed or response destroyed). */
  get closed(): boolean {
    return this.#res.destroyed || this.#res.writableEnded;
  }

  /**
   * Sets the status line and headers (once), adding the event stream's own to `headers` (which it keeps). They
   * are sent with the first write (the role chunk, which the stream already holds when it starts), or by a
   * write of nothing if that has no events.
   */
  start(headers: Record<string, string | number | string[]>): void {
    if (this.#started) return;
    this.#started = true;
    headers['content-type'] = 'text/event-stream; charset=utf-8';
    headers['cache-control'] = 'no-cache';
    // nginx and similar proxies buffer responses unless told not to; SSE must flow chunk by chunk.
    headers['x-accel-buffering'] = 'no';
    this.#res.writeHead(200, headers);
  }

  /** Writes serialized chunk JSON strings as events; resolves when the socket can take more. */
  write(chunks: readonly string[]): Promise<void> {
    return this.writeText(sseEvents(chunks));
  }

  /**
   * Writes events already framed by {@link sseEvents} in one write; resolves when the socket can take more.
   * With nothing to write, still sends the headers if they are not out yet: a caller (or a proxy that times
   * out silent streams) sees the response start as soon as the stream does.
   */
  writeText(text: string | Buffer): Promise<void> {
    if (this.closed) return DONE_WRITING;
    if (text.length === 0) {
      // (`headersSent` is already true once writeHead has run, before anything was sent.)
      if (!this.#wrote) this.#res.flushHeaders();
      this.#wrote = true;
      return DONE_WRITING;
    }
    this.#wrote = true;
    return this.#res.write(text) ? DONE_WRITING : this.#drain();
  }

  /**
   * Sends what was written in this tick now. Node's HTTP response corks the socket at a tick's first write and
   * sends on the next tick; a read that brought many tokens is translated in one tick, so without this the
   * first token would wait for the translation of all the others.
   */
  flush(): void {
    // The socket's own uncork, the one the response scheduled for the next tick (which then finds nothing
    // corked): the response's uncork() is about its own cork() buffer, not this one.
    const socket = this.#res.socket;
    if (!this.closed && socket && socket.writableCorked > 0) socket.uncork();
  }

  /**
   * Ends a successful stream with `[DONE]`, after `before`: framed events still owed, or the batch that holds
   * them (its events and `[DONE]` then go out as one buffer in one `end()`).
   */
  end(before: string | SseBatch = ''): void {
    if (this.closed) return;
    this.#res.end(typeof before === 'string' ? before + DONE : before.take(DONE));
  }

  /**
   * Ends a failed stream with an error event and no `[DONE]`, so SDKs raise instead of reporting success.
   * @param payload the serialized OpenAI error envelope (`streamErrorPayload`).
   * @param before framed events translated before the failure, or the batch holding them: written first, in
   *   the same `end()`.
   */
  fail(payload: string, before: string | SseBatch = ''): void {
    if (this.closed) return;
    const event = `data: ${payload}\n\n`;
    this.#res.end(typeof before === 'string' ? before + event : before.take(event));
  }

  #drain(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.#res.off('drain', done);
        this.#res.off('close', done);
        resolve();
      };
      this.#res.on('drain', done);
      this.#res.on('close', done);
    });
  }
}
