/**
 * The emulator's object storage: buckets, objects and in-flight multipart uploads, bounded by a byte
 * budget (objects plus uploaded parts). Bodies live in memory, or, with a directory, in files there (so the
 * budget can exceed memory and objects survive a restart); the index of keys and metadata is always in
 * memory. Keys list in UTF-8 byte order, as S3 lists them.
 */

import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { S3Error } from './errors.js';

/** One stored object (its index entry; the bytes are read with `ObjectStore.read` / `stream`). */
export interface StoredObject {
  readonly key: string;
  readonly size: number;
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
  /** Memory mode: the bytes. */
  readonly body?: Buffer;
  /** Disk mode: the file holding the bytes. */
  readonly file?: string;
}

/** An uploaded part. */
interface StoredPart {
  readonly size: number;
  readonly etag: string;
  readonly body?: Buffer;
  readonly file?: string;
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
  /** Keys in byte order; rebuilt lazily after a key is added or removed. */
  sorted: string[] | undefined;
}

/** Options of a put. */
export interface PutOptions {
  contentType?: string;
  metadata?: Record<string, string>;
  checksum?: { algorithm: string; value: string };
  /**
   * A write condition (`If-None-Match: *`, `If-Match`): called with the object currently under the key,
   * throws to refuse. It is checked when the write starts and again just before the object replaces what is
   * there, and only one conditional write per key runs at a time (others get 409
   * ConditionalRequestConflict, as S3 answers), so two concurrent conditional creates never both win.
   */
  precondition?: (existing: StoredObject | undefined) => void;
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

/** Bytes hashed between two yields to the event loop (about 10 ms of MD5). */
const HASH_SLICE = 4 * 1024 * 1024;

/** MD5 of a large body in slices, so hashing a big object does not hold up other requests. */
async function md5Sliced(data: Buffer): Promise<Buffer> {
  const hash = createHash('md5');
  for (let i = 0; i < data.length; i += HASH_SLICE) {
    hash.update(data.subarray(i, i + HASH_SLICE));
    if (i + HASH_SLICE < data.length) await yieldToLoop();
  }
  return hash.digest();
}

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** File name of a key in disk mode: keys may hold any character, file names may not. */
function fileNameOf(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** Buckets and objects with a byte budget, in memory or under a directory. */
export class ObjectStore {
  private readonly buckets = new Map<string, Bucket>();
  private readonly uploads = new Map<string, MultipartUpload>();
  /** `bucket/key` of conditional writes in flight. */
  private readonly conditionalWrites = new Set<string>();
  private usedBytes = 0;

  /**
   * @param maxBytes largest total of stored object and part bytes
   * @param now clock (epoch ms)
   * @param dir disk mode: bodies and index files live here, and what is there is loaded now
   */
  constructor(
    readonly maxBytes: number,
    private readonly now: () => number,
    readonly dir?: string,
  ) {
    if (dir) this.load(dir);
  }

  /** Disk mode: reads the buckets and object index left in `dir` by an earlier run. */
  private load(dir: string): void {
    mkdirSync(join(dir, '.uploads'), { recursive: true });
    for (const name of readdirSync(dir)) {
      if (!isValidBucketName(name)) continue;
      const bucket: Bucket = { name, created: this.now(), objects: new Map(), sorted: undefined };
      this.buckets.set(name, bucket);
      for (const entry of readdirSync(join(dir, name))) {
        if (!entry.endsWith('.json')) continue;
        const object = JSON.parse(readFileSync(join(dir, name, entry), 'utf8')) as Omit<StoredObject, 'file'>;
        const file = join(dir, name, entry.slice(0, -'.json'.length));
        if (!existsSync(file)) continue;
        bucket.objects.set(object.key, { ...object, file });
        this.usedBytes += object.size;
      }
    }
    // Uploads do not survive a restart (their ids were only in memory).
    for (const stale of readdirSync(join(dir, '.uploads')))
      void rm(join(dir, '.uploads', stale), { recursive: true, force: true });
  }

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
    if (this.dir) mkdirSync(join(this.dir, name), { recursive: true });
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
    if (this.dir) void rm(join(this.dir, name), { recursive: true, force: true });
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

  /** The bytes `start..end` (inclusive) of an object, or all of them. */
  async read(object: StoredObject, range?: { start: number; end: number }): Promise<Buffer> {
    const start = range?.start ?? 0;
    const end = range?.end ?? object.size - 1;
    if (object.body) return object.body.subarray(start, end + 1);
    if (!object.file || object.size === 0) return Buffer.alloc(0);
    const handle = await open(object.file, 'r');
    try {
      const out = Buffer.alloc(end - start + 1);
      await handle.read(out, 0, out.length, start);
      return out;
    } finally {
      await handle.close();
    }
  }

  /** A stream of the bytes `start..end` (inclusive) of an object, or all of them. */
  stream(object: StoredObject, range?: { start: number; end: number }): Readable {
    if (object.body || !object.file || object.size === 0) {
      const start = range?.start ?? 0;
      const end = range?.end ?? object.size - 1;
      return Readable.from([object.body?.subarray(start, end + 1) ?? Buffer.alloc(0)]);
    }
    return createReadStream(object.file, range ? { start: range.start, end: range.end } : {});
  }

  /** Disk mode: writes the bytes to a temporary file next to the object's file; returns both names. */
  private async writeTemp(
    bucket: Bucket,
    key: string,
    write: (tmp: string) => Promise<void>,
  ): Promise<{ tmp: string; file: string }> {
    const file = join(this.dir ?? '', bucket.name, fileNameOf(key));
    const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    await write(tmp);
    return { tmp, file };
  }

  /** Disk mode: moves the temporary file into place (readers never see half an object) and writes the index entry. */
  private async finishTemp(
    entry: Omit<StoredObject, 'file' | 'body'>,
    written: { tmp: string; file: string },
  ): Promise<StoredObject> {
    await rename(written.tmp, written.file);
    await writeFile(`${written.file}.json`, JSON.stringify(entry));
    return { ...entry, file: written.file };
  }

  /** Runs a write under its precondition (see `PutOptions.precondition`). */
  private async guarded<T>(
    bucket: Bucket,
    key: string,
    precondition: PutOptions['precondition'],
    write: (recheck: () => void) => Promise<T>,
  ): Promise<T> {
    if (!precondition) return write(() => {});
    const lock = `${bucket.name}/${key}`;
    if (this.conditionalWrites.has(lock)) throw new S3Error('ConditionalRequestConflict', { fields: { Key: key } });
    precondition(bucket.objects.get(key));
    this.conditionalWrites.add(lock);
    try {
      return await write(() => precondition(bucket.objects.get(key)));
    } finally {
      this.conditionalWrites.delete(lock);
    }
  }

  private commit(bucket: Bucket, object: StoredObject): StoredObject {
    const previous = bucket.objects.get(object.key);
    this.usedBytes += object.size - (previous?.size ?? 0);
    if (!previous) bucket.sorted = undefined;
    bucket.objects.set(object.key, object);
    return object;
  }

  /** Stores an object (last writer wins, unless a precondition says otherwise); returns it. */
  async put(bucketName: string, key: string, body: Buffer, options: PutOptions = {}): Promise<StoredObject> {
    const bucket = this.bucket(bucketName);
    return this.guarded(bucket, key, options.precondition, (recheck) =>
      this.putUnguarded(bucket, key, body, options, recheck),
    );
  }

  private async putUnguarded(
    bucket: Bucket,
    key: string,
    body: Buffer,
    options: PutOptions,
    recheck: () => void,
  ): Promise<StoredObject> {
    this.reserve(body.length - (bucket.objects.get(key)?.size ?? 0));
    const entry: Omit<StoredObject, 'file' | 'body'> = {
      key,
      size: body.length,
      etag: `"${(await md5Sliced(body)).toString('hex')}"`,
      lastModified: this.now(),
      contentType: options.contentType ?? 'application/octet-stream',
      metadata: options.metadata ?? {},
      ...(options.checksum ? { checksum: options.checksum } : {}),
    };
    const written = this.dir ? await this.writeTemp(bucket, key, (tmp) => writeFile(tmp, body)) : undefined;
    try {
      // Checked again: another upload may have landed while the bytes were hashed or written.
      this.reserve(body.length - (bucket.objects.get(key)?.size ?? 0));
      recheck();
    } catch (error) {
      if (written) await rm(written.tmp, { force: true });
      throw error;
    }
    const object = written ? await this.finishTemp(entry, written) : { ...entry, body };
    return this.commit(bucket, object);
  }

  /** Deletes an object; deleting a missing key is not an error (S3 answers 204 either way). */
  async delete(bucketName: string, key: string): Promise<void> {
    const bucket = this.bucket(bucketName);
    const previous = bucket.objects.get(key);
    if (!previous) return;
    bucket.objects.delete(key);
    bucket.sorted = undefined;
    this.usedBytes -= previous.size;
    if (previous.file) {
      await rm(previous.file, { force: true });
      await rm(`${previous.file}.json`, { force: true });
    }
  }

  /** Keys of a bucket in UTF-8 byte order. */
  sortedKeys(bucketName: string): readonly string[] {
    const bucket = this.bucket(bucketName);
    bucket.sorted ??= [...bucket.objects.keys()].sort(byteOrder);
    return bucket.sorted;
  }

  createUpload(bucketName: string, key: string, options: Omit<PutOptions, 'checksum'>): MultipartUpload {
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

  /** Uploads in progress in a bucket (keys in byte order, then by start time). */
  listUploads(bucketName: string, prefix: string): MultipartUpload[] {
    this.bucket(bucketName);
    return [...this.uploads.values()]
      .filter((u) => u.bucket === bucketName && u.key.startsWith(prefix))
      .sort((a, b) => byteOrder(a.key, b.key) || a.initiated - b.initiated);
  }

  async putPart(upload: MultipartUpload, partNumber: number, body: Buffer): Promise<string> {
    this.reserve(body.length - (upload.parts.get(partNumber)?.size ?? 0));
    const etag = `"${(await md5Sliced(body)).toString('hex')}"`;
    let part: StoredPart;
    if (this.dir) {
      const dir = join(this.dir, '.uploads', upload.uploadId);
      mkdirSync(dir, { recursive: true });
      const file = join(dir, String(partNumber));
      await writeFile(`${file}.tmp`, body);
      await rename(`${file}.tmp`, file);
      part = { size: body.length, etag, file };
    } else {
      part = { size: body.length, etag, body };
    }
    if (!this.uploads.has(upload.uploadId))
      throw new S3Error('NoSuchUpload', { fields: { UploadId: upload.uploadId } });
    this.usedBytes += body.length - (upload.parts.get(partNumber)?.size ?? 0);
    upload.parts.set(partNumber, part);
    return etag;
  }

  async abortUpload(upload: MultipartUpload): Promise<void> {
    if (!this.uploads.delete(upload.uploadId)) return;
    for (const part of upload.parts.values()) this.usedBytes -= part.size;
    if (this.dir) await rm(join(this.dir, '.uploads', upload.uploadId), { recursive: true, force: true });
  }

  /**
   * Completes an upload from the client's part list (ascending part numbers, ETags matching, every part
   * but the last at least 5 MiB), replacing any object under the key.
   */
  async completeUpload(
    upload: MultipartUpload,
    requested: ReadonlyArray<{ partNumber: number; etag: string }>,
    precondition?: PutOptions['precondition'],
  ): Promise<StoredObject> {
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
      if (i < chosen.length - 1 && part.size < MIN_PART_BYTES) {
        throw new S3Error('EntityTooSmall', {
          fields: { ProposedSize: String(part.size), MinSizeAllowed: String(MIN_PART_BYTES) },
        });
      }
    });
    const bucket = this.bucket(upload.bucket);
    return this.guarded(bucket, upload.key, precondition, (recheck) => this.assemble(bucket, upload, chosen, recheck));
  }

  private async assemble(
    bucket: Bucket,
    upload: MultipartUpload,
    chosen: StoredPart[],
    recheck: () => void,
  ): Promise<StoredObject> {
    const size = chosen.reduce((n, p) => n + p.size, 0);
    const entry: Omit<StoredObject, 'file' | 'body'> = {
      key: upload.key,
      size,
      etag: `"${md5(Buffer.concat(chosen.map((p) => Buffer.from(p.etag.slice(1, -1), 'hex')))).toString('hex')}-${chosen.length}"`,
      lastModified: this.now(),
      contentType: upload.contentType,
      metadata: upload.metadata,
      parts: chosen.length,
    };
    const written = this.dir
      ? await this.writeTemp(bucket, upload.key, async (tmp) => {
          // Parts are appended file by file, so completing never holds the whole object in memory.
          const out = createWriteStream(tmp);
          await pipeline(
            (async function* () {
              for (const part of chosen)
                if (part.file) for await (const chunk of createReadStream(part.file)) yield chunk;
            })(),
            out,
          );
        })
      : undefined;
    try {
      recheck();
    } catch (error) {
      if (written) await rm(written.tmp, { force: true });
      throw error;
    }
    const object = written
      ? await this.finishTemp(entry, written)
      : { ...entry, body: Buffer.concat(chosen.map((p) => p.body ?? Buffer.alloc(0))) };
    // The parts' bytes move into the object: release them first so the budget counts them once.
    await this.abortUpload(upload);
    return this.commit(bucket, object);
  }

  /** Reads a whole object (for the batch runner). */
  async readAll(bucketName: string, key: string): Promise<Buffer> {
    return this.read(this.get(bucketName, key));
  }

  /** Drops every bucket, object and upload from the index (files stay on disk). */
  clear(): void {
    this.buckets.clear();
    this.uploads.clear();
    this.usedBytes = 0;
  }

  /** Test helper: the bytes of an object as text. */
  async text(bucketName: string, key: string): Promise<string> {
    const object = this.get(bucketName, key);
    return object.body ? object.body.toString('utf8') : object.file ? readFile(object.file, 'utf8') : '';
  }
}
