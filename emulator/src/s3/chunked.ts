/**
 * `Content-Encoding: aws-chunked` bodies (bedrock-wire.md §10). The JavaScript SDK v3 uploads streams as
 * `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: `<hex size>\r\n<data>\r\n … 0\r\n<trailer headers>\r\n\r\n` with the
 * checksum in a trailer (`x-amz-checksum-crc32:…`). Other SDKs sign each chunk
 * (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]`): `<hex size>;chunk-signature=<sig>\r\n<data>\r\n`, each
 * signature chained from the previous one, starting at the request's seed signature.
 */

import { createHash, createHmac } from 'node:crypto';
import { S3Error } from './errors.js';

/** A decoded aws-chunked body. */
export interface DecodedChunks {
  readonly data: Buffer;
  /** Trailer headers (lower-cased names), e.g. `x-amz-checksum-crc32`. */
  readonly trailers: Record<string, string>;
}

/** What signed chunks are verified against. */
export interface ChunkSigning {
  readonly signingKey: Uint8Array;
  readonly amzDate: string;
  /** `<date>/<region>/s3/aws4_request`. */
  readonly scope: string;
  readonly seedSignature: string;
}

const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');

function chunkSignature(signing: ChunkSigning, previous: string, data: Uint8Array): string {
  const stringToSign = [
    'AWS4-HMAC-SHA256-PAYLOAD',
    signing.amzDate,
    signing.scope,
    previous,
    EMPTY_SHA256,
    createHash('sha256').update(data).digest('hex'),
  ].join('\n');
  return createHmac('sha256', signing.signingKey).update(stringToSign).digest('hex');
}

/**
 * Decodes an aws-chunked body; with `signing`, every chunk signature must verify (SignatureDoesNotMatch
 * otherwise). A body that does not follow the framing is `IncompleteBody`.
 */
export function decodeAwsChunked(body: Buffer, signing?: ChunkSigning): DecodedChunks {
  const parts: Buffer[] = [];
  let offset = 0;
  let previous = signing?.seedSignature ?? '';
  for (;;) {
    const lineEnd = body.indexOf('\r\n', offset, 'latin1');
    if (lineEnd < 0) throw new S3Error('IncompleteBody');
    const header = body.subarray(offset, lineEnd).toString('latin1');
    const [sizeText = '', ...extensions] = header.split(';');
    if (!/^[0-9a-fA-F]{1,16}$/.test(sizeText)) throw new S3Error('IncompleteBody');
    const size = Number.parseInt(sizeText, 16);
    const start = lineEnd + 2;
    if (start + size > body.length) throw new S3Error('IncompleteBody');
    const data = body.subarray(start, start + size);
    if (signing) {
      const sent = extensions.find((e) => e.startsWith('chunk-signature='))?.slice('chunk-signature='.length);
      const expected = chunkSignature(signing, previous, data);
      if (sent !== expected) throw new S3Error('SignatureDoesNotMatch');
      previous = expected;
    }
    offset = start + size;
    if (size === 0) break;
    parts.push(data);
    if (body.subarray(offset, offset + 2).toString('latin1') !== '\r\n') throw new S3Error('IncompleteBody');
    offset += 2;
  }
  // After the last (empty) chunk: optional trailer lines, then an empty line.
  const trailers: Record<string, string> = {};
  const rest = body.subarray(offset).toString('latin1');
  for (const line of rest.split('\r\n')) {
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new S3Error('IncompleteBody');
    trailers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { data: Buffer.concat(parts), trailers };
}
