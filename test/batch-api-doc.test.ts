/**
 * docs/api-compatibility.md (Batch API) checked against the official openai SDK: every member of its `Batch`
 * object and of `BatchCreateParams` has a row, and every Batch member the page lists is one the gateway returns.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toOpenAIBatch } from '../gateway/src/translate/batch/index.js';
import { REPO_ROOT } from './helpers/config-dir.js';

const DOC = readFileSync(join(REPO_ROOT, 'docs', 'api-compatibility.md'), 'utf8');
const SECTION = DOC.slice(DOC.indexOf('## Batch API'));
const require = createRequire(import.meta.url);
const SDK = readFileSync(join(dirname(require.resolve('openai')), 'resources', 'batches.d.ts'), 'utf8');

/** Top-level members of an interface in the SDK's declarations. */
function members(name: string): string[] {
  const start = SDK.indexOf(`export interface ${name} {`);
  expect(start).toBeGreaterThan(-1);
  const body = SDK.slice(start, SDK.indexOf('\n}', start));
  return [...body.matchAll(/^ {4}([a-z_]+)\??:/gm)].map((m) => m[1]!);
}

/** Backticked names in the first column of the tables under a heading of the section. */
function documented(heading: string): Set<string> {
  const start = SECTION.indexOf(`### ${heading}`);
  expect(start).toBeGreaterThan(-1);
  const end = SECTION.indexOf('\n### ', start + 4);
  const text = SECTION.slice(start, end < 0 ? undefined : end);
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('| `')) continue;
    for (const m of (line.split('|')[1] ?? '').matchAll(/`([a-z_]+)`/g)) names.add(m[1]!);
  }
  return names;
}

describe('the Batch API page', () => {
  it("lists every member of the SDK's Batch object", () => {
    const rows = documented('Batch object');
    const sdk = members('Batch');
    expect(sdk.length).toBeGreaterThan(15);
    for (const m of sdk) expect(rows, m).toContain(m);
  });

  it("lists every create parameter of the SDK's BatchCreateParams", () => {
    const rows = documented('Create parameters');
    for (const m of members('BatchCreateParams')) expect(rows, m).toContain(m);
  });

  it('documents only members the gateway returns, and the gateway returns every SDK member', () => {
    const batch = toOpenAIBatch({
      id: 'batch_x',
      job: { jobArn: 'arn', status: 'Completed' },
      descriptor: {
        version: 1,
        endpoint: '/v1/embeddings',
        input_file_id: 'file-x',
        completion_window: '24h',
        metadata: null,
        model: 'a/b',
        subject: 'user:x',
        created_at: 1,
        request_count: 1,
      },
      outputFileId: 'o',
      errorFileId: 'e',
    });
    expect(Object.keys(batch).sort()).toEqual([...documented('Batch object')].sort());
    for (const m of members('Batch')) expect(batch, m).toHaveProperty(m);
  });
});
