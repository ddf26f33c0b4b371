import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { recordIdOf } from '../translate/batch/index.js';
import { streamLines } from './lines.js';
import { type JoinOptions, joinBatchOutput } from './output.js';

const lines = (text: string) => streamLines(Readable.from([Buffer.from(text)]), { maxLineBytes: 1 << 20, what: 'x' });

function titanOutput(index: number): string {
  return JSON.stringify({
    recordId: recordIdOf(index),
    modelInput: { inputText: `text ${index} ${'padding '.repeat(20)}` },
    modelOutput: { embedding: [index, 1], inputTextTokenCount: 2 },
  });
}

function sources(mapText: string, outText: string | undefined, reads: { count: number }) {
  const outBytes = outText === undefined ? undefined : Buffer.from(outText);
  return {
    mapLines: () => lines(mapText),
    outputLines: async () => (outBytes === undefined ? undefined : lines(outBytes.toString())),
    readRange: async (offset: number, length: number) => {
      reads.count += 1;
      return outBytes!.toString('utf8', offset, offset + length);
    },
  };
}

async function run(
  total: number,
  outRecords: string[] | undefined,
  opts: Partial<JoinOptions> & Pick<JoinOptions, 'want'>,
) {
  const map = Array.from({ length: total }, (_, i) => JSON.stringify({ custom_id: `c${i}` })).join('\n');
  const reads = { count: 0 };
  const options: JoinOptions = {
    total,
    ctx: {
      endpoint: '/v1/embeddings',
      servedName: 'a/titan',
      embeddingKind: 'titan-v2',
      jobId: 'job123456789',
      created: 1,
    },
    missingReason: 'batch_expired',
    reorderBufferBytes: 1 << 20,
    ...opts,
  };
  let text = '';
  for await (const chunk of joinBatchOutput(sources(map, outRecords?.join('\n'), reads), options)) text += chunk;
  return {
    lines: text
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l)),
    reads: reads.count,
  };
}

describe('the output join', () => {
  const shuffled = [7, 3, 0, 9, 1, 2, 8, 5, 4, 6].map(titanOutput);

  it('writes lines in input order whatever order Bedrock wrote them in', async () => {
    const { lines: out, reads } = await run(10, shuffled, { want: 'output' });
    expect(out.map((l) => l.custom_id)).toEqual(Array.from({ length: 10 }, (_, i) => `c${i}`));
    expect(out[3].response.body.data[0].embedding).toEqual([3, 1]);
    expect(reads).toBe(0);
  });

  it('keeps the order with a reorder buffer too small for anything, reading records back by range', async () => {
    const { lines: out, reads } = await run(10, shuffled, { want: 'output', reorderBufferBytes: 0 });
    expect(out.map((l) => l.custom_id)).toEqual(Array.from({ length: 10 }, (_, i) => `c${i}`));
    expect(out[9].response.body.data[0].embedding).toEqual([9, 1]);
    expect(reads).toBeGreaterThan(0);
  });

  it('puts errored and never-run records in the error file, in order, and nowhere else', async () => {
    const records = [
      titanOutput(2),
      JSON.stringify({ recordId: recordIdOf(0), modelInput: {}, error: { errorCode: 400, errorMessage: 'bad' } }),
      titanOutput(1),
    ];
    const output = await run(5, records, { want: 'output' });
    expect(output.lines.map((l) => l.custom_id)).toEqual(['c1', 'c2']);
    const errors = await run(5, records, { want: 'error' });
    expect(errors.lines.map((l) => l.custom_id)).toEqual(['c0', 'c3', 'c4']);
    expect(errors.lines[0].response.status_code).toBe(400);
    expect(errors.lines[1]).toMatchObject({ response: null, error: { code: 'batch_expired' } });
  });

  it('lists every request as never run when Bedrock wrote no output file', async () => {
    const { lines: out } = await run(3, undefined, { want: 'error', missingReason: 'batch_cancelled' });
    expect(out.map((l) => l.error.code)).toEqual(['batch_cancelled', 'batch_cancelled', 'batch_cancelled']);
  });

  it('skips lines it did not write and repeated records', async () => {
    const records = [
      titanOutput(0),
      '{"recordId":"CALL0000001","modelOutput":{}}',
      'not json',
      titanOutput(0),
      titanOutput(1),
    ];
    const { lines: out } = await run(2, records, { want: 'output' });
    expect(out.map((l) => l.custom_id)).toEqual(['c0', 'c1']);
  });
});
