import { describe, expect, it } from 'vitest';
import { decodeBatchId, encodeBatchId, jobIdOfArn } from './ids.js';
import { batchKeys, folderOfInputUri } from './layout.js';

describe('batch ids', () => {
  it('round-trip the account, region and job id, URL-safe', () => {
    const id = encodeBatchId({ account: 'prod-bedrock', region: 'eu-central-1', jobId: 'ab12cd34ef56' });
    expect(id).toMatch(/^batch_[A-Za-z0-9_-]+$/);
    expect(decodeBatchId(id)).toEqual({ account: 'prod-bedrock', region: 'eu-central-1', jobId: 'ab12cd34ef56' });
  });

  it('accept job ARNs of any partition, raw or URL-encoded', () => {
    const arn = 'arn:aws-us-gov:bedrock:us-gov-west-1:123456789012:model-invocation-job/ab12cd34ef56';
    expect(decodeBatchId(arn)).toEqual({ region: 'us-gov-west-1', jobId: 'ab12cd34ef56' });
    expect(decodeBatchId(encodeURIComponent(arn))).toEqual({ region: 'us-gov-west-1', jobId: 'ab12cd34ef56' });
    expect(jobIdOfArn(arn)).toBe('ab12cd34ef56');
  });

  it('refuse anything else', () => {
    for (const id of [
      'batch_',
      'batch_!!',
      `batch_${Buffer.from('["a","us-east-1"]').toString('base64url')}`,
      `batch_${Buffer.from('["a","not a region","abc"]').toString('base64url')}`,
      `batch_${Buffer.from('["../x","us-east-1","abc"]').toString('base64url')}`,
      'arn:aws:bedrock:us-east-1:123:model-invocation-job/abc',
      '%E0%A4%A',
      's3://bucket/key',
    ])
      expect(decodeBatchId(id)).toBeUndefined();
  });
});

describe('batch layout', () => {
  it("finds a batch's folder from its job's input URI only under the account's prefix", () => {
    const keys = batchKeys('0123456789abcdef01234567', 'ab12cd34ef56');
    expect(keys.outputRecords).toBe('batches/0123456789abcdef01234567/output/ab12cd34ef56/records.jsonl.out');
    const uri = 's3://bucket/pre/batches/0123456789abcdef01234567/records.jsonl';
    expect(folderOfInputUri(uri, 'bucket', 'pre/')).toBe('0123456789abcdef01234567');
    expect(folderOfInputUri(uri, 'other', 'pre/')).toBeUndefined();
    expect(folderOfInputUri(uri, 'bucket', '')).toBeUndefined();
    expect(folderOfInputUri('s3://bucket/pre/batches/../x/records.jsonl', 'bucket', 'pre/')).toBeUndefined();
    expect(folderOfInputUri(undefined, 'bucket', 'pre/')).toBeUndefined();
  });
});
