/**
 * The windows limits are counted in: fixed calendar minutes (requests and tokens per minute) and
 * calendar days and months of a policy's time zone (spend), plus OpenAI's duration format for the
 * `x-ratelimit-reset-*` headers.
 */

export interface Window {
  /** Stable id, part of the store key (`m29012345`, `d2026-12-03`, `M2026-12`). */
  readonly id: string;
  /** Epoch ms, inclusive. */
  readonly start: number;
  /** Epoch ms, exclusive. */
  readonly end: number;
}

const MINUTE_MS = 60_000;

export function minuteWindow(now: number): Window {
  const n = Math.floor(now / MINUTE_MS);
  return { id: `m${n}`, start: n * MINUTE_MS, end: (n + 1) * MINUTE_MS };
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function wallTime(t: number, timeZone: string): WallTime {
  const out: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(t)) {
    if (part.type !== 'literal') out[part.type] = Number(part.value);
  }
  return out as unknown as WallTime;
}

/** Milliseconds the zone is ahead of UTC at instant `t`. */
function zoneOffset(t: number, timeZone: string): number {
  const w = wallTime(t, timeZone);
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - Math.floor(t / 1000) * 1000;
}

/** The instant a wall-clock midnight happens in the zone (two passes settle a DST change that day). */
function zonedMidnight(year: number, month: number, day: number, timeZone: string): number {
  const guess = Date.UTC(year, month - 1, day);
  let t = guess - zoneOffset(guess, timeZone);
  t = guess - zoneOffset(t, timeZone);
  return t;
}

const pad = (n: number) => String(n).padStart(2, '0');

export function dayWindow(now: number, timeZone: string): Window {
  const w = wallTime(now, timeZone);
  const start = zonedMidnight(w.year, w.month, w.day, timeZone);
  const next = new Date(Date.UTC(w.year, w.month - 1, w.day + 1));
  const end = zonedMidnight(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate(), timeZone);
  return { id: `d${w.year}-${pad(w.month)}-${pad(w.day)}`, start, end };
}

export function monthWindow(now: number, timeZone: string): Window {
  const w = wallTime(now, timeZone);
  const start = zonedMidnight(w.year, w.month, 1, timeZone);
  const next = new Date(Date.UTC(w.year, w.month, 1));
  const end = zonedMidnight(next.getUTCFullYear(), next.getUTCMonth() + 1, 1, timeZone);
  return { id: `M${w.year}-${pad(w.month)}`, start, end };
}

/**
 * A calendar window cache per (kind, zone): computing a zoned window formats dates, so it is done once
 * per window and reused until the window ends.
 */
export class WindowCache {
  readonly #cache = new Map<string, Window>();

  get(kind: 'day' | 'month', timeZone: string, now: number): Window {
    const key = `${kind}\0${timeZone}`;
    const hit = this.#cache.get(key);
    if (hit && now >= hit.start && now < hit.end) return hit;
    const w = kind === 'day' ? dayWindow(now, timeZone) : monthWindow(now, timeZone);
    this.#cache.set(key, w);
    return w;
  }
}

/**
 * OpenAI's duration format of `x-ratelimit-reset-*`: `20ms`, `1s`, `6m0s`, `1h2m3s` (whole units,
 * rounded up so a client that waits that long finds the window reset).
 */
export function formatResetDuration(ms: number): string {
  if (ms <= 0) return '0s';
  if (ms < 1000) return `${Math.ceil(ms)}ms`;
  const total = Math.ceil(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}
