import { describe, expect, it } from 'vitest';
import { decodeFileId, encodeFileId, parseS3Uri } from './ids.js';

describe('file ids', () => {
  it('round-trip stored and virtual references and stay URL-safe', () => {
    const stored = { kind: 'stored', account: 'prod', key: 'aigateway/files/123/ünïcode name.jsonl' } as const;
    const id = encodeFileId(stored);
    expect(id).toMatch(/^file-[A-Za-z0-9_-]+$/);
    expect(decodeFileId(id)).toEqual(stored);
    const virtual = { kind: 'batch_output', account: 'prod', ref: 'abc123def456' } as const;
    expect(decodeFileId(encodeFileId(virtual))).toEqual(virtual);
  });

  it('accept raw and percent-encoded s3 URIs', () => {
    expect(decodeFileId('s3://my-bucket/a/b c.jsonl')).toEqual({
      kind: 's3uri',
      bucket: 'my-bucket',
      key: 'a/b c.jsonl',
    });
    expect(decodeFileId(encodeURIComponent('s3://my-bucket/a/b.jsonl'))).toEqual({
      kind: 's3uri',
      bucket: 'my-bucket',
      key: 'a/b.jsonl',
    });
    expect(parseS3Uri('s3://Bad_Bucket/x')).toBeUndefined();
    expect(parseS3Uri('s3://bucket/')).toBeUndefined();
    expect(parseS3Uri('s3%3A%2F%2F%E0%A4%A')).toBeUndefined();
  });

  it('refuse anything else, including forged payloads and reserved kinds', () => {
    const forge = (value: unknown) => `file-${Buffer.from(JSON.stringify(value)).toString('base64url')}`;
    for (const id of [
      '',
      'file-',
      'file-!!!',
      'file-abc',
      'batch_123',
      forge(['stored', 'a']),
      forge(['stored', '', 'k']),
      forge(['s3uri', 'a', 'k']),
      forge(['Stored', 'a', 'k']),
      forge({ kind: 'stored' }),
      `file-${'A'.repeat(5000)}`,
    ])
      expect(decodeFileId(id), id).toBeUndefined();
  });
});
