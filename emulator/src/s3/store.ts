/**
 * The emulator's object storage: buckets, objects and in-flight multipart uploads, held in memory and
 * bounded by a byte budget (objects plus uploaded parts). Keys list in UTF-8 byte order, as S3 lists them.
 */

import { createHash, randomBytes } from 'node:crypto';
import { S3Error } from './errors.js';

/** One stored object. */
export interface StoredObject {
  readonly key: string;
  readonly body: Buffer;
  /** Quoted, as S3 sends it: `"<md5 hex>"` or `"<md5 of part md5s>-<parts>"`. */
  readonly etag: string;
  /** Epoch ms. */
  readonly lastModified: number;
  readonly contentType: string;
  /** `x-amz-meta-*` values by lower-cased name without the prefix. */
  readonly metadata: Readonly<Record<string, string>>;
  /** The whole-object checksum sent with a single-part upload, e.g. `{ algorithm: 'crc32', value }`. */
  readonly checksum?: { readonly algorithm: string; readonly value: string };
  readonly parts?: number;
}

/** An uploaded part. */
interface StoredPart {
  readonly body: Buffer;
  readonly etag: string;
  readonly checksum?: { readonly algorithm: string; readonly value: string };
}

/** A multipart upload between Create and Complete/Abort. */
export interface MultipartUpload {
  readonly uploadId: string;
  readonly bucket: string;
  readonly key: string;
  readonly contentType: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly initiated: number;
  readonly parts: Map<number, StoredPart>;
}

interface Bucket {
  readonly name: string;
  readonly created: number;
  readonly objects: Map<string, StoredObject>;
  /** Keys in byte order; rebuilt lazily after a write. */
  sorted: string[] | undefined;
}

/** S3's smallest part (all but the last), 5 MiB. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;
/** Part numbers run 1–10,000. */
export const MAX_PART_NUMBER = 10_000;

/** S3 bucket naming rules (general purpose buckets). */
export function isValidBucketName(name: string): boolean {
  return (
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name) &&
    !name.includes('..') &&
    !/^\d+\.\d+\.\d+\.\d+$/.test(name) &&
    !name.startsWith('xn--') &&
    !name.endsWith('-s3alias')
  );
}

function md5(data: Uint8Array): Buffer {
  return createHash('md5').update(data).digest();
}

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** In-memory buckets and objects with a byte budget. */
export class ObjectStore {
  private readonly buckets = new Map<string, Bucket>();
  private readonly uploads = new Map<string, MultipartUpload>();
  private usedBytes = 0;

  constructor(
    /** Largest total of stored object and part bytes. */
    readonly maxBytes: number,
    private readonly now: () => number,
  ) {}

  /** Bytes held by objects and uploaded parts. */
  get bytesUsed(): number {
    return this.usedBytes;
  }

  /** Throws `EntityTooLarge` when `bytes` more would exceed the budget. */
  reserve(bytes: number): void {
    if (this.usedBytes + bytes > this.maxBytes) {
      throw new S3Error('EntityTooLarge', {
        message: `Your proposed upload exceeds the emulator's storage limit of ${this.maxBytes} bytes.`,
      });
    }
  }

  createBucket(name: string): void {
    if (!isValidBucketName(name)) throw new S3Error('InvalidBucketName', { fields: { BucketName: name } });
    if (this.buckets.has(name)) throw new S3Error('BucketAlreadyOwnedByYou', { fields: { BucketName: name } });
    this.buckets.set(name, { name, created: this.now(), objects: new Map(), sorted: undefined });
  }

  /** Creates the bucket unless it exists. */
  ensureBucket(name: string): void {
    if (!this.buckets.has(name)) this.createBucket(name);
  }

  hasBucket(name: string): boolean {
    return this.buckets.has(name);
  }

  listBuckets(): Array<{ name: string; created: number }> {
    return [...this.buckets.values()]
      .map((b) => ({ name: b.name, created: b.created }))
      .sort((a, b) => byteOrder(a.name, b.name));
  }

  deleteBucket(name: string): void {
    const bucket = this.bucket(name);
    if (bucket.objects.size > 0 || [...this.uploads.values()].some((u) => u.bucket === name)) {
      throw new S3Error('BucketNotEmpty', { fields: { BucketName: name } });
    }
    this.buckets.delete(name);
  }

  private bucket(name: string): Bucket {
    const bucket = this.buckets.get(name);
    if (!bucket) throw new S3Error('NoSuchBucket', { fields: { BucketName: name } });
    return bucket;
  }

  /** The object, or undefined (the bucket must exist). */
  head(bucketName: string, key: string): StoredObject | undefined {
    return this.bucket(bucketName).objects.get(key);
  }

  /** The object; `NoSuchKey` when absent. */
  get(bucketName: string, key: string): StoredObject {
    const object = this.head(bucketName, key);
    if (!object) throw new S3Error('NoSuchKey', { fields: { Key: key } });
    return object;
  }

  /** Stores an object (last writer wins); returns it. */
  put(
    bucketName: string,
    key: string,
    body: Buffer,
    options: {
      contentType?: string;
      metadata?: Record<string, string>;
      checksum?: { algorithm: string; value: string };
      etag?: string;
      parts?: number;
    } = {},
  ): StoredObject {
    const bucket = this.bucket(bucketName);
    const previous = bucket.objects.get(key);
    this.reserve(body.length - (previous?.body.length ?? 0));
    const object: StoredObject = {
      key,
      body,
      etag: options.etag ?? `"${md5(body).toString('hex')}"`,
      lastModified: this.now(),
      contentType: options.contentType ?? 'application/octet-stream',
      metadata: options.metadata ?? {},
      ...(options.checksum ? { checksum: options.checksum } : {}),
      ...(options.parts ? { parts: options.parts } : {}),
    };
    this.usedBytes += body.length - (previous?.body.length ?? 0);
    if (!previous) bucket.sorted = undefined;
    bucket.objects.set(key, object);
    return object;
  }

  /** Deletes an object; deleting a missing key is not an error (S3 answers 204 either way). */
  delete(bucketName: string, key: string): void {
    const bucket = this.bucket(bucketName);
    const previous = bucket.objects.get(key);
    if (!previous) return;
    bucket.objects.delete(key);
    bucket.sorted = undefined;
    this.usedBytes -= previous.body.length;
  }

  /** Keys of a bucket in UTF-8 byte order. */
  sortedKeys(bucketName: string): readonly string[] {
    const bucket = this.bucket(bucketName);
    bucket.sorted ??= [...bucket.objects.keys()].sort(byteOrder);
    return bucket.sorted;
  }

  createUpload(
    bucketName: string,
    key: string,
    options: { contentType?: string; metadata?: Record<string, string> },
  ): MultipartUpload {
    this.bucket(bucketName);
    const upload: MultipartUpload = {
      uploadId: randomBytes(24).toString('base64url'),
      bucket: bucketName,
      key,
      contentType: options.contentType ?? 'application/octet-stream',
      metadata: options.metadata ?? {},
      initiated: this.now(),
      parts: new Map(),
    };
    this.uploads.set(upload.uploadId, upload);
    return upload;
  }

  upload(bucketName: string, key: string, uploadId: string): MultipartUpload {
    this.bucket(bucketName);
    const upload = this.uploads.get(uploadId);
    if (!upload || upload.bucket !== bucketName || upload.key !== key) {
      throw new S3Error('NoSuchUpload', { fields: { UploadId: uploadId } });
    }
    return upload;
  }

  putPart(
    upload: MultipartUpload,
    partNumber: number,
    body: Buffer,
    checksum?: { algorithm: string; value: string },
  ): string {
    const previous = upload.parts.get(partNumber);
    this.reserve(body.length - (previous?.body.length ?? 0));
    const etag = `"${md5(body).toString('hex')}"`;
    upload.parts.set(partNumber, { body, etag, ...(checksum ? { checksum } : {}) });
    this.usedBytes += body.length - (previous?.body.length ?? 0);
    return etag;
  }

  abortUpload(upload: MultipartUpload): void {
    for (const part of upload.parts.values()) this.usedBytes -= part.body.length;
    this.uploads.delete(upload.uploadId);
  }

  /**
   * Completes an upload from the client's part list (ascending part numbers, ETags matching, every part
   * but the last at least 5 MiB), replacing any object under the key.
   */
  completeUpload(
    upload: MultipartUpload,
    requested: ReadonlyArray<{ partNumber: number; etag: string }>,
  ): StoredObject {
    if (requested.length === 0) throw new S3Error('MalformedXML');
    const chosen: StoredPart[] = [];
    let last = 0;
    for (const { partNumber, etag } of requested) {
      if (partNumber <= last) throw new S3Error('InvalidPartOrder');
      last = partNumber;
      const part = upload.parts.get(partNumber);
      const quoted = etag.startsWith('"') ? etag : `"${etag}"`;
      if (!part || part.etag !== quoted) throw new S3Error('InvalidPart');
      chosen.push(part);
    }
    chosen.forEach((part, i) => {
      if (i < chosen.length - 1 && part.body.length < MIN_PART_BYTES) {
        throw new S3Error('EntityTooSmall', {
          fields: { ProposedSize: String(part.body.length), MinSizeAllowed: String(MIN_PART_BYTES) },
        });
      }
    });
    const body = Buffer.concat(chosen.map((p) => p.body));
    const etag = `"${md5(Buffer.concat(chosen.map((p) => Buffer.from(p.etag.slice(1, -1), 'hex')))).toString('hex')}-${chosen.length}"`;
    // The parts' bytes move into the object: release them first so the budget counts them once.
    this.abortUpload(upload);
    return this.put(upload.bucket, upload.key, body, {
      contentType: upload.contentType,
      metadata: upload.metadata,
      etag,
      parts: chosen.length,
    });
  }

  /** Drops every bucket, object and upload. */
  clear(): void {
    this.buckets.clear();
    this.uploads.clear();
    this.usedBytes = 0;
  }
}
