/**
 * A line writer into a streamed S3 upload with backpressure: `write` resolves at once while the upload
 * keeps up and waits for `drain` when it does not, so a large file never sits in memory. A failed upload
 * fails the next write instead of leaving the writer waiting forever.
 */
import { PassThrough } from 'node:stream';

export class UploadSink {
  readonly stream = new PassThrough({ highWaterMark: 1 << 20 });
  private failure: unknown;
  private buffered: string[] = [];
  private bufferedLength = 0;
  private readonly waiters = new Set<(err?: unknown) => void>();

  /** Watches the upload that reads {@link stream}: its failure is surfaced to writers. */
  watch(upload: Promise<unknown>): Promise<unknown> {
    const watched = upload.catch((err: unknown) => {
      this.failure ??= err;
      for (const w of this.waiters) w(err);
      this.waiters.clear();
      throw err;
    });
    // The creator awaits `watched`; this only keeps an early failure from being reported as unhandled.
    watched.catch(() => {});
    return watched;
  }

  /** Adds one line (a newline is appended). Lines are grouped into ~64 KiB writes. */
  write(line: string): Promise<void> | undefined {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    this.buffered.push(line, '\n');
    this.bufferedLength += line.length + 1;
    if (this.bufferedLength < 65_536) return undefined;
    return this.flush();
  }

  private flush(): Promise<void> | undefined {
    if (this.buffered.length === 0) return undefined;
    const chunk = this.buffered.join('');
    this.buffered = [];
    this.bufferedLength = 0;
    if (this.stream.write(chunk)) return undefined;
    return new Promise<void>((resolve, reject) => {
      const done = (err?: unknown) => {
        this.stream.off('drain', onDrain);
        this.waiters.delete(done);
        if (err === undefined) resolve();
        else reject(err);
      };
      const onDrain = () => done();
      this.stream.once('drain', onDrain);
      this.waiters.add(done);
    });
  }

  /** Writes what is left and ends the stream (the upload then completes). */
  async end(): Promise<void> {
    const pending = this.flush();
    if (pending) await pending;
    this.stream.end();
  }

  /** Fails the upload: the store aborts it, leaving nothing in S3. */
  abort(reason: unknown): void {
    this.stream.destroy(reason instanceof Error ? reason : new Error('aborted'));
  }
}
