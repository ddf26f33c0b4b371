import { describe, expect, it } from 'vitest';
import { BatchLineValidator } from './batch-lines.js';
import { FILES_DEFAULTS } from './defaults.js';

const line = (id: unknown, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    custom_id: id,
    method: 'POST',
    url: '/v1/chat/completions',
    body: { model: 'm', messages: [] },
    ...extra,
  });

/** Feeds `text` in chunks of `size` bytes and ends the file; returns the validator or the error. */
function validate(text: string, size = 7, limits = FILES_DEFAULTS): BatchLineValidator {
  const v = new BatchLineValidator(limits);
  const bytes = Buffer.from(text, 'utf8');
  for (let i = 0; i < bytes.length; i += size) v.push(bytes.subarray(i, i + size));
  v.end();
  return v;
}

function errorOf(
  text: string,
  size = 7,
  limits = FILES_DEFAULTS,
): { message: string; status: number; param: string | null } {
  try {
    validate(text, size, limits);
  } catch (err) {
    return err as { message: string; status: number; param: string | null };
  }
  throw new Error('expected a validation error');
}

describe('batch file validation', () => {
  it('accepts chat and embeddings lines split across any chunk boundary, CRLF, a BOM and trailing blank lines', () => {
    const text = `\ufeff${line('a')}\r\n${JSON.stringify({ custom_id: 'b', method: 'POST', url: '/v1/embeddings', body: { input: 'x' } })}\n${line('c')}\n\n  \n`;
    for (const size of [1, 3, 64, 100_000]) {
      const v = validate(text, size);
      expect(v.requests).toBe(3);
      expect(v.bytes).toBe(Buffer.byteLength(text));
    }
  });

  it('accepts a last line without a newline', () => {
    expect(validate(`${line('a')}\n${line('b')}`).requests).toBe(2);
  });

  it.each([
    [`${line('a')}\n${line(5)}\n`, 2, "'custom_id' must be a string"],
    [
      `${line('a')}\n${JSON.stringify({ method: 'POST', url: '/v1/embeddings', body: {} })}\n`,
      2,
      "missing 'custom_id'",
    ],
    [`${line('a')}\n${line('b')}\n${line('a')}\n`, 3, "'custom_id' 'a' is used by an earlier line"],
    [line('a', { method: 'GET' }), 1, "'method' must be 'POST'"],
    [line('a', { url: '/v1/images/generations' }), 1, "'url' must be one of /v1/chat/completions, /v1/embeddings"],
    [line('a', { body: 'text' }), 1, "'body' must be a JSON object"],
    [line('a', { body: [1] }), 1, "'body' must be a JSON object"],
    [line('a', { boby: {} }), 1, "unknown field 'boby'"],
    [`${line('a')}\n{"custom_id": "b",\n`, 2, 'not valid JSON'],
    [`${line('a')}\n[1,2]\n`, 2, 'expected a JSON object'],
    [`${line('a')}\n\n${line('b')}\n`, 2, 'the line is empty'],
    [line(''), 1, "'custom_id' must not be empty"],
  ])('refuses %#: line %i, naming the field', (text, lineNo, message) => {
    const err = errorOf(text);
    expect(err.status).toBe(400);
    expect(err.param).toBe('file');
    expect(err.message).toContain(`Line ${lineNo} of the file`);
    expect(err.message).toContain(message);
  });

  it('refuses an empty file', () => {
    expect(errorOf('\n\n').message).toContain('no requests');
  });

  it('refuses invalid UTF-8', () => {
    const v = new BatchLineValidator(FILES_DEFAULTS);
    v.push(Buffer.from(`${line('a')}\n`));
    const bad = Buffer.from(line('b'));
    bad[20] = 0xff;
    expect(() => {
      v.push(bad);
      v.end();
    }).toThrow(/Line 2 of the file: the line is not valid UTF-8/);
  });

  it('refuses a line longer than the limit as soon as it is seen, before its end arrives', () => {
    const limits = { ...FILES_DEFAULTS, maxLineBytes: 1024 };
    const v = new BatchLineValidator(limits);
    v.push(Buffer.from(`${line('a')}\n`));
    expect(() => v.push(Buffer.alloc(2000, 0x20))).toThrow(/Line 2 of the file: the line is longer than 1024 bytes/);
  });

  it('refuses nesting deeper than the limit without parsing it, and ignores brackets inside strings', () => {
    const limits = { ...FILES_DEFAULTS, maxNestingDepth: 8 };
    const deep = line('a', { body: { x: JSON.parse(`${'['.repeat(10)}${']'.repeat(10)}`) } });
    expect(errorOf(deep, 7, limits).message).toContain('nested deeper than 8 levels');
    const inString = line('a', { body: { x: '[[[[[[[[[[[[{{{{{{{{"\\"[[[[' } });
    expect(validate(inString, 5, limits).requests).toBe(1);
    // A million-deep line is refused by the scan (JSON.parse would recurse on it).
    const huge = `{"custom_id":"a","method":"POST","url":"/v1/embeddings","body":${'['.repeat(1_000_000)}`;
    expect(errorOf(huge, 65536).message).toContain('nested deeper than 65 levels');
  });

  it('refuses more lines than the limit, naming the first one over', () => {
    const limits = { ...FILES_DEFAULTS, maxLines: 3 };
    const text = [1, 2, 3, 4].map((i) => line(`r${i}`)).join('\n');
    expect(errorOf(text, 50, limits).message).toContain('Line 4 of the file: the file has more than 3 requests');
  });

  it('keeps long custom ids apart by digest and still finds duplicates', () => {
    const long = 'x'.repeat(300);
    expect(validate(`${line(long)}\n${line(`${long}y`)}\n`).requests).toBe(2);
    expect(errorOf(`${line(long)}\n${line(long)}\n`).message).toContain('Line 2 of the file');
    const limits = { ...FILES_DEFAULTS, maxCustomIdLength: 10 };
    expect(errorOf(line('x'.repeat(11)), 7, limits).message).toContain("'custom_id' is longer than 10 characters");
  });
});
