import { describe, expect, it } from 'vitest';
import { matchesPattern, parseCreateJobInput, parseListJobsInput } from './validate.js';

const VALID = {
  jobName: 'nightly-embeddings.v2',
  roleArn: 'arn:aws:iam::123456789012:role/BedrockBatch',
  modelId: 'amazon.titan-embed-text-v2:0',
  inputDataConfig: { s3InputDataConfig: { s3Uri: 's3://in-bucket/jobs/42/' } },
  outputDataConfig: { s3OutputDataConfig: { s3Uri: 's3://out-bucket/results/' } },
};

describe('CreateModelInvocationJob input checks', () => {
  it('accepts a valid request and fills the defaults', () => {
    expect(parseCreateJobInput(VALID)).toMatchObject({
      jobName: 'nightly-embeddings.v2',
      timeoutDurationInHours: 24,
      modelInvocationType: 'InvokeModel',
      clientRequestToken: undefined,
      tags: [],
    });
  });

  it('reports a missing required member as Member must not be null', () => {
    const { jobName: _, ...rest } = VALID;
    expect(() => parseCreateJobInput(rest)).toThrow(
      "1 validation error detected: Value null at 'jobName' failed to satisfy constraint: Member must not be null",
    );
  });

  it('applies the service-model S3 URI pattern (no upper-case buckets, no = or spaces in keys)', () => {
    expect(matchesPattern('s3Uri', 's3://bucket/a/b.jsonl')).toBe(true);
    expect(matchesPattern('s3Uri', 's3://bucket/files/file-abc_DEF.jsonl')).toBe(true);
    expect(matchesPattern('s3Uri', 's3://Bucket/a')).toBe(false);
    expect(matchesPattern('s3Uri', 's3://bucket/a=b')).toBe(false);
    expect(matchesPattern('s3Uri', 's3://bucket/a b')).toBe(false);
    expect(matchesPattern('jobName', 'a'.repeat(63))).toBe(true);
    expect(matchesPattern('jobName', '-starts-with-dash')).toBe(false);
    expect(matchesPattern('clientRequestToken', 'c0ffee-1234')).toBe(true);
  });

  it('checks enums, ranges, vpc and tags', () => {
    expect(() => parseCreateJobInput({ ...VALID, modelInvocationType: 'Invoke' })).toThrow(
      "Value 'Invoke' at 'modelInvocationType' failed to satisfy constraint: Member must satisfy enum value set: [InvokeModel, Converse]",
    );
    expect(() => parseCreateJobInput({ ...VALID, timeoutDurationInHours: 169 })).toThrow(
      'Member must have value less than or equal to 168',
    );
    expect(() => parseCreateJobInput({ ...VALID, vpcConfig: { subnetIds: [] } })).toThrow(
      /vpcConfig\.securityGroupIds/,
    );
    expect(() => parseCreateJobInput({ ...VALID, tags: [{ key: '', value: 'x' }] })).toThrow(/tags\.1\.member\.key/);
    expect(() => parseCreateJobInput({ ...VALID, jobName: 7 })).toThrow(/jobName/);
  });
});

describe('ListModelInvocationJobs query checks', () => {
  it('defaults to newest first, 1000 per page', () => {
    expect(parseListJobsInput({})).toMatchObject({ maxResults: 1000, sortOrder: 'Descending' });
  });

  it('refuses out-of-range and out-of-enum values', () => {
    expect(() => parseListJobsInput({ maxResults: '0' })).toThrow('Member must have value greater than or equal to 1');
    expect(() => parseListJobsInput({ statusEquals: 'Done' })).toThrow(/statusEquals/);
    expect(() => parseListJobsInput({ sortBy: 'Name' })).toThrow(/sortBy/);
    expect(parseListJobsInput({ submitTimeAfter: '2025-01-31T12:00:00.000Z' }).submitTimeAfter).toBe(
      Date.parse('2025-01-31T12:00:00.000Z'),
    );
  });
});
