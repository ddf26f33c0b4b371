import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../src/index.js';

const Sha256 = Hash.bind(null, 'sha256');
const CREDENTIALS = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};

let emu: RunningEmulator;
let s3: S3Client;

function client(credentials = CREDENTIALS): S3Client {
  return new S3Client({ endpoint: emu.url, region: 'us-east-1', forcePathStyle: true, credentials, maxAttempts: 1 });
}

const MODES = [
  { mode: 'in memory', dir: undefined as string | undefined },
  { mode: 'on disk', dir: 'disk' },
];

describe.each(MODES)('emulator S3 through @aws-sdk/client-s3 (path-style), objects $mode', ({ dir }) => {
  let diskDir: string | undefined;

  beforeAll(async () => {
    diskDir = dir ? mkdtempSync(join(tmpdir(), 'aigw-emu-s3-')) : undefined;
    emu = await startEmulator({ port: 0, s3: { buckets: ['files'], maxBytes: 64 * 1024 * 1024, dir: diskDir } });
    s3 = client();
  });

  afterAll(async () => {
    s3.destroy();
    await emu.close();
    if (diskDir) rmSync(diskDir, { recursive: true, force: true });
  });

  it('stores and returns an object with its content type and user metadata', async () => {
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: 'files',
        Key: 'dir/a b+c.jsonl',
        Body: '{"x":1}\n',
        ContentType: 'application/jsonl',
        Metadata: { owner: 'user:alice@example.com', purpose: 'batch' },
      }),
    );
    expect(put.ETag).toMatch(/^"[0-9a-f]{32}"$/);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'files', Key: 'dir/a b+c.jsonl' }));
    expect(await got.Body?.transformToString()).toBe('{"x":1}\n');
    expect(got.ContentType).toBe('application/jsonl');
    expect(got.Metadata).toEqual({ owner: 'user:alice@example.com', purpose: 'batch' });
    expect(got.ETag).toBe(put.ETag);
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'files', Key: 'dir/a b+c.jsonl' }));
    expect(head.ContentLength).toBe(8);
    expect(head.Metadata?.owner).toBe('user:alice@example.com');
  });

  it('de-chunks a streamed body sent as aws-chunked with a CRC32 trailer', async () => {
    const body = Readable.from([Buffer.from('hello '), Buffer.from('streamed '), Buffer.from('world')]);
    await s3.send(new PutObjectCommand({ Bucket: 'files', Key: 'stream.txt', Body: body, ContentLength: 20 }));
    const got = await s3.send(new GetObjectCommand({ Bucket: 'files', Key: 'stream.txt' }));
    expect(await got.Body?.transformToString()).toBe('hello streamed world');
  });

  it('refuses a body whose checksum does not match', async () => {
    await expect(
      s3.send(new PutObjectCommand({ Bucket: 'files', Key: 'bad.txt', Body: 'data', ChecksumCRC32: 'AAAAAA==' })),
    ).rejects.toMatchObject({ name: 'BadDigest', $metadata: { httpStatusCode: 400 } });
    await expect(s3.send(new HeadObjectCommand({ Bucket: 'files', Key: 'bad.txt' }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 404 },
    });
  });

  it('creates only when absent with If-None-Match: * (412 PreconditionFailed otherwise)', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'files', Key: 'marker', Body: 'first', IfNoneMatch: '*' }));
    await expect(
      s3.send(new PutObjectCommand({ Bucket: 'files', Key: 'marker', Body: 'second', IfNoneMatch: '*' })),
    ).rejects.toMatchObject({ name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } });
    const got = await s3.send(new GetObjectCommand({ Bucket: 'files', Key: 'marker' }));
    expect(await got.Body?.transformToString()).toBe('first');
  });

  it('lets exactly one of many concurrent conditional creates win (the others get 412 or 409)', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) =>
        s3.send(new PutObjectCommand({ Bucket: 'files', Key: 'race-marker', Body: `writer-${i}`, IfNoneMatch: '*' })),
      ),
    );
    const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
    expect(winners).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'rejected') expect([412, 409]).toContain(r.reason.$metadata.httpStatusCode);
    }
    const got = await s3.send(new GetObjectCommand({ Bucket: 'files', Key: 'race-marker' }));
    expect(await got.Body?.transformToString()).toBe(`writer-${winners[0]}`);
  });

  it('serves byte ranges (206 with Content-Range) and refuses unsatisfiable ones (416)', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'files', Key: 'digits', Body: '0123456789' }));
    const mid = await s3.send(new GetObjectCommand({ Bucket: 'files', Key: 'digits', Range: 'bytes=2-5' }));
    expect(await mid.Body?.transformToString()).toBe('2345');
    expect(mid.ContentRange).toBe('bytes 2-5/10');
    const tail = await s3.send(new GetObjectCommand({ Bucket: 'files', Key: 'digits', Range: 'bytes=-3' }));
    expect(await tail.Body?.transformToString()).toBe('789');
    const open = await s3.send(new GetObjectCommand({ Bucket: 'files', Key: 'digits', Range: 'bytes=7-' }));
    expect(await open.Body?.transformToString()).toBe('789');
    await expect(
      s3.send(new GetObjectCommand({ Bucket: 'files', Key: 'digits', Range: 'bytes=10-20' })),
    ).rejects.toMatchObject({ name: 'InvalidRange', $metadata: { httpStatusCode: 416 } });
  });

  it('lists with prefix, delimiter, max-keys pages, continuation tokens and start-after', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'listing' }));
    const keys = ['a/1', 'a/2', 'a/sub/3', 'a/sub/4', 'a/z', 'b/1', 'é', 'Z'];
    for (const key of keys) await s3.send(new PutObjectCommand({ Bucket: 'listing', Key: key, Body: key }));
    const all = await s3.send(new ListObjectsV2Command({ Bucket: 'listing' }));
    // UTF-8 byte order: upper case before lower case, multi-byte characters last.
    expect(all.Contents?.map((c) => c.Key)).toEqual(['Z', 'a/1', 'a/2', 'a/sub/3', 'a/sub/4', 'a/z', 'b/1', 'é']);
    expect(all.KeyCount).toBe(8);
    expect(all.IsTruncated).toBe(false);
    const folder = await s3.send(new ListObjectsV2Command({ Bucket: 'listing', Prefix: 'a/', Delimiter: '/' }));
    expect(folder.Contents?.map((c) => c.Key)).toEqual(['a/1', 'a/2', 'a/z']);
    expect(folder.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['a/sub/']);
    expect(folder.Contents?.[0]).toMatchObject({ Size: 3, StorageClass: 'STANDARD' });
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({
          Bucket: 'listing',
          Prefix: 'a/',
          Delimiter: '/',
          MaxKeys: 2,
          ContinuationToken: token,
        }),
      );
      pages++;
      for (const c of page.Contents ?? []) seen.push(c.Key ?? '');
      for (const p of page.CommonPrefixes ?? []) seen.push(p.Prefix ?? '');
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    expect(pages).toBe(2);
    expect(seen.sort()).toEqual(['a/1', 'a/2', 'a/sub/', 'a/z']);
    const after = await s3.send(new ListObjectsV2Command({ Bucket: 'listing', StartAfter: 'a/sub/4' }));
    expect(after.Contents?.map((c) => c.Key)).toEqual(['a/z', 'b/1', 'é']);
    await expect(s3.send(new ListObjectsV2Command({ Bucket: 'nope-bucket' }))).rejects.toMatchObject({
      name: 'NoSuchBucket',
      $metadata: { httpStatusCode: 404 },
    });
  });

  it('uploads a large body with lib-storage Upload (multipart, CRC32 per part)', async () => {
    const size = 11 * 1024 * 1024 + 123;
    const data = Buffer.alloc(size);
    for (let i = 0; i < size; i++) data[i] = (i * 31) & 0xff;
    const upload = new Upload({
      client: s3,
      params: {
        Bucket: 'files',
        Key: 'big.bin',
        Body: Readable.from([data.subarray(0, 3_000_000), data.subarray(3_000_000)]),
      },
    });
    const done = await upload.done();
    expect(done.ETag).toMatch(/^"[0-9a-f]{32}-3"$/);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'files', Key: 'big.bin' }));
    const bytes = Buffer.from((await got.Body?.transformToByteArray()) ?? []);
    expect(bytes.length).toBe(size);
    expect(bytes.equals(data)).toBe(true);
  });

  it('refuses a part list with a part below 5 MiB, and aborts uploads', async () => {
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'files', Key: 'parts' }));
    const p1 = await s3.send(
      new UploadPartCommand({ Bucket: 'files', Key: 'parts', UploadId, PartNumber: 1, Body: 'small' }),
    );
    const p2 = await s3.send(
      new UploadPartCommand({ Bucket: 'files', Key: 'parts', UploadId, PartNumber: 2, Body: 'tail' }),
    );
    const { CompleteMultipartUploadCommand } = await import('@aws-sdk/client-s3');
    await expect(
      s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: 'files',
          Key: 'parts',
          UploadId,
          MultipartUpload: {
            Parts: [
              { PartNumber: 1, ETag: p1.ETag },
              { PartNumber: 2, ETag: p2.ETag },
            ],
          },
        }),
      ),
    ).rejects.toMatchObject({ name: 'EntityTooSmall' });
    const open = await s3.send(new ListMultipartUploadsCommand({ Bucket: 'files', Prefix: 'par' }));
    expect(open.Uploads?.map((u) => [u.Key, u.UploadId])).toEqual([['parts', UploadId]]);
    await s3.send(new AbortMultipartUploadCommand({ Bucket: 'files', Key: 'parts', UploadId }));
    const none = await s3.send(new ListMultipartUploadsCommand({ Bucket: 'files' }));
    expect(none.Uploads ?? []).toEqual([]);
    await expect(
      s3.send(new UploadPartCommand({ Bucket: 'files', Key: 'parts', UploadId, PartNumber: 3, Body: 'x' })),
    ).rejects.toMatchObject({ name: 'NoSuchUpload', $metadata: { httpStatusCode: 404 } });
  });

  it('deletes objects (one, or many at once) and reports missing keys like S3', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'files', Key: 'gone', Body: 'x' }));
    await s3.send(new DeleteObjectCommand({ Bucket: 'files', Key: 'gone' }));
    await expect(s3.send(new GetObjectCommand({ Bucket: 'files', Key: 'gone' }))).rejects.toMatchObject({
      name: 'NoSuchKey',
      $metadata: { httpStatusCode: 404 },
    });
    // HEAD of a missing key is a bare 404 (no body), which the SDK names NotFound.
    await expect(s3.send(new HeadObjectCommand({ Bucket: 'files', Key: 'gone' }))).rejects.toMatchObject({
      name: 'NotFound',
    });
    await s3.send(new DeleteObjectCommand({ Bucket: 'files', Key: 'gone' }));
    for (const key of ['del/m1', 'del/m2'])
      await s3.send(new PutObjectCommand({ Bucket: 'files', Key: key, Body: key }));
    const many = await s3.send(
      new DeleteObjectsCommand({ Bucket: 'files', Delete: { Objects: [{ Key: 'del/m1' }, { Key: 'del/m2' }] } }),
    );
    expect(many.Deleted?.map((d) => d.Key).sort()).toEqual(['del/m1', 'del/m2']);
    const left = await s3.send(new ListObjectsV2Command({ Bucket: 'files', Prefix: 'del/' }));
    expect(left.KeyCount).toBe(0);
  });

  it('creates and heads buckets; refuses bad names and a second create', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'fresh-bucket' }));
    const head = await s3.send(new HeadBucketCommand({ Bucket: 'fresh-bucket' }));
    expect(head.BucketRegion).toBe('us-east-1');
    await expect(s3.send(new CreateBucketCommand({ Bucket: 'fresh-bucket' }))).rejects.toMatchObject({
      name: 'BucketAlreadyOwnedByYou',
      $metadata: { httpStatusCode: 409 },
    });
    await expect(s3.send(new CreateBucketCommand({ Bucket: 'Bad_Name' }))).rejects.toMatchObject({
      name: 'InvalidBucketName',
    });
    await expect(s3.send(new HeadBucketCommand({ Bucket: 'missing-bucket' }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 404 },
    });
  });

  it('verifies SigV4 like S3: wrong secret, unknown key and unsigned requests are refused', async () => {
    const wrong = client({ ...CREDENTIALS, secretAccessKey: 'not-the-secret' });
    await expect(wrong.send(new GetObjectCommand({ Bucket: 'files', Key: 'digits' }))).rejects.toMatchObject({
      name: 'SignatureDoesNotMatch',
      $metadata: { httpStatusCode: 403 },
    });
    const unknown = client({ accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: 'x' });
    await expect(unknown.send(new GetObjectCommand({ Bucket: 'files', Key: 'digits' }))).rejects.toMatchObject({
      name: 'InvalidAccessKeyId',
      $metadata: { httpStatusCode: 403 },
    });
    wrong.destroy();
    unknown.destroy();
    const unsigned = await fetch(`${emu.url}/files/digits`, {
      headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    });
    expect(unsigned.status).toBe(403);
    expect(await unsigned.text()).toContain('<Code>AccessDenied</Code>');
    // On a Bedrock path an unsigned request stays a Bedrock request.
    const bedrockPath = await fetch(`${emu.url}/model/amazon.nova-lite-v1:0/converse`, {
      method: 'POST',
      headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
      body: '{}',
    });
    expect(bedrockPath.status).toBe(403);
    expect(bedrockPath.headers.get('x-amzn-errortype')?.split(':')[0]).toBe('MissingAuthenticationTokenException');
  });

  it('accepts UNSIGNED-PAYLOAD and signed aws-chunked uploads (STREAMING-AWS4-HMAC-SHA256-PAYLOAD)', async () => {
    const host = new URL(emu.url).host;
    const signer = new SignatureV4({
      credentials: CREDENTIALS,
      region: 'us-east-1',
      service: 's3',
      sha256: Sha256,
      uriEscapePath: false,
    });
    const send = async (key: string, headers: Record<string, string>, body: Buffer) => {
      const signed = await signer.sign({
        method: 'PUT',
        protocol: 'http:',
        hostname: host.split(':')[0] ?? '',
        port: Number(host.split(':')[1]),
        path: `/files/${key}`,
        headers: { host, ...headers },
        body,
      });
      return {
        signed,
        response: await fetch(`${emu.url}/files/${key}`, { method: 'PUT', headers: signed.headers, body }),
      };
    };
    const unsigned = await send(
      'unsigned-payload',
      { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
      Buffer.from('plain'),
    );
    expect(unsigned.response.status).toBe(200);
    // Signed chunks: the seed signature signs the headers; each chunk signature chains from the previous one.
    const date = new Date();
    const amzDate = date
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d{3}/, '');
    const scope = `${amzDate.slice(0, 8)}/us-east-1/s3/aws4_request`;
    const seed = await signer.sign(
      {
        method: 'PUT',
        protocol: 'http:',
        hostname: host.split(':')[0] ?? '',
        port: Number(host.split(':')[1]),
        path: '/files/signed-chunks',
        headers: {
          host,
          'content-encoding': 'aws-chunked',
          'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
          'x-amz-decoded-content-length': '11',
        },
      },
      { signingDate: date },
    );
    const seedSignature = /Signature=([0-9a-f]{64})/.exec(String(seed.headers.authorization))?.[1] ?? '';
    const kDate = createHmac('sha256', `AWS4${CREDENTIALS.secretAccessKey}`).update(amzDate.slice(0, 8)).digest();
    const key = createHmac(
      'sha256',
      createHmac('sha256', createHmac('sha256', kDate).update('us-east-1').digest()).update('s3').digest(),
    )
      .update('aws4_request')
      .digest();
    const empty = createHash('sha256').update('').digest('hex');
    const chunkSig = (prev: string, data: string) =>
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
    const s1 = chunkSig(seedSignature, 'hello world');
    const s2 = chunkSig(s1, '');
    const framed = `b;chunk-signature=${s1}\r\nhello world\r\n0;chunk-signature=${s2}\r\n\r\n`;
    const ok = await fetch(`${emu.url}/files/signed-chunks`, {
      method: 'PUT',
      headers: seed.headers as Record<string, string>,
      body: framed,
    });
    expect(ok.status).toBe(200);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'files', Key: 'signed-chunks' }));
    expect(await got.Body?.transformToString()).toBe('hello world');
    const forged = await fetch(`${emu.url}/files/signed-chunks`, {
      method: 'PUT',
      headers: seed.headers as Record<string, string>,
      body: framed.replace('hello world', 'HELLO WORLD'),
    });
    expect(forged.status).toBe(403);
    expect(await forged.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
  });

  it('tells S3 apart from Bedrock by the signing service, whatever the path', async () => {
    const before = emu.state.stats.operations.Converse ?? 0;
    await s3.send(new CreateBucketCommand({ Bucket: 'model' }));
    await s3.send(new PutObjectCommand({ Bucket: 'model', Key: 'x/converse', Body: 'not a model call' }));
    const got = await s3.send(new GetObjectCommand({ Bucket: 'model', Key: 'x/converse' }));
    expect(await got.Body?.transformToString()).toBe('not a model call');
    expect(emu.state.stats.operations.Converse ?? 0).toBe(before);
    expect(emu.state.stats.operations['S3:PutObject']).toBeGreaterThan(0);
  });

  it('accepts temporary credentials from the emulator STS (assumed-role accounts)', async () => {
    const { AssumeRoleCommand, STSClient } = await import('@aws-sdk/client-sts');
    const sts = new STSClient({ endpoint: emu.url, region: 'us-east-1', credentials: CREDENTIALS });
    const { Credentials } = await sts.send(
      new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::111122223333:role/BedrockOpen', RoleSessionName: 'files' }),
    );
    sts.destroy();
    const temp = client({
      accessKeyId: Credentials?.AccessKeyId ?? '',
      secretAccessKey: Credentials?.SecretAccessKey ?? '',
      sessionToken: Credentials?.SessionToken ?? '',
    } as typeof CREDENTIALS);
    try {
      await temp.send(new PutObjectCommand({ Bucket: 'files', Key: 'by-role', Body: 'ok' }));
      const got = await temp.send(new GetObjectCommand({ Bucket: 'files', Key: 'by-role' }));
      expect(await got.Body?.transformToString()).toBe('ok');
    } finally {
      temp.destroy();
    }
    const forged = client({ ...CREDENTIALS, accessKeyId: Credentials?.AccessKeyId ?? '' });
    await expect(forged.send(new GetObjectCommand({ Bucket: 'files', Key: 'by-role' }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 403 },
    });
    forged.destroy();
  });

  it('starts with the demo bucket by default (make run)', async () => {
    const plain = await startEmulator({ port: 0 });
    const c = new S3Client({
      endpoint: plain.url,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: CREDENTIALS,
    });
    try {
      expect((await c.send(new HeadBucketCommand({ Bucket: 'aigw-demo' }))).$metadata.httpStatusCode).toBe(200);
    } finally {
      c.destroy();
      await plain.close();
    }
  });

  it('refuses uploads beyond the storage budget with EntityTooLarge', async () => {
    const small = await startEmulator({ port: 0, s3: { buckets: ['tiny'], maxBytes: 1024 } });
    const c = new S3Client({
      endpoint: small.url,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: CREDENTIALS,
      maxAttempts: 1,
    });
    try {
      await c.send(new PutObjectCommand({ Bucket: 'tiny', Key: 'a', Body: Buffer.alloc(1000) }));
      await expect(
        c.send(new PutObjectCommand({ Bucket: 'tiny', Key: 'b', Body: Buffer.alloc(100) })),
      ).rejects.toMatchObject({
        name: 'EntityTooLarge',
      });
      // Overwriting frees the old bytes first.
      await c.send(new PutObjectCommand({ Bucket: 'tiny', Key: 'a', Body: Buffer.alloc(1020) }));
    } finally {
      c.destroy();
      await small.close();
    }
  });
});

describe('emulator S3 on disk', () => {
  it('keeps objects across a restart and streams them back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aigw-emu-s3-'));
    try {
      const first = await startEmulator({ port: 0, s3: { buckets: ['keep'], dir } });
      const c1 = new S3Client({
        endpoint: first.url,
        region: 'us-east-1',
        forcePathStyle: true,
        credentials: CREDENTIALS,
      });
      await c1.send(
        new PutObjectCommand({ Bucket: 'keep', Key: 'a/b.jsonl', Body: 'persisted', Metadata: { who: 'me' } }),
      );
      c1.destroy();
      await first.close();
      const second = await startEmulator({ port: 0, s3: { buckets: ['keep'], dir } });
      const c2 = new S3Client({
        endpoint: second.url,
        region: 'us-east-1',
        forcePathStyle: true,
        credentials: CREDENTIALS,
      });
      try {
        const got = await c2.send(new GetObjectCommand({ Bucket: 'keep', Key: 'a/b.jsonl' }));
        expect(await got.Body?.transformToString()).toBe('persisted');
        expect(got.Metadata).toEqual({ who: 'me' });
        const listed = await c2.send(new ListObjectsV2Command({ Bucket: 'keep' }));
        expect(listed.Contents?.map((o) => o.Key)).toEqual(['a/b.jsonl']);
      } finally {
        c2.destroy();
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
