import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { CompiledAccount, CompiledModel, ServedModel } from '../config/index.js';
import { GatewayError } from '../errors/index.js';
import { type ConvertOptions, convertBatchLines } from './convert.js';
import { streamLines } from './lines.js';

const model: CompiledModel = {
  servedName: 'demo/nova',
  account: 'demo',
  name: 'nova',
  modelId: 'amazon.nova-lite-v1:0',
  region: 'us-east-1',
  type: 'chat',
  family: 'amazon-nova',
};
const route: ServedModel = { model, account: { name: 'demo' } as CompiledAccount, credentials: {} };

function line(id: string, extra: object = {}): string {
  return JSON.stringify({
    custom_id: id,
    method: 'POST',
    url: '/v1/chat/completions',
    body: { messages: [{ role: 'user', content: 'hi' }], ...extra },
  });
}

async function convert(text: string, options: Partial<ConvertOptions> = {}) {
  const records: string[] = [];
  const map: string[] = [];
  const result = await convertBatchLines(
    streamLines(Readable.from([Buffer.from(text)]), { maxLineBytes: 1 << 20, what: 'the input file' }),
    { record: (l) => void records.push(l), map: (l) => void map.push(l) },
    {
      endpoint: '/v1/chat/completions',
      model: 'demo/nova',
      resolveModel: (name) => {
        if (name !== 'demo/nova') throw new GatewayError('model_not_found', `no ${name}`);
        return route;
      },
      minRecords: 2,
      maxRecords: 5,
      sliceMs: 0,
      ...options,
    },
  );
  return { result, records, map };
}

async function refusal(text: string, options: Partial<ConvertOptions> = {}): Promise<GatewayError> {
  const err = await convert(text, options).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(GatewayError);
  return err as GatewayError;
}

describe('convertBatchLines', () => {
  it('writes one record and one map line per request, skipping blank lines, numbering records densely', async () => {
    const { result, records, map } = await convert(`${line('a')}\n\n${line('b')}\r\n`);
    expect(result.records).toBe(2);
    expect(records.map((r) => JSON.parse(r).recordId)).toEqual(['R0000000000', 'R0000000001']);
    expect(map.map((m) => JSON.parse(m).custom_id)).toEqual(['a', 'b']);
  });

  it('refuses a repeated custom_id with the line that repeats it', async () => {
    const err = await refusal([line('a'), line('b'), line('a')].join('\n'));
    expect(err.message).toContain('Line 3');
    expect(err.param).toBe('custom_id');
  });

  it('refuses more requests than a batch may hold, and fewer than the minimum', async () => {
    const many = Array.from({ length: 6 }, (_, i) => line(`r${i}`)).join('\n');
    expect((await refusal(many)).message).toContain('more than 5');
    expect((await refusal(line('only'))).message).toContain('at least 2');
    expect((await refusal('\n\n')).message).toContain('no requests');
  });

  it('takes the model from the first line when the batch names none, and refuses lines without any', async () => {
    const named = [line('a', { model: 'demo/nova' }), line('b')].join('\n');
    expect((await convert(named, { model: undefined })).result.route).toBe(route);
    const err = await refusal([line('a'), line('b')].join('\n'), { model: undefined });
    expect(err.param).toBe('model');
    expect(err.message).toContain('Line 1');
  });

  it("passes the model resolver's refusal through (unknown model, no access)", async () => {
    const err = await refusal(line('a', { model: 'demo/other' }), { model: undefined });
    expect(err.code).toBe('model_not_found');
  });
});
