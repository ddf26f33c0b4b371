import { describe, expect, it } from 'vitest';
import { applyEmulatorCliOptions } from './cli-options.js';
import { parseEmulatorConfig } from './config.js';
import { EmulatorState } from './state.js';

describe('emulator batch and S3 options (flags, environment, config file)', () => {
  it('reads s3 and batch settings from a config file', () => {
    const options = parseEmulatorConfig(`
s3: { maxBytes: 1048576, buckets: [a-bucket, b-bucket] }
batch:
  stepMs: 10
  minRecords: 1
  outputOrder: shuffled
  s3: { endpoint: "http://127.0.0.1:7070", accessKeyId: AK, secretAccessKey: SK }
`);
    expect(options.s3).toEqual({ maxBytes: 1048576, buckets: ['a-bucket', 'b-bucket'] });
    expect(options.batch).toMatchObject({ stepMs: 10, minRecords: 1, outputOrder: 'shuffled' });
    const state = new EmulatorState(options);
    expect(state.s3.hasBucket('b-bucket')).toBe(true);
    expect(state.s3.hasBucket('aigw-demo')).toBe(false);
    expect(state.batch.config.minRecords).toBe(1);
    expect(() => parseEmulatorConfig('batch: { outputOrder: random }', 'e.yaml')).toThrow(
      /e\.yaml\.batch\.outputOrder/,
    );
    expect(() => parseEmulatorConfig('batch: { s3: { endpoint: x } }', 'e.yaml')).toThrow(/batch\.s3\.accessKeyId/);
  });

  it('lets flags win over the environment and the file, and takes S3 keys only from the environment', () => {
    const base = parseEmulatorConfig('batch: { stepMs: 500, minRecords: 50 }');
    const env = {
      AIGW_EMULATOR_BATCH_MIN_RECORDS: '7',
      AIGW_EMULATOR_S3_ACCESS_KEY_ID: 'AKID',
      AIGW_EMULATOR_S3_SECRET_ACCESS_KEY: 'SECRET',
    };
    const out = applyEmulatorCliOptions(base, { 'batch-step-ms': '5', 's3-endpoint': 'http://127.0.0.1:9000' }, env);
    expect(out.batch).toMatchObject({
      stepMs: 5,
      minRecords: 7,
      s3: { endpoint: 'http://127.0.0.1:9000', accessKeyId: 'AKID', secretAccessKey: 'SECRET' },
    });
    expect(() => applyEmulatorCliOptions({}, { 's3-endpoint': 'http://127.0.0.1:9000' }, {})).toThrow(
      /AIGW_EMULATOR_S3_ACCESS_KEY_ID/,
    );
    expect(() => applyEmulatorCliOptions({}, { 'batch-step-ms': 'fast' }, {})).toThrow(/--batch-step-ms/);
    expect(applyEmulatorCliOptions({}, {}, {})).toEqual({ batch: {}, s3: {} });
  });
});
