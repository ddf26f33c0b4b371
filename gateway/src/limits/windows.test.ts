import { describe, expect, it } from 'vitest';
import { dayWindow, formatResetDuration, minuteWindow, monthWindow } from './windows.js';

describe('limit windows', () => {
  it('minutes are fixed calendar minutes', () => {
    const w = minuteWindow(Date.UTC(2026, 0, 1, 10, 30, 15));
    expect([new Date(w.start).toISOString(), new Date(w.end).toISOString()]).toEqual([
      '2026-01-01T10:30:00.000Z',
      '2026-01-01T10:31:00.000Z',
    ]);
  });

  it('days and months follow the time zone, including a day with a DST change', () => {
    const utc = dayWindow(Date.UTC(2026, 2, 29, 23, 30), 'UTC');
    expect(utc.id).toBe('d2026-03-29');
    // 2026-03-29 in Berlin is 23 hours long (clocks go forward at 02:00).
    const berlin = dayWindow(Date.UTC(2026, 2, 29, 12), 'Europe/Berlin');
    expect(new Date(berlin.start).toISOString()).toBe('2026-03-28T23:00:00.000Z');
    expect(new Date(berlin.end).toISOString()).toBe('2026-03-29T22:00:00.000Z');
    const ny = monthWindow(Date.UTC(2026, 11, 1, 3), 'America/New_York'); // still November there
    expect(ny.id).toBe('M2026-11');
    expect(new Date(ny.start).toISOString()).toBe('2026-11-01T04:00:00.000Z');
    expect(new Date(ny.end).toISOString()).toBe('2026-12-01T05:00:00.000Z');
  });

  it('formats resets as OpenAI does', () => {
    expect(formatResetDuration(20)).toBe('20ms');
    expect(formatResetDuration(1000)).toBe('1s');
    expect(formatResetDuration(360_000)).toBe('6m0s');
    expect(formatResetDuration(3_723_000)).toBe('1h2m3s');
  });
});
