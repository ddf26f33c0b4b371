import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeAwsChunked } from './chunked.js';

function signingKey(secret: string, date: string, region: string): Buffer {
  const kDate = createHmac('sha256', `AWS4${secret}`).update(date).digest();
  const kRegion = createHmac('sha256', kDate).update(region).digest();
  const kService = createHmac('sha256', kRegion).update('s3').digest();
  return createHmac('sha256', kService).update('aws4_request').digest();
}

describe('aws-chunked bodies', () => {
  it('de-chunks an unsigned body with a checksum trailer', () => {
    const body = Buffer.from('6\r\nhello \r\n5\r\nworld\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n');
    expect(decodeAwsChunked(body)).toEqual({
      data: Buffer.from('hello world'),
      trailers: { 'x-amz-checksum-crc32': 'DUoRhQ==' },
    });
  });

  it('refuses truncated framing', () => {
    expect(() => decodeAwsChunked(Buffer.from('a\r\nshort'))).toThrow(
      expect.objectContaining({ code: 'IncompleteBody' }),
    );
    expect(() => decodeAwsChunked(Buffer.from('zz\r\n'))).toThrow(expect.objectContaining({ code: 'IncompleteBody' }));
  });

  it('verifies chained chunk signatures (STREAMING-AWS4-HMAC-SHA256-PAYLOAD)', () => {
    const key = signingKey('secret', '20250101', 'us-east-1');
    const scope = '20250101/us-east-1/s3/aws4_request';
    const amzDate = '20250101T000000Z';
    const seed = 'a'.repeat(64);
    const empty = createHash('sha256').update('').digest('hex');
    const sign = (prev: string, data: string) =>
      createHmac('sha256', key)
        .update(
          [
            'AWS4-HMAC-SHA256-PAYLOAD',
            amzDate,
            scope,
            prev,
            empty,
            createHash('sha256').update(data).digest('hex'),
          ].join('\n'),
        )
        .digest('hex');
    const s1 = sign(seed, 'abc');
    const s2 = sign(s1, '');
    const body = Buffer.from(`3;chunk-signature=${s1}\r\nabc\r\n0;chunk-signature=${s2}\r\n\r\n`);
    const signing = { signingKey: key, amzDate, scope, seedSignature: seed };
    expect(decodeAwsChunked(body, signing).data.toString()).toBe('abc');
    const tampered = Buffer.from(`3;chunk-signature=${s1}\r\nabd\r\n0;chunk-signature=${s2}\r\n\r\n`);
    expect(() => decodeAwsChunked(tampered, signing)).toThrow(
      expect.objectContaining({ code: 'SignatureDoesNotMatch' }),
    );
  });
});
