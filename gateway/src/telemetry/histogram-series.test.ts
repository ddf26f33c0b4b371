import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { HistogramSeries } from './histogram-series.js';

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

function pair() {
  const config = { name: 'aigw_h_seconds', help: 'h', labelNames: ['route', 'kind'], buckets: BUCKETS };
  const direct = new Registry();
  const bound = new Registry();
  return {
    direct,
    bound,
    plain: new Histogram({ ...config, registers: [direct] }),
    fast: new Histogram({ ...config, registers: [bound] }),
  };
}

// Values on bucket bounds, between them, above the last one, zero and negative, with fractions whose
// sums round differently in another order.
function values(n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(i % 17 === 0 ? BUCKETS[i % BUCKETS.length]! : ((i * 7919) % 9973) / 1000 - 0.3);
  return out;
}

describe('HistogramSeries', () => {
  it("exposes exactly what prom-client's own observe exposes, across scrapes", async () => {
    const { direct, bound, plain, fast } = pair();
    const a = new HistogramSeries(fast, { route: 'chat', kind: 'total' });
    const b = new HistogramSeries(fast, { route: 'chat', kind: 'ttft' });
    const input = values(2000);
    for (const [i, v] of input.entries()) {
      (i % 3 ? a : b).observe(v);
      plain.observe({ route: 'chat', kind: i % 3 ? 'total' : 'ttft' }, v);
      if (i === 1000) expect(await bound.metrics()).toBe(await direct.metrics());
    }
    expect(await bound.metrics()).toBe(await direct.metrics());
    expect(await bound.metrics()).toContain('aigw_h_seconds_count{route="chat",kind="ttft"} 667');
  });

  it('shows no series before the first observation, and refuses what prom-client refuses', async () => {
    const { bound, fast } = pair();
    const a = new HistogramSeries(fast, { route: 'chat', kind: 'total' });
    expect(await bound.metrics()).not.toContain('route="chat"');
    a.observe(0.2);
    expect(() => a.observe(Number.NaN)).toThrow(TypeError);
    expect(() => a.observe(Number.POSITIVE_INFINITY)).toThrow(TypeError);
    expect(await bound.metrics()).toContain('aigw_h_seconds_count{route="chat",kind="total"} 1');
  });

  it('keeps counting into a series another binding made, and after the histogram was reset', async () => {
    const { direct, bound, plain, fast } = pair();
    const first = new HistogramSeries(fast, { route: 'chat', kind: 'total' });
    const second = new HistogramSeries(fast, { route: 'chat', kind: 'total' });
    for (const v of [0.3, 0.002, 7]) {
      first.observe(v);
      second.observe(v);
      plain.observe({ route: 'chat', kind: 'total' }, v);
      plain.observe({ route: 'chat', kind: 'total' }, v);
    }
    expect(await bound.metrics()).toBe(await direct.metrics());
    fast.reset();
    plain.reset();
    first.observe(0.04);
    second.observe(0.04);
    plain.observe({ route: 'chat', kind: 'total' }, 0.04);
    plain.observe({ route: 'chat', kind: 'total' }, 0.04);
    expect(await bound.metrics()).toBe(await direct.metrics());
    expect(await bound.metrics()).toContain('aigw_h_seconds_count{route="chat",kind="total"} 2');
  });
});
