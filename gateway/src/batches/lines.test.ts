import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../errors/index.js';
import { streamLines } from './lines.js';

async function collect(chunks: (string | Buffer)[], maxLineBytes = 1000) {
  const out = [];
  for await (const line of streamLines(Readable.from(chunks), { maxLineBytes, what: 'the test file' })) out.push(line);
  return out;
}

describe('streamLines', () => {
  it('reports text, line numbers and byte offsets across chunk boundaries', async () => {
    const text = 'ab\r\n\nçé\nlast';
    const bytes = Buffer.from(text);
    const chunks = [bytes.subarray(0, 3), bytes.subarray(3, 7), bytes.subarray(7)];
    const lines = await collect(chunks);
    expect(lines.map((l) => l.text)).toEqual(['ab', '', 'çé', 'last']);
    expect(lines.map((l) => l.lineNumber)).toEqual([1, 2, 3, 4]);
    for (const l of lines) expect(bytes.toString('utf8', l.offset, l.offset + l.length)).toBe(l.text);
  });

  it('refuses a line longer than the bound without waiting for its end', async () => {
    const err = await collect(['ok\n', 'x'.repeat(600), 'x'.repeat(600)], 1000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).message).toContain('Line 2 of the test file');
  });
});
