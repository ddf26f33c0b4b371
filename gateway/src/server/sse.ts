/**
 * Server-sent events writer for streamed chat completions: `data: <json>\n\n` per chunk, then
 * `data: [DONE]\n\n` (OpenAI's terminator), or a final `data: {"error":...}` event and no [DONE] when
 * the stream fails after it started (openai-to-bedrock.md §3.2). Writes respect backpressure: a slow
 * caller pauses the upstream read instead of buffering the whole answer in memory.
 *
 * Each write is one socket write: the caller joins the events it has (those of one upstream read) with
 * {@link sseEvents}, and the response headers go out with the first of them rather than on their own.
 */
import type { ServerResponse } from 'node:http';

const DONE = 'data: [DONE]\n\n';
const DONE_WRITING: Promise<void> = Promise.resolve();

/** Frames serialized chunk JSON strings as SSE events, in order (the empty string for none). */
export function sseEvents(chunks: readonly string[]): string {
  let text = '';
  for (const chunk of chunks) text += `data: ${chunk}\n\n`;
  return text;
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
   * Sets the status line and headers (once). They are sent with the first write (the role chunk, which the
   * stream already holds when it starts), or by a write of nothing if that has no events.
   */
  start(headers: Record<string, string | number | string[]>): void {
    if (this.#started) return;
    this.#started = true;
    this.#res.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      // nginx and similar proxies buffer responses unless told not to; SSE must flow chunk by chunk.
      'x-accel-buffering': 'no',
    });
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
  writeText(text: string): Promise<void> {
    if (this.closed) return DONE_WRITING;
    if (text === '') {
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

  /** Ends a successful stream with `[DONE]`, after `before` (framed events still owed). */
  end(before = ''): void {
    if (this.closed) return;
    this.#res.end(before === '' ? DONE : before + DONE);
  }

  /**
   * Ends a failed stream with an error event and no `[DONE]`, so SDKs raise instead of reporting success.
   * @param payload the serialized OpenAI error envelope (`streamErrorPayload`).
   * @param before framed events translated before the failure, written first.
   */
  fail(payload: string, before = ''): void {
    if (this.closed) return;
    this.#res.end(`${before}data: ${payload}\n\n`);
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
