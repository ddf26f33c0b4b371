/**
 * The Files API through the official openai Node SDK against a real S3 server: upload (stream and
 * buffer), retrieve, content, list with pagination, delete, and every refusal: a bad line names its
 * line and field, duplicate custom ids, wrong purpose, too large, no account header with two accounts,
 * an API-key account, another user's file. A refused upload leaves nothing in the bucket (no object, no
 * unfinished multipart upload). Ids work on another gateway process (restart, second replica).
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../emulator/src/index.js';
import { registerFileContentProvider, virtualFileId } from '../../gateway/src/files/index.js';
import { spawnGateway } from '../helpers/stack.js';
import { startVersitygw, versitygwAvailability } from '../helpers/versitygw.js';
import { BUCKET, type FilesStack, KEYS, type S3Backend, startFilesStack, WRONG_SECRET } from './files-stack.js';

/** Small enough that the "too large" and multipart cases stay quick; above two 5 MiB parts. */
const MAX_FILE_BYTES = 12 * 1024 * 1024;

function batchLine(id: string, url = '/v1/chat/completions'): string {
  const body =
    url === '/v1/embeddings'
      ? { model: 'files-a/titan', input: `text ${id}` }
      : { model: 'files-a/nova', messages: [{ role: 'user', content: `hello ${id}` }] };
  return JSON.stringify({ custom_id: id, method: 'POST', url, body });
}

function batchFile(n: number, from = 0): string {
  return `${Array.from({ length: n }, (_, i) => batchLine(`req-${from + i}`)).join('\n')}\n`;
}

/** A file of at least `bytes` bytes of valid lines (each line ~1 KiB). */
function bigBatchFile(bytes: number): string {
  const pad = 'x'.repeat(900);
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const line = JSON.stringify({
      custom_id: `big-${i}`,
      method: 'POST',
      url: '/v1/chat/completions',
      body: { model: 'files-a/nova', messages: [{ role: 'user', content: pad }] },
    });
    lines.push(line);
    size += line.length + 1;
  }
  return `${lines.join('\n')}\n`;
}

/** The emulator's built-in S3 (what `make run` uses) and versitygw, a real S3 server. */
const backends: Array<{
  name: string;
  available: () => boolean;
  start: () => Promise<S3Backend>;
  /** Whether the server implements ListMultipartUploads (the emulator's S3 subset does not). */
  listsUploads: boolean;
}> = [
  {
    name: 'the emulator',
    available: () => true,
    listsUploads: false,
    async start() {
      const emulator = await startEmulator({ port: 0, s3: { buckets: [BUCKET] } });
      return {
        name: 'emulator',
        endpoint: emulator.url,
        region: 'us-east-1',
        // The emulator's built-in demo identity.
        accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
        secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
        stsEndpoint: emulator.url,
        stop: () => emulator.close(),
      };
    },
  },
  {
    name: 'versitygw',
    available: () => versitygwAvailability().run,
    listsUploads: true,
    async start() {
      const s3 = await startVersitygw({ buckets: [BUCKET] });
      return { name: 'versitygw', ...s3, stop: () => s3.stop() };
    },
  },
];

for (const backend of backends) {
  describe.skipIf(!backend.available())(`Files API on ${backend.name}`, () => {
    let s3: S3Backend;
    let stack: FilesStack;
    let scratch: string;
    let alice: OpenAI;
    let bob: OpenAI;

    const objectsUnder = async (prefix: string) =>
      (await stack.s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }))).Contents ?? [];
    /** Unfinished multipart uploads under a prefix; 0 where the server cannot list them (checked on versitygw). */
    const openUploads = async (prefix: string) =>
      backend.listsUploads
        ? ((await stack.s3.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: prefix }))).Uploads ?? [])
            .length
        : 0;

    beforeAll(async () => {
      s3 = await backend.start();
      stack = await startFilesStack(s3, { maxFileBytes: MAX_FILE_BYTES });
      scratch = await mkdtemp(join(tmpdir(), 'aigw-files-'));
      alice = stack.client(KEYS.alice);
      bob = stack.client(KEYS.bob);
    }, 60_000);

    afterAll(async () => {
      await stack?.close();
      await s3?.stop();
      if (scratch) await rm(scratch, { recursive: true, force: true });
    });

    it('uploads a file as a stream and returns a complete FileObject; retrieve and content give it back', async () => {
      const text = batchFile(120);
      const path = join(scratch, 'requests.jsonl');
      await writeFile(path, text);
      const before = Math.floor(Date.now() / 1000);
      const file = await alice.files.create({ file: createReadStream(path), purpose: 'batch' });
      expect(file).toEqual({
        id: expect.stringMatching(/^file-[A-Za-z0-9_-]+$/),
        object: 'file',
        bytes: Buffer.byteLength(text),
        created_at: expect.any(Number),
        expires_at: null,
        filename: 'requests.jsonl',
        purpose: 'batch',
        status: 'processed',
        status_details: null,
      });
      expect(file.created_at).toBeGreaterThanOrEqual(before - 1);
      expect(file.created_at).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 1);

      expect(await alice.files.retrieve(file.id)).toEqual(file);
      const content = await alice.files.content(file.id);
      expect(content.headers.get('content-length')).toBe(String(Buffer.byteLength(text)));
      expect(content.headers.get('content-type')).toContain('application/jsonl');
      expect(await content.text()).toBe(text);
      const head = await fetch(`${stack.gateway.url}/v1/files/${file.id}/content`, {
        method: 'HEAD',
        headers: { authorization: `Bearer ${KEYS.alice}` },
      });
      expect(head.status).toBe(200);
      expect(head.headers.get('content-length')).toBe(String(Buffer.byteLength(text)));
      // The object sits under the account's prefix, with the uploader recorded.
      const objects = await objectsUnder('files-a/files/');
      expect(objects.some((o) => o.Size === Buffer.byteLength(text))).toBe(true);
    });

    it('uploads a buffer (toFile) with embeddings lines, a CRLF and a trailing blank line', async () => {
      const text = `${batchLine('e1', '/v1/embeddings')}\r\n${batchLine('e2', '/v1/embeddings')}\n\n`;
      const file = await alice.files.create({ file: await toFile(Buffer.from(text), 'emb.jsonl'), purpose: 'batch' });
      expect(file).toMatchObject({ bytes: Buffer.byteLength(text), filename: 'emb.jsonl' });
      expect(await (await alice.files.content(file.id)).text()).toBe(text);
    });

    it('streams a multi-part upload (larger than one S3 part) intact', async () => {
      const text = bigBatchFile(11 * 1024 * 1024);
      const file = await alice.files.create({ file: await toFile(Buffer.from(text), 'big.jsonl'), purpose: 'batch' });
      expect(file.bytes).toBe(Buffer.byteLength(text));
      const back = await (await alice.files.content(file.id)).text();
      expect(back.length).toBe(text.length);
      expect(back === text).toBe(true);
      expect(await openUploads('files-a/')).toBe(0);
    });

    it('lists with after/limit pagination in both orders and filters by purpose', async () => {
      const manager = stack.client(KEYS.manager, 'files-b');
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const f = await manager.files.create({
          file: await toFile(Buffer.from(batchFile(1, i)), `list-${i}.jsonl`),
          purpose: 'batch',
        });
        ids.push(f.id);
        // created_at has one-second resolution; keys order by milliseconds.
        await new Promise((r) => setTimeout(r, 5));
      }
      const first = await manager.files.list({ limit: 2 });
      expect(first.data.map((f) => f.filename)).toEqual(['list-4.jsonl', 'list-3.jsonl']);
      expect(first.has_more).toBe(true);
      // The SDK pages with `after` = the last id, as against OpenAI.
      const all: string[] = [];
      for await (const f of manager.files.list({ limit: 2 })) all.push(f.id);
      expect(all).toEqual([...ids].reverse());
      const asc: string[] = [];
      for await (const f of manager.files.list({ limit: 2, order: 'asc' })) asc.push(f.id);
      expect(asc).toEqual(ids);
      const after = await manager.files.list({ after: ids[3]!, limit: 10 });
      expect(after.data.map((f) => f.id)).toEqual([ids[2], ids[1], ids[0]]);
      expect(after.has_more).toBe(false);
      const afterAsc = await manager.files.list({ after: ids[1]!, limit: 2, order: 'asc' });
      expect(afterAsc.data.map((f) => f.id)).toEqual([ids[2], ids[3]]);
      expect(afterAsc.has_more).toBe(true);
      // Raw list shape.
      const raw = (await manager.get('/files', { query: { limit: 1 } })) as Record<string, unknown>;
      expect(raw).toMatchObject({ object: 'list', has_more: true, first_id: ids[4], last_id: ids[4] });
      expect((await manager.files.list({ purpose: 'assistants' })).data).toEqual([]);
      expect((await manager.files.list({ purpose: 'batch' })).data).toHaveLength(5);
      for (const limit of [0, 10_001])
        await expect(manager.files.list({ limit })).rejects.toMatchObject({ status: 400, error: { param: 'limit' } });
      await expect(manager.files.list({ after: 'file-nonsense' })).rejects.toMatchObject({
        status: 400,
        error: { param: 'after' },
      });
    });

    it('deletes a file: the object is gone and the id answers 404 in OpenAI shape', async () => {
      const file = await alice.files.create({
        file: await toFile(Buffer.from(batchFile(2)), 'gone.jsonl'),
        purpose: 'batch',
      });
      expect(await alice.files.delete(file.id)).toEqual({ id: file.id, object: 'file', deleted: true });
      // The Python SDK sends DELETE with a JSON content type and no body.
      const other = await alice.files.create({
        file: await toFile(Buffer.from(batchFile(1)), 'py.jsonl'),
        purpose: 'batch',
      });
      const res = await fetch(`${stack.gateway.url}/v1/files/${other.id}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${KEYS.alice}`, 'content-type': 'application/json' },
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ id: other.id, object: 'file', deleted: true });
      const err = await alice.files.retrieve(file.id).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.NotFoundError);
      expect((err as InstanceType<typeof OpenAI.NotFoundError>).error).toMatchObject({
        type: 'not_found_error',
        code: 'not_found',
        message: expect.stringContaining('No such File object'),
      });
      await expect(alice.files.content(file.id)).rejects.toMatchObject({ status: 404 });
      await expect(alice.files.delete(file.id)).rejects.toMatchObject({ status: 404 });
      await expect(alice.files.retrieve('file-doesnotexist')).rejects.toMatchObject({ status: 404 });
    });

    it('a bad line is a 400 naming its line and field, and nothing is left in S3', async () => {
      const lines = batchFile(10).trimEnd().split('\n');
      lines[6] = JSON.stringify({ custom_id: 7, method: 'POST', url: '/v1/chat/completions', body: {} });
      const before = (await objectsUnder('files-a/')).length;
      const err = await alice.files
        .create({ file: await toFile(Buffer.from(lines.join('\n')), 'bad.jsonl'), purpose: 'batch' })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      const body = (err as InstanceType<typeof OpenAI.BadRequestError>).error as Record<string, unknown>;
      expect(body).toMatchObject({ type: 'invalid_request_error', param: 'file' });
      expect(body.message).toContain('Line 7');
      expect(body.message).toContain("'custom_id'");
      for (const [bad, message] of [
        [JSON.stringify({ custom_id: 'x', method: 'GET', url: '/v1/chat/completions', body: {} }), "'method'"],
        [JSON.stringify({ custom_id: 'x', method: 'POST', url: '/v1/responses', body: {} }), "'url'"],
        [JSON.stringify({ custom_id: 'x', method: 'POST', url: '/v1/embeddings', body: 'hi' }), "'body'"],
        ['{not json', 'not valid JSON'],
      ] as const) {
        await expect(
          alice.files.create({
            file: await toFile(Buffer.from(`${batchLine('ok')}\n${bad}\n`), 'bad.jsonl'),
            purpose: 'batch',
          }),
        ).rejects.toMatchObject({
          status: 400,
          error: {
            message: expect.stringMatching(new RegExp(`^Line 2 .*${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`)),
          },
        });
      }
      expect((await objectsUnder('files-a/')).length).toBe(before);
    });

    it('a duplicate custom_id is a 400 naming the later line', async () => {
      const text = `${batchLine('a')}\n${batchLine('b')}\n${batchLine('a')}\n`;
      await expect(
        alice.files.create({ file: await toFile(Buffer.from(text), 'dup.jsonl'), purpose: 'batch' }),
      ).rejects.toMatchObject({
        status: 400,
        error: { message: expect.stringMatching(/^Line 3 .*'custom_id' 'a' is used by an earlier line/) },
      });
    });

    it('a bad line after the first S3 part aborts the multipart upload: no object, no unfinished upload', async () => {
      const before = (await objectsUnder('files-a/')).length;
      const text = `${bigBatchFile(9 * 1024 * 1024)}{"custom_id":"last","method":"POST","url":"/v1/chat/completions"}\n`;
      await expect(
        alice.files.create({ file: await toFile(Buffer.from(text), 'late.jsonl'), purpose: 'batch' }),
      ).rejects.toMatchObject({
        status: 400,
        error: { message: expect.stringContaining("missing 'body'") },
      });
      expect((await objectsUnder('files-a/')).length).toBe(before);
      expect(await openUploads('files-a/')).toBe(0);
    });

    it('a purpose other than batch is a 400 saying so, and nothing is left (the Node SDK sends purpose after the file)', async () => {
      const before = (await objectsUnder('files-a/')).length;
      await expect(
        alice.files.create({ file: await toFile(Buffer.from(batchFile(2)), 'a.jsonl'), purpose: 'assistants' }),
      ).rejects.toMatchObject({
        status: 400,
        error: { param: 'purpose', message: expect.stringContaining("use purpose 'batch'") },
      });
      expect((await objectsUnder('files-a/')).length).toBe(before);
    });

    it('a file over the size limit is a 413 and nothing is left', async () => {
      const before = (await objectsUnder('files-a/')).length;
      const text = bigBatchFile(MAX_FILE_BYTES + 1024);
      const err = await alice.files
        .create({ file: await toFile(Buffer.from(text), 'huge.jsonl'), purpose: 'batch' })
        .catch((e: unknown) => e);
      expect(err).toMatchObject({
        status: 413,
        error: { code: 'request_too_large', message: expect.stringContaining('12 MiB') },
      });
      expect((await objectsUnder('files-a/')).length).toBe(before);
      expect(await openUploads('files-a/')).toBe(0);
    });

    it('without the account header, a caller with two storage accounts gets a 400 naming the header', async () => {
      const manager = stack.client(KEYS.manager);
      for (const call of [
        () => manager.files.list(),
        async () =>
          manager.files.create({ file: await toFile(Buffer.from(batchFile(1)), 'x.jsonl'), purpose: 'batch' }),
      ])
        await expect(call()).rejects.toMatchObject({
          status: 400,
          error: { param: 'x-aigateway-account', message: expect.stringContaining("'x-aigateway-account: <account>'") },
        });
    });

    it('an account with a Bedrock API key is a 400 saying files need AWS credentials', async () => {
      const manager = stack.client(KEYS.manager, 'files-key');
      await expect(
        manager.files.create({ file: await toFile(Buffer.from(batchFile(1)), 'x.jsonl'), purpose: 'batch' }),
      ).rejects.toMatchObject({
        status: 400,
        error: { message: expect.stringContaining('files and batches need AWS credentials') },
      });
      await expect(manager.files.list()).rejects.toMatchObject({ status: 400 });
    });

    it("a User never sees another user's file (404), a Manager sees and deletes all", async () => {
      const file = await alice.files.create({
        file: await toFile(Buffer.from(batchFile(1)), 'alice.jsonl'),
        purpose: 'batch',
      });
      await expect(bob.files.retrieve(file.id)).rejects.toMatchObject({ status: 404 });
      await expect(bob.files.content(file.id)).rejects.toMatchObject({ status: 404 });
      await expect(bob.files.delete(file.id)).rejects.toMatchObject({ status: 404 });
      const bobs = await bob.files.list();
      expect(bobs.data.map((f) => f.id)).not.toContain(file.id);
      expect((await alice.files.list()).data.map((f) => f.id)).toContain(file.id);

      const manager = stack.client(KEYS.manager, 'files-a');
      expect((await manager.files.list()).data.map((f) => f.id)).toContain(file.id);
      expect(await manager.files.retrieve(file.id)).toMatchObject({ id: file.id, filename: 'alice.jsonl' });
      // An account the caller does not collaborate on: 403 for the header, 404 for an id of it.
      await expect(stack.client(KEYS.bob, 'files-b').files.list()).rejects.toMatchObject({ status: 403 });
      expect(await manager.files.delete(file.id)).toMatchObject({ deleted: true });
      await expect(alice.files.retrieve(file.id)).rejects.toMatchObject({ status: 404 });
    });

    it('S3 refusing the keys is a 403 naming the account and S3 code, never the secret; S3 down is a 503', async () => {
      const badKeys = stack.client(KEYS.manager, 'files-badkeys');
      const err = (await badKeys.files
        .create({ file: await toFile(Buffer.from(batchFile(1)), 'x.jsonl'), purpose: 'batch' })
        .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
      expect(err.status).toBe(403);
      expect(err.error).toMatchObject({ code: 'upstream_access_denied' });
      const message = (err.error as { message: string }).message;
      expect(message).toContain('account files-badkeys');
      expect(message).toMatch(/denied by S3 \((InvalidAccessKeyId|SignatureDoesNotMatch|AccessDenied)\)/);
      expect(JSON.stringify(err.error)).not.toContain(WRONG_SECRET);
      await expect(badKeys.files.list()).rejects.toMatchObject({ status: 403 });
      const down = stack.client(KEYS.manager, 'files-down');
      await expect(down.files.list()).rejects.toMatchObject({ status: 503, error: { code: 'upstream_unavailable' } });
      await expect(
        down.files.create({ file: await toFile(Buffer.from(batchFile(1)), 'x.jsonl'), purpose: 'batch' }),
      ).rejects.toMatchObject({ status: 503 });
    });

    it('a caller that disconnects mid-upload leaves nothing in S3', async () => {
      const before = (await objectsUnder('files-a/')).length;
      const boundary = 'aigwboundary';
      const head = `--${boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="cut.jsonl"\r\nContent-Type: application/jsonl\r\n\r\n`;
      const body = bigBatchFile(7 * 1024 * 1024);
      const url = new URL(`${stack.gateway.url}/v1/files`);
      const { request } = await import('node:http');
      await new Promise<void>((resolve) => {
        const req = request({
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: {
            authorization: `Bearer ${KEYS.alice}`,
            'content-type': `multipart/form-data; boundary=${boundary}`,
            'content-length': String(Buffer.byteLength(head) + Buffer.byteLength(body) + 100),
          },
        });
        req.on('error', () => resolve());
        req.on('close', () => resolve());
        req.write(head);
        // More than one 5 MiB part, so the gateway has started a multipart upload, then the caller vanishes.
        req.write(body.slice(0, 6 * 1024 * 1024), () => setTimeout(() => req.destroy(), 500));
      });
      await expect
        .poll(
          async () => ({ objects: (await objectsUnder('files-a/')).length, uploads: await openUploads('files-a/') }),
          {
            timeout: 10_000,
            interval: 200,
          },
        )
        .toEqual({ objects: before, uploads: 0 });
    });

    it.skipIf(backend.name !== 'the emulator')(
      'an assumed-role account stores files with its temporary credentials (STS)',
      async () => {
        const role = stack.client(KEYS.manager, 'files-role');
        const text = batchFile(3);
        const file = await role.files.create({ file: await toFile(Buffer.from(text), 'role.jsonl'), purpose: 'batch' });
        expect(await (await role.files.content(file.id)).text()).toBe(text);
        expect((await role.files.list()).data.map((f) => f.id)).toEqual([file.id]);
        expect(await role.files.delete(file.id)).toMatchObject({ deleted: true });
      },
    );

    it('serves virtual files (batch outputs) through their registered provider', async () => {
      registerFileContentProvider({
        kind: 'test_output',
        async describe(ref, ctx) {
          if (ref !== 'job-1' || !ctx.sa.manager) return undefined;
          return {
            id: virtualFileId('test_output', ctx.sa.account.name, ref),
            object: 'file',
            bytes: 6,
            created_at: 1_700_000_000,
            expires_at: null,
            filename: 'job-1_output.jsonl',
            purpose: 'batch_output',
            status: 'processed',
            status_details: null,
          };
        },
        async open(ref, ctx) {
          if (ref !== 'job-1' || !ctx.sa.manager) return undefined;
          return { body: Readable.from([Buffer.from('hello\n')]), contentLength: 6 };
        },
      });
      const id = virtualFileId('test_output', 'files-a', 'job-1');
      const manager = stack.client(KEYS.manager, 'files-a');
      expect(await manager.files.retrieve(id)).toMatchObject({ id, purpose: 'batch_output', bytes: 6 });
      expect(await (await manager.files.content(id)).text()).toBe('hello\n');
      await expect(manager.files.delete(id)).rejects.toMatchObject({ status: 400, error: { param: 'id' } });
      // The provider decides visibility; unknown refs and kinds are 404 like any unknown id.
      await expect(alice.files.retrieve(id)).rejects.toMatchObject({ status: 404 });
      await expect(manager.files.retrieve(virtualFileId('test_output', 'files-a', 'job-2'))).rejects.toMatchObject({
        status: 404,
      });
      await expect(manager.files.content(virtualFileId('no_such_kind', 'files-a', 'x'))).rejects.toMatchObject({
        status: 404,
      });
      // An id naming an account the caller does not collaborate on is a 404 too.
      await expect(bob.files.retrieve(virtualFileId('test_output', 'files-b', 'job-1'))).rejects.toMatchObject({
        status: 404,
      });
    });

    it('accepts raw s3:// URIs as ids, URL-encoded or not', async () => {
      const file = await alice.files.create({
        file: await toFile(Buffer.from(batchFile(1)), 'raw.jsonl'),
        purpose: 'batch',
      });
      const key = (await objectsUnder('files-a/files/')).map((o) => o.Key!).find((k) => k.endsWith('/raw.jsonl'))!;
      const uri = `s3://${BUCKET}/${key}`;
      const byEncoded = await alice.files.retrieve(encodeURIComponent(uri));
      expect(byEncoded).toMatchObject({ filename: 'raw.jsonl', bytes: file.bytes });
      const res = await fetch(`${stack.gateway.url}/v1/files/${uri}`, {
        headers: { authorization: `Bearer ${KEYS.alice}` },
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ filename: 'raw.jsonl' });
      const content = await fetch(`${stack.gateway.url}/v1/files/${uri}/content`, {
        headers: { authorization: `Bearer ${KEYS.alice}` },
      });
      expect(await content.text()).toBe(batchFile(1));
      await expect(bob.files.retrieve(encodeURIComponent(uri))).rejects.toMatchObject({ status: 404 });
      await expect(alice.files.retrieve(encodeURIComponent(`s3://${BUCKET}/files-b/files/x`))).rejects.toMatchObject({
        status: 404,
      });
    });

    it('ids decode on another gateway (a second replica, and an `aigw serve` process started afresh)', async () => {
      const file = await alice.files.create({
        file: await toFile(Buffer.from(batchFile(3)), 'replica.jsonl'),
        purpose: 'batch',
      });
      const replica = await stack.startReplica();
      const other = new OpenAI({ baseURL: `${replica.url}/v1`, apiKey: KEYS.alice, maxRetries: 0 });
      expect(await other.files.retrieve(file.id)).toEqual(file);
      expect(await (await other.files.content(file.id)).text()).toBe(batchFile(3));
      expect((await other.files.list()).data.map((f) => f.id)).toContain(file.id);
      // Its file size limit comes from the environment (AIGW_FILES_MAX_FILE_BYTES).
      const child = await spawnGateway(['--config', stack.config.dir], { AIGW_FILES_MAX_FILE_BYTES: '2048' });
      try {
        const fresh = new OpenAI({ baseURL: `${child.url}/v1`, apiKey: KEYS.alice, maxRetries: 0 });
        expect(await fresh.files.retrieve(file.id)).toEqual(file);
        await expect(
          fresh.files.create({ file: await toFile(Buffer.from(batchFile(40)), 'big.jsonl'), purpose: 'batch' }),
        ).rejects.toMatchObject({ status: 413, error: { message: expect.stringContaining('2 KiB') } });
        expect(await fresh.files.delete(file.id)).toEqual({ id: file.id, object: 'file', deleted: true });
        await expect(other.files.retrieve(file.id)).rejects.toMatchObject({ status: 404 });
      } finally {
        child.kill();
        await child.exited;
      }
    }, 120_000);
  });
}
