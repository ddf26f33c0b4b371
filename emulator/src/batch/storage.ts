/**
 * Where a batch job reads its input and writes its output: the emulator's own S3 (in process), or an
 * external S3 server such as versitygw reached with `@aws-sdk/client-s3` (path-style), as Bedrock reads
 * the customer's bucket with the job's role.
 */

import {
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import type { ExternalS3 } from '../options.js';
import { S3Error } from '../s3/errors.js';
import type { ObjectStore } from '../s3/store.js';

/** A storage failure in S3's words (`NoSuchBucket`, `AccessDenied`, ...). */
export class BatchStorageError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'BatchStorageError';
  }
}

/** The operations a job needs. */
export interface BatchStorage {
  /** Every key under `prefix` with its size, in key order. */
  list(bucket: string, prefix: string): Promise<Array<{ key: string; size: number }>>;
  /** Size of the object, or undefined when there is none. */
  size(bucket: string, key: string): Promise<number | undefined>;
  read(bucket: string, key: string): Promise<Buffer>;
  write(bucket: string, key: string, body: Buffer, contentType: string): Promise<void>;
  /** Throws BatchStorageError (`NoSuchBucket`, `AccessDenied`, ...) unless the bucket can be reached. */
  checkBucket(bucket: string): Promise<void>;
}

function fromS3Error(error: unknown): never {
  if (error instanceof S3Error) throw new BatchStorageError(error.code, error.message);
  throw error;
}

/** The emulator's own S3. */
export function builtinStorage(store: ObjectStore): BatchStorage {
  return {
    async list(bucket, prefix) {
      try {
        return store
          .sortedKeys(bucket)
          .filter((k) => k.startsWith(prefix))
          .map((key) => ({ key, size: store.get(bucket, key).size }));
      } catch (error) {
        return fromS3Error(error);
      }
    },
    async size(bucket, key) {
      try {
        return store.head(bucket, key)?.size;
      } catch (error) {
        return fromS3Error(error);
      }
    },
    async read(bucket, key) {
      try {
        return await store.readAll(bucket, key);
      } catch (error) {
        return fromS3Error(error);
      }
    },
    async write(bucket, key, body, contentType) {
      try {
        await store.put(bucket, key, body, { contentType });
      } catch (error) {
        fromS3Error(error);
      }
    },
    async checkBucket(bucket) {
      if (!store.hasBucket(bucket)) throw new BatchStorageError('NoSuchBucket', 'The specified bucket does not exist');
    },
  };
}

function fromSdkError(error: unknown): never {
  if (error instanceof S3ServiceException) {
    const status = error.$metadata.httpStatusCode;
    const code =
      error.name === 'NotFound' || error.name === 'Unknown'
        ? status === 404
          ? 'NotFound'
          : `HTTP${status}`
        : error.name;
    throw new BatchStorageError(code, error.message || code);
  }
  throw new BatchStorageError('NetworkingError', error instanceof Error ? error.message : String(error));
}

/** An external S3 endpoint (path-style), e.g. versitygw in tests. */
export function externalStorage(config: ExternalS3): BatchStorage {
  const client = new S3Client({
    endpoint: config.endpoint,
    region: config.region ?? 'us-east-1',
    forcePathStyle: true,
    credentials: {
      accessKeyId: config.accessKeyId,
      secretAccessKey: config.secretAccessKey,
      ...(config.sessionToken ? { sessionToken: config.sessionToken } : {}),
    },
  });
  return {
    async list(bucket, prefix) {
      const out: Array<{ key: string; size: number }> = [];
      let token: string | undefined;
      try {
        do {
          const page = await client.send(
            new ListObjectsV2Command({
              Bucket: bucket,
              Prefix: prefix,
              ...(token ? { ContinuationToken: token } : {}),
            }),
          );
          for (const o of page.Contents ?? []) if (o.Key !== undefined) out.push({ key: o.Key, size: o.Size ?? 0 });
          token = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (token);
      } catch (error) {
        fromSdkError(error);
      }
      return out;
    },
    async size(bucket, key) {
      try {
        const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        return head.ContentLength ?? 0;
      } catch (error) {
        if (
          error instanceof S3ServiceException &&
          error.$metadata.httpStatusCode === 404 &&
          error.name !== 'NoSuchBucket'
        ) {
          return undefined;
        }
        return fromSdkError(error);
      }
    },
    async read(bucket, key) {
      try {
        const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return Buffer.from((await object.Body?.transformToByteArray()) ?? new Uint8Array());
      } catch (error) {
        return fromSdkError(error);
      }
    },
    async write(bucket, key, body, contentType) {
      try {
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }));
      } catch (error) {
        fromSdkError(error);
      }
    },
    async checkBucket(bucket) {
      try {
        await client.send(new HeadBucketCommand({ Bucket: bucket }));
      } catch (error) {
        // HeadBucket errors have no body: name them from the status as S3 would.
        if (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 404) {
          throw new BatchStorageError('NoSuchBucket', 'The specified bucket does not exist');
        }
        if (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 403) {
          throw new BatchStorageError('AccessDenied', 'Access Denied');
        }
        fromSdkError(error);
      }
    },
  };
}

/** Splits `s3://bucket/key/prefix` into bucket and key (the key may be empty). */
export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const rest = uri.slice('s3://'.length);
  const slash = rest.indexOf('/');
  return slash < 0 ? { bucket: rest, key: '' } : { bucket: rest.slice(0, slash), key: rest.slice(slash + 1) };
}
