/**
 * Server-sent events writer for streamed chat completions: `data: <json>\n\n` per chunk, then
 * `data: [DONE]\n\n` (OpenAI's terminator), or a final `data: {"error":...}` event and no [DONE] when
 * the stream fails after it started (openai-to-bedrock.md §3.2). Writes respect backpressure: a slow
 * caller pauses the upstream read instead of buffering the whole answer in memory.
 */
import type { ServerResponse } from 'node:http';

const DONE = 'data: [DONE]\n\n';

export class SseWriter {
  readonly #res: ServerResponse;
  #started = false;

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

  /** Writes the status line and headers (once). */
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
    // Send headers now: clients measure time to first byte, and a proxy may time out a silent stream.
    this.#res.flushHeaders();
  }

  /** Writes serialized chunk JSON strings as events; resolves when the socket can take more. */
  async write(chunks: readonly string[]): Promise<void> {
    if (chunks.length === 0 || this.closed) return;
    let payload = '';
    for (const chunk of chunks) payload += `data: ${chunk}\n\n`;
    if (!this.#res.write(payload)) await this.#drain();
  }

  /** Ends a successful stream with `[DONE]`. */
  end(): void {
    if (this.closed) return;
    this.#res.end(DONE);
  }

  /**
   * Ends a failed stream with an error event and no `[DONE]`, so SDKs raise instead of reporting success.
   * @param payload the serialized OpenAI error envelope (`streamErrorPayload`).
   */
  fail(payload: string): void {
    if (this.closed) return;
    this.#res.end(`data: ${payload}\n\n`);
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
