/**
 * The path-style S3 subset the gateway's files and batch layers use (bedrock-wire.md §10), served on the
 * emulator's one port: buckets (Create/Head/Delete/List, GetBucketLocation), PutObject (conditional
 * create, user metadata, checksums, aws-chunked bodies), multipart uploads, GetObject with ranges and
 * conditions, HeadObject, ListObjectsV2, DeleteObject and DeleteObjects. Responses are S3's XML.
 */

import { createHash, randomBytes } from 'node:crypto';
import { drainedOrClosed, type RequestContext } from '../reply.js';
import type { EmulatorState } from '../state.js';
import type { IncomingRequest, OutgoingResponse } from '../transport.js';
import { authenticateS3 } from './auth.js';
import { type ChecksumAlgorithm, checksumAlgorithmOfHeader, computeChecksum } from './checksum.js';
import { decodeAwsChunked } from './chunked.js';
import { S3Error } from './errors.js';
import { MAX_PART_NUMBER, type ObjectStore, type StoredObject } from './store.js';
import { document, element, readFlag, readItems } from './xml.js';

/** Longest key S3 accepts, in UTF-8 bytes. */
const MAX_KEY_BYTES = 1024;
/** User metadata (`x-amz-meta-*` names and values) is limited to 2 KB per object. */
const MAX_METADATA_BYTES = 2048;
/** ListObjectsV2 returns at most 1,000 keys per page. */
const MAX_LIST_KEYS = 1000;
/** DeleteObjects takes at most 1,000 keys. */
const MAX_DELETE_KEYS = 1000;
/** Room for aws-chunked framing and trailers on top of an upload's payload. */
const CHUNK_FRAMING_SLACK = 64 * 1024;
/** Request bodies of the XML operations (Complete, Delete, CreateBucket) are small; 1 MiB is plenty. */
const MAX_XML_BODY = 1024 * 1024;

/** An S3 request as the server hands it over: everything but the body, which is read here. */
export type S3Request = Omit<RequestContext, 'body'>;

/**
 * Whether a request is for S3: its SigV4 credential scope names service `s3` (header or presigned query),
 * or it is unsigned but carries S3's mandatory `x-amz-content-sha256`. Bedrock and STS requests never do,
 * so any path (even `/model/...`) signed for S3 is an S3 request.
 */
export function isS3Request(
  headers: Readonly<Record<string, string>>,
  query: Readonly<Record<string, unknown>>,
  rawPath = '/',
): boolean {
  const auth = headers.authorization;
  if (auth !== undefined) return /Credential=[^/,\s]+\/\d{8}\/[^/]+\/s3\/aws4_request/.test(auth);
  const credential = query['X-Amz-Credential'];
  if (typeof credential === 'string') return /\/s3\/aws4_request$/.test(credential);
  // Unsigned: S3 only by its mandatory header, and never on a Bedrock path (those answer Bedrock's
  // MissingAuthenticationTokenException).
  return headers['x-amz-content-sha256'] !== undefined && !BEDROCK_PATH.test(rawPath);
}

/** Paths of the Bedrock planes; an unsigned request there is a Bedrock request. */
const BEDROCK_PATH = /^\/(model|model-invocation-jobs?|foundation-models|inference-profiles)(\/|$)/;

function requestHeaders(requestId: string): Record<string, string> {
  return { 'x-amz-request-id': requestId, 'x-amz-id-2': randomBytes(24).toString('base64'), server: 'AmazonS3' };
}

function sendXml(
  res: OutgoingResponse,
  status: number,
  xml: string,
  requestId: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    ...requestHeaders(requestId),
    'content-type': 'application/xml',
    'content-length': Buffer.byteLength(xml),
    ...headers,
  });
  res.end(xml);
}

function sendEmpty(
  res: OutgoingResponse,
  status: number,
  requestId: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { ...requestHeaders(requestId), 'content-length': 0, ...headers });
  res.end();
}

/** Writes an S3 error; HEAD responses carry no body (the SDKs then report the bare status). */
export function sendS3Error(
  res: OutgoingResponse,
  error: S3Error,
  requestId: string,
  method: string,
  resource: string,
): void {
  if (res.writableEnded || res.destroyed) return;
  if (method === 'HEAD') {
    sendEmpty(res, error.status, requestId);
    return;
  }
  const fields = Object.entries(error.fields)
    .map(([k, v]) => element(k, v))
    .join('');
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error>${element('Code', error.code)}${element('Message', error.message)}${fields}${element('Resource', resource)}${element('RequestId', requestId)}${element('HostId', randomBytes(24).toString('base64'))}</Error>`;
  sendXml(res, error.status, xml, requestId);
}

/**
 * Reads the request body, refusing more than `limit` bytes before reading (Content-Length) or while
 * reading (chunked transfer), so one upload cannot take more memory than the store could keep.
 */
async function readBody(req: IncomingRequest, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limit) throw new S3Error('EntityTooLarge');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new S3Error('EntityTooLarge');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function decodeSegment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new S3Error('InvalidArgument', { message: 'The path is not validly percent-encoded.' });
  }
}

function httpDate(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toUTCString();
}

function isoDate(ms: number): string {
  return new Date(ms).toISOString();
}

function metadataOf(headers: Readonly<Record<string, string>>): Record<string, string> {
  const metadata: Record<string, string> = {};
  let size = 0;
  for (const [name, value] of Object.entries(headers)) {
    if (!name.startsWith('x-amz-meta-')) continue;
    const key = name.slice('x-amz-meta-'.length);
    metadata[key] = value;
    size += Buffer.byteLength(key) + Buffer.byteLength(value);
  }
  if (size > MAX_METADATA_BYTES) {
    throw new S3Error('MetadataTooLarge', {
      fields: { Size: String(size), MaxSizeAllowed: String(MAX_METADATA_BYTES) },
    });
  }
  return metadata;
}

function objectHeaders(object: StoredObject): Record<string, string> {
  const headers: Record<string, string> = {
    etag: object.etag,
    'last-modified': httpDate(object.lastModified),
    'content-type': object.contentType,
    'accept-ranges': 'bytes',
  };
  for (const [k, v] of Object.entries(object.metadata)) headers[`x-amz-meta-${k}`] = v;
  return headers;
}

/**
 * The payload of a PutObject / UploadPart: aws-chunked bodies are de-chunked (chunk signatures verified
 * when signed), `Content-MD5` and any `x-amz-checksum-*` (header or trailer) are checked against the bytes.
 */
function payloadOf(
  headers: Readonly<Record<string, string>>,
  raw: Buffer,
  chunkSigning: Parameters<typeof decodeAwsChunked>[1],
): { data: Buffer; checksum?: { algorithm: ChecksumAlgorithm; value: string } } {
  const chunked =
    (headers['content-encoding'] ?? '').split(',').some((e) => e.trim() === 'aws-chunked') ||
    (headers['x-amz-content-sha256'] ?? '').startsWith('STREAMING-');
  let data = raw;
  let trailers: Record<string, string> = {};
  if (chunked) {
    const decoded = decodeAwsChunked(raw, chunkSigning);
    data = decoded.data;
    trailers = decoded.trailers;
    const declared = headers['x-amz-decoded-content-length'];
    if (declared !== undefined && Number(declared) !== data.length) throw new S3Error('IncompleteBody');
  }
  const md5 = headers['content-md5'];
  if (md5 !== undefined) {
    if (!/^[A-Za-z0-9+/]{22}==$/.test(md5)) throw new S3Error('InvalidDigest');
    if (createHash('md5').update(data).digest('base64') !== md5) throw new S3Error('BadDigest');
  }
  let checksum: { algorithm: ChecksumAlgorithm; value: string } | undefined;
  for (const [name, value] of [...Object.entries(headers), ...Object.entries(trailers)]) {
    const algorithm = checksumAlgorithmOfHeader(name);
    if (!algorithm) continue;
    const computed = computeChecksum(algorithm, data);
    if (computed !== undefined && computed !== value) {
      throw new S3Error('BadDigest', {
        message: `The ${algorithm.toUpperCase()} you specified did not match the calculated checksum.`,
      });
    }
    checksum = { algorithm, value };
  }
  return checksum ? { data, checksum } : { data };
}

function checkKey(key: string): void {
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw new S3Error('KeyTooLongError');
}

/** Parses `Range: bytes=a-b | a- | -n`; undefined means "whole object" (absent or not a single byte range). */
function parseRange(header: string | undefined, size: number): { start: number; end: number } | undefined {
  if (header === undefined) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) throw new S3Error('InvalidRange', { fields: { ActualObjectSize: String(size) } });
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== '' && Number(m[2]) < start) return undefined;
  if (start >= size) throw new S3Error('InvalidRange', { fields: { ActualObjectSize: String(size) } });
  return { start, end };
}

function etagMatches(condition: string, etag: string): boolean {
  return condition
    .split(',')
    .map((t) => t.trim())
    .some((t) => t === '*' || t === etag || `"${t}"` === etag);
}

/** GET/HEAD conditions (RFC 7232 order, as S3 applies them). Returns 304 when not modified. */
function checkReadConditions(headers: Readonly<Record<string, string>>, object: StoredObject): 304 | undefined {
  const ifMatch = headers['if-match'];
  const ifNoneMatch = headers['if-none-match'];
  const ifModifiedSince = headers['if-modified-since'];
  const ifUnmodifiedSince = headers['if-unmodified-since'];
  const modified = Math.floor(object.lastModified / 1000) * 1000;
  if (ifMatch !== undefined && !etagMatches(ifMatch, object.etag)) {
    throw new S3Error('PreconditionFailed', { fields: { Condition: 'If-Match' } });
  }
  if (ifMatch === undefined && ifUnmodifiedSince !== undefined && modified > Date.parse(ifUnmodifiedSince)) {
    throw new S3Error('PreconditionFailed', { fields: { Condition: 'If-Unmodified-Since' } });
  }
  if (ifNoneMatch !== undefined && etagMatches(ifNoneMatch, object.etag)) return 304;
  if (ifNoneMatch === undefined && ifModifiedSince !== undefined && modified <= Date.parse(ifModifiedSince)) return 304;
  return undefined;
}

/**
 * PutObject / CompleteMultipartUpload conditions (`If-None-Match: *` creates only, `If-Match: <etag>`
 * replaces only that version) as a precondition the store checks atomically with the write.
 */
function writeCondition(
  headers: Readonly<Record<string, string>>,
  key: string,
): ((existing: StoredObject | undefined) => void) | undefined {
  const ifNoneMatch = headers['if-none-match'];
  const ifMatch = headers['if-match'];
  if (ifNoneMatch === undefined && ifMatch === undefined) return undefined;
  if (ifNoneMatch !== undefined && ifNoneMatch.trim() !== '*') {
    throw new S3Error('NotImplemented', { fields: { Header: 'If-None-Match' } });
  }
  return (existing) => {
    if (ifNoneMatch !== undefined && existing) {
      throw new S3Error('PreconditionFailed', { fields: { Condition: 'If-None-Match' } });
    }
    if (ifMatch !== undefined) {
      if (!existing) throw new S3Error('NoSuchKey', { fields: { Key: key } });
      if (!etagMatches(ifMatch, existing.etag)) {
        throw new S3Error('PreconditionFailed', { fields: { Condition: 'If-Match' } });
      }
    }
  };
}

interface ListMarker {
  /** Last key or common prefix returned. */
  readonly after: string;
  /** The marker is a common prefix: every key under it was rolled up. */
  readonly prefix: boolean;
}

function encodeToken(marker: ListMarker): string {
  return Buffer.from(JSON.stringify([marker.after, marker.prefix ? 1 : 0])).toString('base64');
}

function decodeToken(token: string): ListMarker {
  try {
    const [after, prefix] = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as [unknown, unknown];
    if (typeof after !== 'string') throw new Error('bad token');
    return { after, prefix: prefix === 1 };
  } catch {
    throw new S3Error('InvalidArgument', {
      message: 'The continuation token provided is incorrect',
      fields: { ArgumentName: 'continuation-token' },
    });
  }
}

function byteCompare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** ListObjectsV2 over the store's sorted keys. */
function listObjectsV2(store: ObjectStore, bucket: string, query: Record<string, string | string[]>): string {
  const prefix = first(query.prefix) ?? '';
  const delimiter = first(query.delimiter) ?? '';
  const startAfter = first(query['start-after']);
  const token = first(query['continuation-token']);
  const encodingType = first(query['encoding-type']);
  if (encodingType !== undefined && encodingType !== 'url') {
    throw new S3Error('InvalidArgument', {
      message: 'Invalid Encoding Method specified in Request',
      fields: { ArgumentName: 'encoding-type' },
    });
  }
  const maxKeysText = first(query['max-keys']);
  let maxKeys = MAX_LIST_KEYS;
  if (maxKeysText !== undefined) {
    if (!/^\d+$/.test(maxKeysText)) {
      throw new S3Error('InvalidArgument', {
        message: 'Provided max-keys not an integer or within integer range',
        fields: { ArgumentName: 'max-keys' },
      });
    }
    maxKeys = Math.min(Number(maxKeysText), MAX_LIST_KEYS);
  }
  const fetchOwner = first(query['fetch-owner']) === 'true';
  const enc = (s: string) => (encodingType === 'url' ? encodeURIComponent(s).replace(/%2F/g, '/') : s);
  const marker: ListMarker | undefined =
    token !== undefined ? decodeToken(token) : startAfter ? { after: startAfter, prefix: false } : undefined;
  const keys = store.sortedKeys(bucket);
  // Binary search for the first key after the marker (or at the prefix).
  const from = marker && byteCompare(marker.after, prefix) > 0 ? marker.after : prefix;
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (byteCompare(keys[mid] ?? '', from) < 0) lo = mid + 1;
    else hi = mid;
  }
  const contents: string[] = [];
  const prefixes: string[] = [];
  let count = 0;
  let truncated = false;
  let last: ListMarker | undefined;
  for (let i = lo; i < keys.length; i++) {
    const key = keys[i] ?? '';
    if (!key.startsWith(prefix)) {
      if (byteCompare(key, prefix) > 0) break;
      continue;
    }
    if (marker && (byteCompare(key, marker.after) <= 0 || (marker.prefix && key.startsWith(marker.after)))) continue;
    let commonPrefix: string | undefined;
    if (delimiter !== '') {
      const at = key.indexOf(delimiter, prefix.length);
      if (at >= 0) commonPrefix = key.slice(0, at + delimiter.length);
    }
    if (commonPrefix !== undefined && last?.prefix && last.after === commonPrefix) continue;
    if (count >= maxKeys) {
      truncated = true;
      break;
    }
    count++;
    if (commonPrefix !== undefined) {
      prefixes.push(`<CommonPrefixes>${element('Prefix', enc(commonPrefix))}</CommonPrefixes>`);
      last = { after: commonPrefix, prefix: true };
    } else {
      const object = store.get(bucket, key);
      contents.push(
        `<Contents>${element('Key', enc(key))}${element('LastModified', isoDate(object.lastModified))}${element('ETag', object.etag)}${
          object.checksum ? element('ChecksumAlgorithm', object.checksum.algorithm.toUpperCase()) : ''
        }${element('Size', object.size)}${
          fetchOwner ? '<Owner><ID>emulator</ID><DisplayName>emulator</DisplayName></Owner>' : ''
        }${element('StorageClass', 'STANDARD')}</Contents>`,
      );
      last = { after: key, prefix: false };
    }
  }
  return document(
    'ListBucketResult',
    `${element('Name', bucket)}${element('Prefix', enc(prefix))}${delimiter ? element('Delimiter', enc(delimiter)) : ''}${element('MaxKeys', maxKeys)}${
      encodingType ? element('EncodingType', encodingType) : ''
    }${element('KeyCount', count)}${element('IsTruncated', truncated)}${token !== undefined ? element('ContinuationToken', token) : ''}${
      truncated && last ? element('NextContinuationToken', encodeToken(last)) : ''
    }${startAfter !== undefined ? element('StartAfter', enc(startAfter)) : ''}${contents.join('')}${prefixes.join('')}`,
  );
}

/** The S3 operation a request is, for statistics (`S3:PutObject`, ...). */
function s3OperationName(method: string, bucket: string, key: string, query: Record<string, unknown>): string {
  if (bucket === '') return method === 'GET' ? 'ListBuckets' : method;
  if (key === '') {
    if (method === 'POST' && query.delete !== undefined) return 'DeleteObjects';
    if (method === 'GET') {
      if (query.uploads !== undefined) return 'ListMultipartUploads';
      return query.location !== undefined ? 'GetBucketLocation' : 'ListObjectsV2';
    }
    return (
      ({ PUT: 'CreateBucket', HEAD: 'HeadBucket', DELETE: 'DeleteBucket' } as Record<string, string>)[method] ?? method
    );
  }
  if (query.uploadId !== undefined) {
    return (
      (
        {
          PUT: 'UploadPart',
          POST: 'CompleteMultipartUpload',
          DELETE: 'AbortMultipartUpload',
          GET: 'ListParts',
        } as Record<string, string>
      )[method] ?? method
    );
  }
  if (method === 'POST' && query.uploads !== undefined) return 'CreateMultipartUpload';
  return (
    ({ PUT: 'PutObject', GET: 'GetObject', HEAD: 'HeadObject', DELETE: 'DeleteObject' } as Record<string, string>)[
      method
    ] ?? method
  );
}

/** Handles one S3 request end to end (body, auth, operation, response). */
export async function handleS3(state: EmulatorState, ctx: S3Request): Promise<void> {
  const { method, rawPath, query, headers, requestId, res } = ctx;
  const store = state.s3;
  try {
    const slash = rawPath.indexOf('/', 1);
    const bucket = decodeSegment(slash < 0 ? rawPath.slice(1) : rawPath.slice(1, slash));
    const key = slash < 0 ? '' : decodeSegment(rawPath.slice(slash + 1));
    const isUpload = method === 'PUT' && key !== '';
    // An upload may take what the budget has left (plus what it replaces, plus aws-chunked framing); anything
    // bigger is refused before its bytes are read.
    let replaced = 0;
    try {
      replaced = isUpload && query.uploadId === undefined ? (store.head(bucket, key)?.size ?? 0) : 0;
    } catch {
      // A missing bucket is reported after authentication.
    }
    const limit = isUpload
      ? Math.max(0, store.maxBytes - store.bytesUsed + replaced) + CHUNK_FRAMING_SLACK
      : MAX_XML_BODY;
    const raw = await readBody(ctx.req, limit);
    const { chunkSigning } = await authenticateS3(state, {
      method,
      path: rawPath,
      query,
      headers,
      body: raw,
    });
    state.count('operations', `S3:${s3OperationName(method, bucket, key, query)}`);
    if (bucket === '') {
      if (method !== 'GET') throw new S3Error('MethodNotAllowed');
      const buckets = store
        .listBuckets()
        .map((b) => `<Bucket>${element('Name', b.name)}${element('CreationDate', isoDate(b.created))}</Bucket>`)
        .join('');
      sendXml(
        res,
        200,
        document('ListAllMyBucketsResult', `<Owner><ID>emulator</ID></Owner><Buckets>${buckets}</Buckets>`),
        requestId,
      );
      return;
    }
    if (key === '') return await bucketOperation(state, ctx, bucket, raw);
    checkKey(key);
    const uploadId = first(query.uploadId);
    switch (method) {
      case 'PUT': {
        if (headers['x-amz-copy-source'] !== undefined)
          throw new S3Error('NotImplemented', { fields: { Header: 'x-amz-copy-source' } });
        const { data, checksum } = payloadOf(headers, raw, chunkSigning);
        const checksumHeaders: Record<string, string> = checksum
          ? { [`x-amz-checksum-${checksum.algorithm}`]: checksum.value }
          : {};
        if (uploadId !== undefined) {
          const partText = first(query.partNumber) ?? '';
          const partNumber = Number(partText);
          if (!/^\d+$/.test(partText) || partNumber < 1 || partNumber > MAX_PART_NUMBER) {
            throw new S3Error('InvalidArgument', {
              message: 'Part number must be an integer between 1 and 10000, inclusive',
              fields: { ArgumentName: 'partNumber', ArgumentValue: partText },
            });
          }
          const upload = store.upload(bucket, key, uploadId);
          const etag = await store.putPart(upload, partNumber, data);
          sendEmpty(res, 200, requestId, { etag, ...checksumHeaders });
          return;
        }
        const precondition = writeCondition(headers, key);
        const object = await store.put(bucket, key, data, {
          ...(precondition ? { precondition } : {}),
          contentType: headers['content-type'] ?? 'binary/octet-stream',
          metadata: metadataOf(headers),
          ...(checksum ? { checksum } : {}),
        });
        sendEmpty(res, 200, requestId, { etag: object.etag, ...checksumHeaders });
        return;
      }
      case 'POST': {
        if (query.uploads !== undefined) {
          const upload = store.createUpload(bucket, key, {
            contentType: headers['content-type'] ?? 'binary/octet-stream',
            metadata: metadataOf(headers),
          });
          const algorithm = headers['x-amz-checksum-algorithm'];
          sendXml(
            res,
            200,
            document(
              'InitiateMultipartUploadResult',
              `${element('Bucket', bucket)}${element('Key', key)}${element('UploadId', upload.uploadId)}`,
            ),
            requestId,
            algorithm ? { 'x-amz-checksum-algorithm': algorithm } : {},
          );
          return;
        }
        if (uploadId !== undefined) {
          const upload = store.upload(bucket, key, uploadId);
          const parts = readItems(raw.toString('utf8'), 'CompleteMultipartUpload', 'Part').map((p) => {
            const partNumber = Number(p.PartNumber);
            if (!Number.isInteger(partNumber) || p.ETag === undefined) throw new S3Error('MalformedXML');
            return { partNumber, etag: p.ETag };
          });
          const object = await store.completeUpload(upload, parts, writeCondition(headers, key));
          const host = headers.host ?? 'localhost';
          sendXml(
            res,
            200,
            document(
              'CompleteMultipartUploadResult',
              `${element('Location', `http://${host}/${bucket}/${key}`)}${element('Bucket', bucket)}${element('Key', key)}${element('ETag', object.etag)}`,
            ),
            requestId,
          );
          return;
        }
        throw new S3Error('MethodNotAllowed');
      }
      case 'GET':
      case 'HEAD': {
        if (uploadId !== undefined)
          throw new S3Error('NotImplemented', { message: 'ListParts is not implemented by the emulator.' });
        const object = store.get(bucket, key);
        if (checkReadConditions(headers, object) === 304) {
          sendEmpty(res, 304, requestId, { etag: object.etag, 'last-modified': httpDate(object.lastModified) });
          return;
        }
        const size = object.size;
        const range = parseRange(headers.range, size);
        const out: Record<string, string> = objectHeaders(object);
        // A full-object checksum is returned only for a whole-object read, when the client asks for it.
        if (!range && object.checksum && (headers['x-amz-checksum-mode'] ?? '').toUpperCase() === 'ENABLED') {
          out[`x-amz-checksum-${object.checksum.algorithm}`] = object.checksum.value;
          out['x-amz-checksum-type'] = 'FULL_OBJECT';
        }
        const length = range ? range.end - range.start + 1 : size;
        if (range) out['content-range'] = `bytes ${range.start}-${range.end}/${size}`;
        res.writeHead(range ? 206 : 200, { ...requestHeaders(requestId), ...out, 'content-length': length });
        if (method === 'HEAD' || length === 0) {
          res.end();
          return;
        }
        // Streamed with backpressure: a disk-backed object is never read whole into memory.
        for await (const chunk of store.stream(object, range)) {
          if (res.destroyed) return;
          if (!res.write(chunk as Buffer)) await drainedOrClosed(res);
        }
        res.end();
        return;
      }
      case 'DELETE': {
        if (uploadId !== undefined) {
          await store.abortUpload(store.upload(bucket, key, uploadId));
          sendEmpty(res, 204, requestId);
          return;
        }
        await store.delete(bucket, key);
        sendEmpty(res, 204, requestId);
        return;
      }
      default:
        throw new S3Error('MethodNotAllowed');
    }
  } catch (error) {
    const s3Error =
      error instanceof S3Error
        ? error
        : error instanceof Error && error.name === 'AbortError'
          ? undefined
          : new S3Error('InvalidRequest', { message: 'The emulator could not process the request.' });
    if (s3Error) sendS3Error(res, s3Error, requestId, method, rawPath);
    // A body refused before it was read leaves bytes on the connection: close it after the answer.
    if (s3Error?.code === 'EntityTooLarge' && 'socket' in ctx.req && ctx.req.httpVersionMajor === 1)
      ctx.req.socket?.end();
  }
}

async function bucketOperation(state: EmulatorState, ctx: S3Request, bucket: string, raw: Buffer): Promise<void> {
  const { method, query, res, requestId } = ctx;
  const store = state.s3;
  const region = state.pinnedRegion ?? 'us-east-1';
  switch (method) {
    case 'PUT':
      store.createBucket(bucket);
      sendEmpty(res, 200, requestId, { location: `/${bucket}` });
      return;
    case 'HEAD':
      if (!store.hasBucket(bucket)) throw new S3Error('NoSuchBucket');
      sendEmpty(res, 200, requestId, { 'x-amz-bucket-region': region });
      return;
    case 'DELETE':
      store.deleteBucket(bucket);
      sendEmpty(res, 204, requestId);
      return;
    case 'GET': {
      if (!store.hasBucket(bucket)) throw new S3Error('NoSuchBucket', { fields: { BucketName: bucket } });
      if (query.uploads !== undefined) {
        // ListMultipartUploads, one page of up to 1000 (the emulator keeps few uploads; no markers needed).
        const prefix = first(query.prefix) ?? '';
        const uploads = store.listUploads(bucket, prefix);
        const items = uploads
          .slice(0, MAX_LIST_KEYS)
          .map(
            (u) =>
              `<Upload>${element('Key', u.key)}${element('UploadId', u.uploadId)}${element('Initiated', isoDate(u.initiated))}${element('StorageClass', 'STANDARD')}</Upload>`,
          )
          .join('');
        sendXml(
          res,
          200,
          document(
            'ListMultipartUploadsResult',
            `${element('Bucket', bucket)}${element('Prefix', prefix)}${element('MaxUploads', MAX_LIST_KEYS)}${element('IsTruncated', uploads.length > MAX_LIST_KEYS)}${items}`,
          ),
          requestId,
        );
        return;
      }
      if (query.location !== undefined) {
        const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${region === 'us-east-1' ? '' : region}</LocationConstraint>`;
        sendXml(res, 200, xml, requestId);
        return;
      }
      if (first(query['list-type']) !== '2') {
        throw new S3Error('NotImplemented', {
          message: 'Only ListObjectsV2 (list-type=2) is implemented by the emulator.',
        });
      }
      sendXml(res, 200, listObjectsV2(store, bucket, query), requestId, { 'x-amz-bucket-region': region });
      return;
    }
    case 'POST': {
      if (query.delete === undefined) throw new S3Error('MethodNotAllowed');
      if (!store.hasBucket(bucket)) throw new S3Error('NoSuchBucket', { fields: { BucketName: bucket } });
      const xml = raw.toString('utf8');
      const objects = readItems(xml, 'Delete', 'Object');
      if (objects.length === 0 || objects.length > MAX_DELETE_KEYS || objects.some((o) => o.Key === undefined)) {
        throw new S3Error('MalformedXML');
      }
      const quiet = readFlag(xml, 'Quiet') === 'true';
      const deleted: string[] = [];
      for (const o of objects) {
        await store.delete(bucket, o.Key ?? '');
        if (!quiet) deleted.push(`<Deleted>${element('Key', o.Key)}</Deleted>`);
      }
      sendXml(res, 200, document('DeleteResult', deleted.join('')), requestId);
      return;
    }
    default:
      throw new S3Error('MethodNotAllowed');
  }
}
