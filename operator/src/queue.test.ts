import { describe, expect, it } from 'vitest';
import { WorkQueue } from './queue.js';

describe('WorkQueue', () => {
  it('deduplicates queued keys and re-queues a key added while it is processed', async () => {
    const q = new WorkQueue();
    q.add('a');
    q.add('a');
    q.add('b');
    expect(q.length).toBe(2);
    const first = await q.get();
    expect(first).toBe('a');
    q.add('a'); // changed while in flight
    expect(q.length).toBe(1);
    q.done('a');
    expect([await q.get(), await q.get()]).toEqual(['b', 'a']);
    q.shutDown();
    expect(await q.get()).toBeUndefined();
  });

  it('backs off exponentially per key up to the cap, and forget resets it', () => {
    const q = new WorkQueue({ baseDelayMs: 10, maxDelayMs: 50 });
    const delays = [1, 2, 3, 4, 5].map(() => {
      const d = q.addRateLimited('k');
      q.shutDown(); // clear timers; the delays are what is asserted
      return d;
    });
    expect(delays).toEqual([10, 20, 40, 50, 50]);
    q.forget('k');
    expect(q.addRateLimited('k')).toBe(10);
    q.shutDown();
  });

  it('delivers a rate-limited key after its delay', async () => {
    const q = new WorkQueue({ baseDelayMs: 20 });
    const started = Date.now();
    q.addRateLimited('k');
    expect(await q.get()).toBe('k');
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
    q.shutDown();
  });
});
