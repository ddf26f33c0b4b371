import { Counter, Gauge, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { PendingCounter, PendingGauge, SeriesIndex } from './pending.js';

function counters() {
  const direct = new Registry();
  const pending = new Registry();
  const series = new PendingCounter(['account', 'kind'] as const);
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
    const a = series.child('a', 'input');
    const b = series.child('b', 'output');
    expect(series.child('a', 'input')).toBe(a);
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
    series.child('a', 'input');
    expect(await pending.metrics()).not.toContain('account="a"');
  });
});

describe('PendingGauge', () => {
  it('sets each level on the gauge at a scrape, zero included', async () => {
    const registry = new Registry();
    const levels = new PendingGauge(['route'] as const);
    levels.bind(
      new Gauge({
        name: 'aigw_y',
        help: 'y',
        labelNames: ['route'],
        registers: [registry],
        collect: () => levels.flush(),
      }),
    );
    const chat = levels.child('chat');
    chat.inc();
    chat.inc();
    expect(await registry.metrics()).toContain('aigw_y{route="chat"} 2');
    chat.dec();
    chat.dec();
    expect(await registry.metrics()).toContain('aigw_y{route="chat"} 0');
  });
});

describe('SeriesIndex', () => {
  it('finds a value only by all of its label values, in order', () => {
    const index = new SeriesIndex<string>(4);
    index.set('chat-a-m-200', 'chat', 'a', 'm', 200);
    index.set('chat-a-m-500', 'chat', 'a', 'm', 500);
    index.set('chat-b-m-200', 'chat', 'b', 'm', 200);
    expect(index.get('chat', 'a', 'm', 200)).toBe('chat-a-m-200');
    expect(index.get('chat', 'a', 'm', 500)).toBe('chat-a-m-500');
    expect(index.get('chat', 'b', 'm', 200)).toBe('chat-b-m-200');
    expect(index.get('chat', 'b', 'm', 500)).toBeUndefined();
    // Values that a joined key could confuse stay apart: 'a\0m' + 'x' against 'a' + 'm\0x'.
    index.set('left', 'r', 'a\0m', 'x', 1);
    index.set('right', 'r', 'a', 'm\0x', 1);
    expect(index.get('r', 'a\0m', 'x', 1)).toBe('left');
    expect(index.get('r', 'a', 'm\0x', 1)).toBe('right');
    // A number and its string are different label values to the index; callers use one or the other.
    expect(index.get('chat', 'a', 'm', '200')).toBeUndefined();
  });

  it('works at every depth', () => {
    const one = new SeriesIndex<number>(1);
    one.set(1, 'chat');
    expect(one.get('chat')).toBe(1);
    expect(one.get('embeddings')).toBeUndefined();
    const two = new SeriesIndex<number>(2);
    two.set(2, 'chat', 'ttft');
    expect(two.get('chat', 'ttft')).toBe(2);
    expect(two.get('chat', 'total')).toBeUndefined();
  });
});

describe('PendingCounter labels', () => {
  it('names each value by its label, numbers as strings', async () => {
    const registry = new Registry();
    const series = new PendingCounter(['route', 'status'] as const);
    series.bind(
      new Counter({
        name: 'aigw_z_total',
        help: 'z',
        labelNames: ['route', 'status'],
        registers: [registry],
        collect: () => series.flush(),
      }),
    );
    series.child('chat', 200).inc();
    series.child('chat', 200).inc();
    series.child('chat', 429).inc();
    const text = await registry.metrics();
    expect(text).toContain('aigw_z_total{route="chat",status="200"} 2');
    expect(text).toContain('aigw_z_total{route="chat",status="429"} 1');
  });
});
