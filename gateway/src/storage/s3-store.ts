/**
 * The S3 objects of one account's `batch` block: bucket and key prefix, one S3 client. Built once per
 * account and reused by every request (see AccountStorage). Streams stay streams: uploads go through
 * lib-storage's multipart `Upload` with a bounded part queue, downloads hand back the response stream.
 */
import { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import type { StorageOptions } from './defaults.js';
import { loadS3Sdk, type S3Sdk } from './s3-client.js';
import { s3Error, s3ErrorName, s3ErrorStatus } from './s3-errors.js';

/** What S3 says about an object. `metadata` keys are lower-case, without `x-amz-meta-`. */
export interface ObjectInfo {
  readonly key: string;
  readonly size: number;
  readonly lastModified: Date;
  readonly etag: string;
  readonly contentType?: string;
  readonly metadata: Readonly<Record<string, string>>;
}

/** A downloaded object: its info and the (unbuffered) body stream. */
export interface ObjectStream extends ObjectInfo {
  readonly body: Readable;
  /** `bytes a-b/total` when a range was asked for. */
  readonly contentRange?: string;
}

export interface PutOptions {
  contentType?: string;
  /** User metadata (ASCII values; S3 caps all of it at 2 KB). */
  metadata?: Record<string, string>;
  signal?: AbortSignal;
}

export interface ListPage {
  readonly objects: ObjectInfo[];
  readonly nextContinuationToken?: string;
}

export interface S3StoreSettings {
  /** Builds the store's S3 client; called once, on the store's first call (the SDK loads then). */
  readonly client: () => Promise<S3Client>;
  readonly bucket: string;
  /** Key prefix of everything this gateway writes for the account ('' for none). */
  readonly prefix: string;
  /** Account name, for error messages. */
  readonly account: string;
  readonly options: StorageOptions;
}

export class S3Store {
  readonly bucket: string;
  readonly prefix: string;
  readonly account: string;
  private readonly createClient: () => Promise<S3Client>;
  private client: Promise<{ client: S3Client; sdk: S3Sdk }> | undefined;
  private readonly options: StorageOptions;

  constructor(settings: S3StoreSettings) {
    this.createClient = settings.client;
    this.bucket = settings.bucket;
    this.prefix = settings.prefix;
    this.account = settings.account;
    this.options = settings.options;
  }

  /** The full key of a key relative to the account's prefix. */
  key(relative: string): string {
    return this.prefix + relative;
  }

  /** `s3://bucket/key`. */
  uri(key: string): string {
    return `s3://${this.bucket}/${key}`;
  }

  /**
   * Writes an object. A stream body is sent as a multipart upload of `uploadPartBytes` parts with at most
   * `uploadQueueSize` parts in flight (a body smaller than one part becomes one PutObject). If the body
   * stream fails or `signal` aborts, the multipart upload is aborted before this rejects, so no object
   * and no orphaned parts are left; the body's own error is rethrown unchanged.
   */
  async put(key: string, body: Readable | Uint8Array | string, options: PutOptions = {}): Promise<{ etag?: string }> {
    const params = {
      Bucket: this.bucket,
      Key: key,
      Body: body,
      ...(options.contentType ? { ContentType: options.contentType } : {}),
      ...(options.metadata ? { Metadata: options.metadata } : {}),
    };
    if (!(body instanceof Readable)) {
      const { client, sdk } = await this.s3();
      try {
        const out = await client.send(
          new sdk.PutObjectCommand(params),
          options.signal ? { abortSignal: options.signal } : {},
        );
        return out.ETag ? { etag: out.ETag } : {};
      } catch (err) {
        throw s3Error(err, this.what('Writing to'));
      }
    }
    // Listening before the first await: a body failing while the SDK loads must not go unhandled.
    let bodyError: unknown;
    body.once('error', (err) => {
      bodyError ??= err;
    });
    const [{ client }, { Upload }] = await Promise.all([this.s3(), import('@aws-sdk/lib-storage')]);
    const upload = new Upload({
      client,
      params,
      partSize: this.options.uploadPartBytes,
      queueSize: this.options.uploadQueueSize,
      leavePartsOnError: false,
    });
    // Aborting by destroying the body (instead of upload.abort()) makes lib-storage finish in-flight
    // parts and send AbortMultipartUpload before done() rejects; upload.abort() rejects at once and
    // cleans up later, which would let a caller observe a half-finished upload.
    const onAbort = () => body.destroy(Object.assign(new Error('upload aborted'), { name: 'AbortError' }));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) onAbort();
    try {
      const out = await upload.done();
      return 'ETag' in out && out.ETag ? { etag: out.ETag } : {};
    } catch (err) {
      if (bodyError !== undefined) throw bodyError;
      throw s3Error(err, this.what('Writing to'));
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Conditional create (`If-None-Match: *`): true when this call created the object, false when it
   * existed already (412 PreconditionFailed, or 409 ConditionalRequestConflict for a concurrent create).
   * Replicas use it to agree on "exactly once" work, e.g. counting a finished batch's cost.
   */
  async createIfAbsent(key: string, body: Uint8Array | string, options: PutOptions = {}): Promise<boolean> {
    const { client, sdk } = await this.s3();
    try {
      await client.send(
        new sdk.PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          IfNoneMatch: '*',
          ...(options.contentType ? { ContentType: options.contentType } : {}),
          ...(options.metadata ? { Metadata: options.metadata } : {}),
        }),
        options.signal ? { abortSignal: options.signal } : {},
      );
      return true;
    } catch (err) {
      const status = s3ErrorStatus(err);
      const name = s3ErrorName(err);
      if (status === 412 || status === 409 || name === 'PreconditionFailed' || name === 'ConditionalRequestConflict')
        return false;
      throw s3Error(err, this.what('Writing to'));
    }
  }

  /** The object's info, or undefined when there is no such object. */
  async head(key: string, options: { signal?: AbortSignal } = {}): Promise<ObjectInfo | undefined> {
    const { client, sdk } = await this.s3();
    try {
      const out = await client.send(
        new sdk.HeadObjectCommand({ Bucket: this.bucket, Key: key }),
        options.signal ? { abortSignal: options.signal } : {},
      );
      return {
        key,
        size: out.ContentLength ?? 0,
        lastModified: out.LastModified ?? new Date(0),
        etag: out.ETag ?? '',
        ...(out.ContentType ? { contentType: out.ContentType } : {}),
        metadata: lowerKeys(out.Metadata),
      };
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw s3Error(err, this.what('Reading'));
    }
  }

  /** The object with its body as a stream (not buffered), or undefined when there is no such object. */
  async get(key: string, options: { range?: string; signal?: AbortSignal } = {}): Promise<ObjectStream | undefined> {
    const { client, sdk } = await this.s3();
    try {
      const out = await client.send(
        new sdk.GetObjectCommand({ Bucket: this.bucket, Key: key, ...(options.range ? { Range: options.range } : {}) }),
        options.signal ? { abortSignal: options.signal } : {},
      );
      const body = out.Body;
      if (!(body instanceof Readable)) throw new TypeError('S3 GetObject returned no Node stream body');
      return {
        key,
        size: out.ContentLength ?? 0,
        lastModified: out.LastModified ?? new Date(0),
        etag: out.ETag ?? '',
        ...(out.ContentType ? { contentType: out.ContentType } : {}),
        metadata: lowerKeys(out.Metadata),
        body,
        ...(out.ContentRange ? { contentRange: out.ContentRange } : {}),
      };
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw s3Error(err, this.what('Reading'));
    }
  }

  /** One ListObjectsV2 page (keys in UTF-8 byte order; no metadata or content types). */
  async listPage(options: {
    prefix: string;
    startAfter?: string;
    continuationToken?: string;
    maxKeys?: number;
    signal?: AbortSignal;
  }): Promise<ListPage> {
    const { client, sdk } = await this.s3();
    try {
      const out = await client.send(
        new sdk.ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: options.prefix,
          ...(options.startAfter ? { StartAfter: options.startAfter } : {}),
          ...(options.continuationToken ? { ContinuationToken: options.continuationToken } : {}),
          ...(options.maxKeys ? { MaxKeys: options.maxKeys } : {}),
        }),
        options.signal ? { abortSignal: options.signal } : {},
      );
      const objects: ObjectInfo[] = (out.Contents ?? []).flatMap((o) =>
        o.Key === undefined
          ? []
          : [
              {
                key: o.Key,
                size: o.Size ?? 0,
                lastModified: o.LastModified ?? new Date(0),
                etag: o.ETag ?? '',
                metadata: {},
              },
            ],
      );
      return {
        objects,
        ...(out.IsTruncated && out.NextContinuationToken ? { nextContinuationToken: out.NextContinuationToken } : {}),
      };
    } catch (err) {
      throw s3Error(err, this.what('Listing'));
    }
  }

  /** Every object under `prefix` in key order, fetched page by page as the caller iterates. */
  async *list(prefix: string, options: { startAfter?: string; signal?: AbortSignal } = {}): AsyncGenerator<ObjectInfo> {
    let token: string | undefined;
    let first = true;
    while (first || token) {
      const page = await this.listPage({
        prefix,
        ...(first && options.startAfter ? { startAfter: options.startAfter } : {}),
        ...(token ? { continuationToken: token } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      first = false;
      yield* page.objects;
      token = page.nextContinuationToken;
    }
  }

  /** Deletes an object; deleting a missing object succeeds (S3 semantics). */
  async delete(key: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    const { client, sdk } = await this.s3();
    try {
      await client.send(
        new sdk.DeleteObjectCommand({ Bucket: this.bucket, Key: key }),
        options.signal ? { abortSignal: options.signal } : {},
      );
    } catch (err) {
      if (isMissing(err)) return;
      throw s3Error(err, this.what('Deleting from'));
    }
  }

  /** Closes the client's connection pool. */
  close(): void {
    this.client?.then(
      ({ client }) => client.destroy(),
      () => {},
    );
  }

  /** The client and the SDK's commands, built on first use. */
  private s3(): Promise<{ client: S3Client; sdk: S3Sdk }> {
    this.client ??= Promise.all([this.createClient(), loadS3Sdk()]).then(([client, sdk]) => ({ client, sdk }));
    return this.client;
  }

  private what(verb: string): string {
    return `${verb} the storage of account ${this.account}`;
  }
}

function isMissing(err: unknown): boolean {
  const name = s3ErrorName(err);
  return name === 'NoSuchKey' || name === 'NotFound' || (s3ErrorStatus(err) === 404 && name !== 'NoSuchBucket');
}

function lowerKeys(metadata: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(metadata ?? {})) out[k.toLowerCase()] = v;
  return out;
}
