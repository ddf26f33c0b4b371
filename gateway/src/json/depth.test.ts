import { describe, expect, it } from 'vitest';
import { GatewayError } from '../errors/index.js';
import { JSON_DEFAULTS } from './defaults.js';
import { jsonNestingExceeds, parseJsonWithinDepth, valueNestingExceeds } from './depth.js';

const nested = (depth: number, open = '[', close = ']') => `${open.repeat(depth)}${close.repeat(depth)}`;

describe('jsonNestingExceeds', () => {
  it('counts arrays and objects, mixed', () => {
    expect(jsonNestingExceeds('{}', 1)).toBe(false);
    expect(jsonNestingExceeds('{"a":[{}]}', 3)).toBe(false);
    expect(jsonNestingExceeds('{"a":[{}]}', 2)).toBe(true);
    expect(jsonNestingExceeds('[1,2,3]', 0)).toBe(true);
    expect(jsonNestingExceeds('"scalar"', 0)).toBe(false);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(jsonNestingExceeds(`{"a":"${'['.repeat(500)}"}`, 1)).toBe(false);
    expect(jsonNestingExceeds('{"a":"\\"[[[[[[","b":1}', 1)).toBe(false);
    expect(jsonNestingExceeds('{"a":"\\\\","b":[[1]]}', 2)).toBe(true);
  });

  it('tells escaped quotes from closing ones after runs of backslashes', () => {
    // "\"[[\"" is one string; "\\\\" ends after two escaped backslashes.
    const escapedQuotes = `{"a":"${'\\"[['.repeat(1000)}"}`;
    expect(jsonNestingExceeds(escapedQuotes, 1)).toBe(false);
    expect(jsonNestingExceeds(Buffer.from(escapedQuotes), 1)).toBe(false);
    const evenRun = `{"a":"${'\\\\'.repeat(501)}","b":${'['.repeat(3)}1${']'.repeat(3)}}`;
    expect(jsonNestingExceeds(evenRun, 3)).toBe(true);
    expect(jsonNestingExceeds(evenRun, 4)).toBe(false);
    expect(jsonNestingExceeds(Buffer.from(evenRun), 3)).toBe(true);
    expect(JSON.parse(escapedQuotes)).toBeTypeOf('object');
    expect(JSON.parse(evenRun)).toBeTypeOf('object');
  });

  it('reads strings of every length around the short-string scan the same way, escaped quotes anywhere', () => {
    for (let length = 0; length < 80; length++) {
      for (const at of [0, 1, 15, 30, 31, 32, 33, 40, 64]) {
        const chars = Array.from({ length }, (_, i) => (i === at ? '\\"[[' : 'x'));
        const text = `{"k":"${chars.join('')}","b":[[1]]}`;
        expect(JSON.parse(text)).toBeTypeOf('object');
        expect(jsonNestingExceeds(Buffer.from(text), 2), text).toBe(true);
        expect(jsonNestingExceeds(Buffer.from(text), 3), text).toBe(false);
        expect(jsonNestingExceeds(text, 2), text).toBe(true);
      }
    }
  });

  it('depth resets between siblings', () => {
    const wide = `[${Array.from({ length: 1000 }, () => nested(10)).join(',')}]`;
    expect(jsonNestingExceeds(wide, 11)).toBe(false);
    expect(jsonNestingExceeds(wide, 10)).toBe(true);
  });

  it('reads UTF-8 bytes like the string', () => {
    const text = `{"é😀":[[["[[["]]]}`;
    expect(jsonNestingExceeds(Buffer.from(text), 4)).toBe(false);
    expect(jsonNestingExceeds(Buffer.from(text), 3)).toBe(true);
  });

  it('refuses a million levels without recursing (no stack overflow)', () => {
    expect(jsonNestingExceeds(nested(1_000_000), JSON_DEFAULTS.maxNestingDepth)).toBe(true);
    expect(jsonNestingExceeds(nested(1_000_000, '{"a":', '}'), JSON_DEFAULTS.maxNestingDepth)).toBe(true);
  });
});

describe('parseJsonWithinDepth', () => {
  it('parses JSON within the limit', () => {
    expect(parseJsonWithinDepth('{"a":[1]}', 'x')).toEqual({ a: [1] });
    expect(() => parseJsonWithinDepth(nested(64), 'x')).not.toThrow();
  });

  it('refuses deeper JSON with a 400 naming the field and the limit', () => {
    let caught: unknown;
    try {
      parseJsonWithinDepth(nested(5000), 'messages[1].tool_calls[0].function.arguments');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(GatewayError);
    const error = caught as GatewayError;
    expect(error.status).toBe(400);
    expect(error.param).toBe('messages[1].tool_calls[0].function.arguments');
    expect(error.message).toContain(`nesting deeper than ${JSON_DEFAULTS.maxNestingDepth}`);
  });

  it('leaves syntax errors to the caller as SyntaxErrors', () => {
    expect(() => parseJsonWithinDepth('{"a":', 'x')).toThrow(SyntaxError);
  });
});

describe('valueNestingExceeds', () => {
  it('measures parsed values without recursion', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(valueNestingExceeds(deep, 64)).toBe(true);
    expect(valueNestingExceeds({ a: [{ b: {} }] }, 4)).toBe(false);
    expect(valueNestingExceeds({ a: [{ b: {} }] }, 3)).toBe(true);
    expect(valueNestingExceeds('text', 0)).toBe(false);
  });
});
