import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CompiledModel } from '../../config/index.js';
import { GatewayError } from '../../errors/index.js';
import { getCapabilities, parseModelId } from '../../models/index.js';
import type { BatchOutputRecord } from '../../wire/bedrock/index.js';
import type { BatchEndpoint } from '../../wire/openai/index.js';
import { embeddingModelKind } from '../embeddings/index.js';
import {
  type BatchMapEntry,
  fromBatchOutputRecord,
  indexOfRecordId,
  missingRecordLine,
  parseBatchInputLine,
  recordIdOf,
  toBatchRecord,
} from './index.js';

/**
 * One golden fixture per case: an OpenAI batch input line, the batch's model and endpoint, and either the
 * Bedrock record + map entry it becomes or the 400 it gets; with `output`, a Bedrock output record and the
 * OpenAI output (or error) line it becomes.
 */
interface Fixture {
  name: string;
  endpoint: BatchEndpoint;
  model: CompiledModel;
  index: number;
  lineNumber: number;
  /** The line as an object, or raw text for lines that are not JSON. */
  line: unknown;
  record?: unknown;
  entry?: BatchMapEntry;
  error?: { status: number; code: string; param?: string; message?: string };
  output?: { record: BatchOutputRecord; kind?: 'output' | 'error'; line?: unknown };
}

const JOB_ID = 'ab12cd34ef56';
const CREATED = 1_780_000_000;
const dir = join(import.meta.dirname, 'fixtures');
const fixtures = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((file) => ({ file, fixture: JSON.parse(readFileSync(join(dir, file), 'utf8')) as Fixture }));

function translate(f: Fixture) {
  const text = typeof f.line === 'string' ? f.line : JSON.stringify(f.line);
  const line = parseBatchInputLine(text, f.lineNumber, f.endpoint);
  return toBatchRecord(line, f.lineNumber, f.index, {
    endpoint: f.endpoint,
    servedName: f.model.servedName,
    model: f.model,
    capabilities: getCapabilities(f.model),
    embeddingKind: embeddingModelKind(parseModelId(f.model.modelId)?.foundationModelId),
  });
}

function outputContext(f: Fixture) {
  return {
    endpoint: f.endpoint,
    servedName: f.model.servedName,
    embeddingKind: embeddingModelKind(parseModelId(f.model.modelId)?.foundationModelId),
    jobId: JOB_ID,
    created: CREATED,
  };
}

describe('batch line translation fixtures', () => {
  it('has the fixtures, each named after its file and expecting one outcome', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(15);
    for (const { file, fixture } of fixtures) {
      expect(`${fixture.name}.json`).toBe(file);
      expect(fixture.record === undefined).not.toBe(fixture.error === undefined);
    }
  });

  for (const { fixture: f } of fixtures) {
    it(f.name, () => {
      if (f.error) {
        let caught: unknown;
        try {
          translate(f);
        } catch (e) {
          caught = e;
        }
        expect(caught).toBeInstanceOf(GatewayError);
        const err = caught as GatewayError;
        expect(err.status).toBe(f.error.status);
        expect(err.code).toBe(f.error.code);
        if (f.error.param !== undefined) expect(err.param).toBe(f.error.param);
        if (f.error.message !== undefined) expect(err.message).toContain(f.error.message);
        return;
      }
      const { record, entry } = translate(f);
      expect(record).toEqual(f.record);
      expect(entry).toEqual(f.entry);
      if (f.output) {
        const converted = fromBatchOutputRecord(f.output.record, entry, f.index, outputContext(f));
        expect(converted.kind).toBe(f.output.kind);
        expect(converted.line).toEqual(f.output.line);
        // What the output file writes is the line as JSON on one line.
        expect(JSON.stringify(converted.line)).not.toContain('\n');
      }
    });
  }
});

describe('record ids', () => {
  it('are 11 alphanumeric characters that give back the input position', () => {
    for (const i of [0, 1, 99, 50_000, 9_999_999_999]) {
      const id = recordIdOf(i);
      expect(id).toMatch(/^[A-Za-z0-9]{11}$/);
      expect(indexOfRecordId(id)).toBe(i);
    }
  });

  it('refuses ids the gateway did not make', () => {
    for (const id of ['CALL0000001', 'R123', 'r0000000001', 'R00000000010', 42, undefined])
      expect(indexOfRecordId(id)).toBeUndefined();
  });
});

describe('lines without an output record', () => {
  const f = fixtures.find((x) => x.fixture.name === 'chat-line-becomes-converse-record')!.fixture;
  it.each([
    ['batch_expired', 'expired'],
    ['batch_cancelled', 'cancelled'],
    ['batch_failed', 'failed'],
  ] as const)('get the %s error line', (reason, word) => {
    const line = missingRecordLine({ custom_id: 'req-9' }, 8, outputContext(f), reason);
    expect(line).toEqual({
      id: `batch_req_${JOB_ID}R0000000008`,
      custom_id: 'req-9',
      response: null,
      error: { code: reason, message: expect.stringContaining(word) },
    });
  });
});
