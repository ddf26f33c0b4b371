import { describe, expect, it } from 'vitest';
import { echo, formatDuration, GatewayError, MAX_ECHO_LENGTH, MAX_MESSAGE_LENGTH, modelNotFound } from './registry.js';

describe('echo', () => {
  it('repeats short values as they are', () => {
    expect(echo('tfy/nova-lite')).toBe('tfy/nova-lite');
    expect(echo(42)).toBe('42');
  });

  it('cuts long values with an ellipsis and their length', () => {
    const long = 'm'.repeat(1024 * 1024);
    const out = echo(long);
    expect(out.length).toBeLessThan(MAX_ECHO_LENGTH + 40);
    expect(out).toBe(`${'m'.repeat(MAX_ECHO_LENGTH)}… (1048576 characters)`);
  });

  it('never ends the excerpt in half a surrogate pair', () => {
    const out = echo(`${'a'.repeat(MAX_ECHO_LENGTH - 1)}😀😀`);
    expect(out.startsWith(`${'a'.repeat(MAX_ECHO_LENGTH - 1)}…`)).toBe(true);
  });

  it('bounds the not-found error of a 1 MB model name', () => {
    const body = JSON.stringify(modelNotFound('x'.repeat(1024 * 1024)).toBody());
    expect(body.length).toBeLessThan(600);
    expect(body).toContain('(1048576 characters)');
  });
});

describe('GatewayError bodies', () => {
  it('cut any message and param that skipped echo()', () => {
    const error = new GatewayError('invalid_value', `bad: ${'y'.repeat(100_000)}`, { param: 'p'.repeat(10_000) });
    const body = error.toBody();
    expect(body.error.message.length).toBeLessThan(MAX_MESSAGE_LENGTH + 40);
    expect(body.error.param?.length).toBeLessThan(MAX_ECHO_LENGTH + 40);
  });
});

describe('formatDuration', () => {
  it.each([
    [450.3562259999999, '450 ms'],
    [0.4, '0 ms'],
    [999.4, '999 ms'],
    [1000, '1 s'],
    [1549.99, '1.5 s'],
    [300_000, '300 s'],
    [Number.NaN, 'an unknown time'],
  ])('%s ms → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
