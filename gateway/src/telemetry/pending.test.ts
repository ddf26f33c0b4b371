import { Counter, Gauge, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { PendingCounter, PendingGauge } from './pending.js';

function counters() {
  const direct = new Registry();
  const pending = new Registry();
  const series = new PendingCounter<'account' | 'kind'>();
  const config = { name: 'aigw_x_total', help: 'x', labelNames: ['account', 'kind'] as const };
  const plain = new Counter({ ...config, labelNames: [...config.labelNames], registers: [direct] });
  series.bind(
    new Counter({ ...config, labelNames: [...config.labelNames], registers: [pending], collect: () => series.flush() }),
  );
  return { direct, pending, plain, series };
}

describe('PendingCounter', () => {
  it('exposes what prom-client exposes for the same increments, across scrapes', async () => {
    const { direct, pending, plain, series } = counters();
    const a = series.child('a\0input', () => ({ account: 'a', kind: 'input' }));
    const b = series.child('b\0output', () => ({ account: 'b', kind: 'output' }));
    expect(series.child('a\0input', () => ({ account: 'a', kind: 'input' }))).toBe(a);
    a.inc(120);
    plain.labels('a', 'input').inc(120);
    b.inc();
    plain.labels('b', 'output').inc();
    expect(await pending.metrics()).toBe(await direct.metrics());
    a.inc(5);
    plain.labels('a', 'input').inc(5);
    // A scrape hands over only what was counted since the last one.
    expect(await pending.metrics()).toBe(await direct.metrics());
    expect(await pending.metrics()).toContain('aigw_x_total{account="a",kind="input"} 125');
  });

  it('shows no series before its first increment', async () => {
    const { pending, series } = counters();
    series.child('a\0input', () => ({ account: 'a', kind: 'input' }));
    expect(await pending.metrics()).not.toContain('account="a"');
  });
});

describe('PendingGauge', () => {
  it('sets each level on the gauge at a scrape, zero included', async () => {
    const registry = new Registry();
    const levels = new PendingGauge<'route'>();
    levels.bind(
      new Gauge({
        name: 'aigw_y',
        help: 'y',
        labelNames: ['route'],
        registers: [registry],
        collect: () => levels.flush(),
      }),
    );
    const chat = levels.child('chat', () => ({ route: 'chat' }));
    chat.inc();
    chat.inc();
    expect(await registry.metrics()).toContain('aigw_y{route="chat"} 2');
    chat.dec();
    chat.dec();
    expect(await registry.metrics()).toContain('aigw_y{route="chat"} 0');
  });
});
