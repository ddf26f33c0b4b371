/**
 * The Files API on S3 (DESIGN.md, HTTP API): upload (`purpose=batch`, validated line by line while it
 * streams to S3), retrieve, content, list and delete. The account comes from `x-aigateway-account` or
 * is the caller's only account with a `batch` block; ids carry their account and key, so any replica
 * serves them. A `User` collaborator sees only its own files, a `Manager` all of the account's.
 * Mappings and limits: docs/api-compatibility.md (Files).
 */
import type { OutgoingHttpHeaders } from 'node:http';
import { Transform } from 'node:stream';
import multipart, { type MultipartFile } from '@fastify/multipart';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError, missingParameter } from '../../errors/index.js';
import {
  BatchLineValidator,
  FILES_DIR,
  type FileDeleted,
  type FileList,
  type FileObject,
  fileContentProvider,
  fileNotFound,
  META,
  maySeeListed,
  maySeeObject,
  newFileKey,
  ownerTag,
  type ResolvedFile,
  resolveFileId,
  storedFileObject,
  type VirtualFileContext,
} from '../../files/index.js';
import {
  ACCOUNT_HEADER,
  type ObjectInfo,
  resolveStorageAccount,
  type S3Store,
  type StorageAccount,
  StorageError,
} from '../../storage/index.js';
import { withActiveSpan } from '../../telemetry/index.js';
import { authenticateHook, rejectOtherMethods } from '../app.js';
import type { ServerContext } from '../context.js';
import { checkMultipartBoundary, multipartParseError } from '../multipart.js';
import { callerAbortSignal } from './invoke-fan-out.js';
import type { RouteModule } from './types.js';

/** The only purpose Bedrock has a use for (batch inference inputs). */
const UPLOAD_PURPOSE = 'batch';
const LIST_LIMIT_MAX = 10_000;
/** Form fields an upload may have besides its file (it needs one: `purpose`). */
const FORM_FIELDS = 8;
/** S3 allows at most 1,024 bytes of key. */
const MAX_KEY_BYTES = 1024;

export const filesRoutes: RouteModule = {
  name: 'files',
  async register(app, ctx) {
    const limits = ctx.files;
    await app.register(multipart, {
      // The size limit is enforced (413) by the upload itself; busboy's limit, one byte later, only stops
      // reading a file that is already refused.
      throwFileSizeLimit: false,
      limits: {
        files: 1,
        fileSize: limits.maxFileBytes + 1,
        fields: FORM_FIELDS,
        fieldSize: 1024,
        parts: FORM_FIELDS + 1,
      },
    });
    // No route here reads a JSON body, but the openai Python SDK sends DELETE with
    // `Content-Type: application/json` and no body, which the default parser refuses as an empty JSON body.
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: 64 * 1024 }, (_request, _body, done) =>
      done(null, undefined),
    );
    // S3's own answer (bucket policies, principals) is for the platform team: logged, not sent.
    app.addHook('onError', (request, _reply, error, done) => {
      if (error instanceof StorageError)
        request.log.warn({ code: error.code, requestId: request.id, detail: error.detail }, 'storage call failed');
      done();
    });
    const hooks = { onRequest: authenticateHook(ctx), config: { metricRoute: 'files' } };
    // Handlers run with the request's server span active, so each S3 call gets a client span under it.
    app.post('/v1/files', hooks, (request, reply) =>
      withActiveSpan(request.aigw.span, () => createFile(ctx, request, reply)),
    );
    app.get('/v1/files', hooks, (request, reply) =>
      withActiveSpan(request.aigw.span, () => listFiles(ctx, request, reply)),
    );
    // A wildcard rather than `:id`, so raw `s3://bucket/a/b` ids with slashes reach the handlers too.
    app.get('/v1/files/*', hooks, (request, reply) =>
      withActiveSpan(request.aigw.span, () => {
        const path = wildcard(request);
        if (path.endsWith('/content')) return fileContent(ctx, request, reply, path.slice(0, -'/content'.length));
        return retrieveFile(ctx, request, reply, path);
      }),
    );
    app.delete('/v1/files/*', hooks, (request, reply) =>
      withActiveSpan(request.aigw.span, () => deleteFile(ctx, request, reply, wildcard(request))),
    );
    rejectOtherMethods(app, '/v1/files', ['GET', 'POST']);
    rejectOtherMethods(app, '/v1/files/*', ['GET', 'DELETE']);
  },
};

function wildcard(request: FastifyRequest): string {
  return (request.params as { '*'?: string })['*'] ?? '';
}

// ---------------------------------------------------------------------------------------------
// Upload

async function createFile(ctx: ServerContext, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (!request.isMultipart())
    throw new GatewayError(
      'unsupported_media_type',
      "Upload files as 'multipart/form-data' with the fields 'file' and 'purpose'.",
    );
  checkMultipartBoundary(request.headers['content-type']);
  const state = request.aigw;
  const sa = resolveStorageAccount(state.snapshot!, state.caller!, request.headers[ACCOUNT_HEADER]);
  state.account = sa.account.name;
  const store = ctx.storage.storeFor(sa.account, sa.credentials);
  const caller = callerAbortSignal(reply);
  let purpose: string | undefined;
  let stored: { key: string; bytes: number; filename: string; createdMs: number } | undefined;
  let failure: unknown;
  try {
    // Every part is read to the end, also after a failure, so the caller's whole request is consumed and
    // it reads the error response instead of a reset connection (the SDKs would retry the upload).
    for await (const part of request.parts()) {
      if (failure !== undefined) {
        if (part.type === 'file') part.file.resume();
        continue;
      }
      try {
        if (part.type === 'field') {
          if (part.fieldname === 'purpose') {
            purpose = String(part.value);
            checkPurpose(purpose);
          } else if (part.fieldname.startsWith('expires_after')) {
            // Refused rather than ignored: a caller relying on the expiry would keep data it meant to lose.
            throw new GatewayError(
              'unsupported_parameter',
              "Unsupported parameter: 'expires_after'. The gateway keeps files until they are deleted (or until the bucket's own lifecycle rules remove them).",
              { param: 'expires_after' },
            );
          } else {
            throw new GatewayError(
              'unsupported_parameter',
              `Unsupported parameter: '${printable(part.fieldname)}'. A file upload takes 'file' and 'purpose'.`,
              { param: printable(part.fieldname) },
            );
          }
        } else if (part.fieldname !== 'file') {
          part.file.resume();
          throw new GatewayError(
            'unsupported_parameter',
            `Unsupported parameter: '${printable(part.fieldname)}'. Send the file in the form field 'file'.`,
            { param: printable(part.fieldname) },
          );
        } else {
          stored = await uploadPart(ctx, sa, store, part, caller.signal);
        }
      } catch (err) {
        failure = err;
      }
    }
  } catch (err) {
    failure ??= multipartError(err, ctx.files);
  } finally {
    caller.release();
  }
  if (failure === undefined) {
    if (!stored) failure = missingParameter('file');
    else if (purpose === undefined) failure = missingParameter('purpose');
  }
  if (failure !== undefined) {
    // `purpose` may follow the file in the form (the Node SDK sends it last): then the file is already
    // in S3 and is removed again, so a refused upload leaves nothing behind.
    if (stored) await store.delete(stored.key);
    throw failure;
  }
  const file: FileObject = {
    id: storedFileObject(sa, store, {
      key: stored!.key,
      size: stored!.bytes,
      lastModified: new Date(stored!.createdMs),
      etag: '',
      metadata: {},
    }).id,
    object: 'file',
    bytes: stored!.bytes,
    created_at: Math.floor(stored!.createdMs / 1000),
    expires_at: null,
    filename: stored!.filename,
    purpose: UPLOAD_PURPOSE,
    status: 'processed',
    status_details: null,
  };
  await reply.type('application/json').send(JSON.stringify(file));
}

function checkPurpose(purpose: string): void {
  if (purpose !== UPLOAD_PURPOSE)
    throw new GatewayError(
      'invalid_value',
      `Invalid value for 'purpose': '${printable(purpose)}'. The gateway stores files for Bedrock batch inference only; use purpose 'batch'.`,
      { param: 'purpose' },
    );
}

/**
 * Streams one uploaded file to S3 through the batch-line validator and the size check. A bad line or an
 * oversized file fails the S3 upload (nothing is left there) and rethrows the validator's error.
 */
async function uploadPart(
  ctx: ServerContext,
  sa: StorageAccount,
  store: S3Store,
  part: MultipartFile,
  signal: AbortSignal,
): Promise<{ key: string; bytes: number; filename: string; createdMs: number }> {
  const limits = ctx.files;
  const filename = uploadFilename(part.filename);
  const createdMs = Date.now();
  const key = store.key(newFileKey(sa.subject, filename, createdMs));
  if (Buffer.byteLength(filename, 'utf8') > limits.maxFilenameBytes || Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) {
    part.file.resume();
    throw new GatewayError('invalid_value', `The file name is too long: at most ${limits.maxFilenameBytes} bytes.`, {
      param: 'file',
    });
  }
  const validator = new BatchLineValidator(limits);
  const tooLarge = new GatewayError(
    'request_too_large',
    `The file is larger than the gateway's limit of ${formatBytes(limits.maxFileBytes)}.`,
    { param: 'file' },
  );
  const check = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (validator.bytes + chunk.length > limits.maxFileBytes) return done(tooLarge);
      try {
        validator.push(chunk);
      } catch (err) {
        return done(err as Error);
      }
      done(null, chunk);
    },
    flush(done) {
      try {
        validator.end();
        done();
      } catch (err) {
        done(err as Error);
      }
    },
  });
  // pipe() does not forward a source failure (the caller's connection dropping mid-file); without this
  // the upload would wait for more bytes forever.
  const onSourceError = (err: Error) => check.destroy(err);
  const onSourceClose = () => {
    if (!part.file.readableEnded) check.destroy(new GatewayError('invalid_request', 'The upload ended early.'));
  };
  part.file.once('error', onSourceError);
  part.file.once('close', onSourceClose);
  part.file.pipe(check);
  try {
    await store.put(key, check, {
      contentType: 'application/jsonl',
      metadata: {
        [META.owner]: encodeURIComponent(sa.subject),
        [META.purpose]: UPLOAD_PURPOSE,
        [META.filename]: encodeURIComponent(filename),
      },
      signal,
    });
  } catch (err) {
    // busboy waits for a file stream to be read before it parses the rest of the form: keep reading
    // (and discarding) this one. Destroying it instead would stall the request.
    part.file.unpipe(check);
    check.destroy();
    part.file.resume();
    throw err;
  } finally {
    part.file.off('error', onSourceError);
    part.file.off('close', onSourceClose);
  }
  return { key, bytes: validator.bytes, filename, createdMs };
}

/** The multipart filename, as a plain name (no directories, no control characters). */
function uploadFilename(raw: string | undefined): string {
  const base = (raw ?? '').split(/[/\\]/).pop() ?? '';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
  const clean = base.replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return clean === '' ? 'file.jsonl' : clean;
}

/** Multipart failures as 400s: the shared mapping (server/multipart.ts), with this route's wording for files. */
function multipartError(err: unknown, limits: ServerContext['files']): GatewayError {
  if ((err as { code?: unknown } | null)?.code === 'FST_FILES_LIMIT')
    return new GatewayError('invalid_request', 'Send one file per upload.', { param: 'file' });
  return multipartParseError(err, { files: 1, fileSizeBytes: limits.maxFileBytes, fields: FORM_FIELDS });
}

// ---------------------------------------------------------------------------------------------
// Retrieve, content, delete

function resolve(ctx: ServerContext, request: FastifyRequest, id: string): ResolvedFile {
  const state = request.aigw;
  const resolved = resolveFileId(state.snapshot!, state.caller!, ctx.storage, id, request.headers[ACCOUNT_HEADER]);
  state.account = resolved.sa.account.name;
  return resolved;
}

/** HeadObject of a stored file the caller may see; 404 otherwise. */
async function visibleObject(
  resolved: ResolvedFile & { kind: 'stored' },
  id: string,
  signal: AbortSignal,
): Promise<ObjectInfo> {
  const info = await resolved.store.head(resolved.key, { signal });
  if (!info || !maySeeObject(resolved.sa, info)) throw fileNotFound(id);
  return info;
}

function virtualContext(resolved: ResolvedFile, signal: AbortSignal): VirtualFileContext {
  return { sa: resolved.sa, store: resolved.store, signal };
}

async function retrieveFile(
  ctx: ServerContext,
  request: FastifyRequest,
  reply: FastifyReply,
  id: string,
): Promise<void> {
  const resolved = resolve(ctx, request, id);
  const caller = callerAbortSignal(reply);
  try {
    let file: FileObject | undefined;
    if (resolved.kind === 'stored') {
      file = storedFileObject(resolved.sa, resolved.store, await visibleObject(resolved, id, caller.signal));
    } else {
      file = await fileContentProvider(resolved.virtualKind)?.describe(
        resolved.ref,
        virtualContext(resolved, caller.signal),
      );
      if (!file) throw fileNotFound(id);
    }
    await reply.type('application/json').send(JSON.stringify(file));
  } finally {
    caller.release();
  }
}

async function fileContent(
  ctx: ServerContext,
  request: FastifyRequest,
  reply: FastifyReply,
  id: string,
): Promise<void> {
  const resolved = resolve(ctx, request, id);
  const caller = callerAbortSignal(reply);
  try {
    if (resolved.kind === 'virtual') {
      const content = await fileContentProvider(resolved.virtualKind)?.open(
        resolved.ref,
        virtualContext(resolved, caller.signal),
      );
      if (!content) throw fileNotFound(id);
      reply.type(content.contentType ?? 'application/jsonl');
      if (content.contentLength !== undefined) reply.header('content-length', String(content.contentLength));
      return reply.send(content.body);
    }
    // Checked with HEAD first: a caller who may not see the file must not start a download of it.
    const info = await visibleObject(resolved, id, caller.signal);
    const filename = storedFileObject(resolved.sa, resolved.store, info).filename;
    reply.header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(filename)}`);
    if (request.method === 'HEAD') {
      // HEAD answers from the metadata alone: opening the S3 body only to drop it would hold a connection.
      // Written raw: fastify would set Content-Length to that of the empty body instead of the file's.
      reply.hijack();
      reply.raw.writeHead(200, {
        ...(reply.getHeaders() as OutgoingHttpHeaders),
        'content-type': info.contentType ?? 'application/octet-stream',
        'content-length': String(info.size),
      });
      reply.raw.end();
      return;
    }
    const object = await resolved.store.get(resolved.key, { signal: caller.signal });
    if (!object) throw fileNotFound(id);
    reply.type(object.contentType ?? 'application/octet-stream').header('content-length', String(object.size));
    // fastify destroys the S3 stream if the caller disconnects.
    return reply.send(object.body);
  } finally {
    caller.release();
  }
}

async function deleteFile(ctx: ServerContext, request: FastifyRequest, reply: FastifyReply, id: string): Promise<void> {
  const resolved = resolve(ctx, request, id);
  const caller = callerAbortSignal(reply);
  try {
    if (resolved.kind === 'stored') {
      await visibleObject(resolved, id, caller.signal);
      await resolved.store.delete(resolved.key, { signal: caller.signal });
    } else {
      const provider = fileContentProvider(resolved.virtualKind);
      if (!provider) throw fileNotFound(id);
      if (!provider.delete)
        throw new GatewayError(
          'invalid_request',
          'This file is produced by a batch and cannot be deleted on its own.',
          { param: 'id' },
        );
      if (!(await provider.delete(resolved.ref, virtualContext(resolved, caller.signal)))) throw fileNotFound(id);
    }
    const body: FileDeleted = { id, object: 'file', deleted: true };
    await reply.type('application/json').send(JSON.stringify(body));
  } finally {
    caller.release();
  }
}

// ---------------------------------------------------------------------------------------------
// List

interface ListQuery {
  after: string | undefined;
  limit: number;
  order: 'asc' | 'desc';
  purpose: string | undefined;
}

function parseListQuery(query: unknown): ListQuery {
  const q = (query ?? {}) as Record<string, unknown>;
  const single = (name: string): string | undefined => {
    const value = q[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'string') throw new GatewayError('invalid_value', `Give '${name}' once.`, { param: name });
    return value;
  };
  const limitText = single('limit');
  let limit = LIST_LIMIT_MAX;
  if (limitText !== undefined) {
    limit = Number(limitText);
    if (!/^\d+$/.test(limitText) || limit < 1 || limit > LIST_LIMIT_MAX)
      throw new GatewayError('invalid_value', `Invalid 'limit': expected an integer from 1 to ${LIST_LIMIT_MAX}.`, {
        param: 'limit',
      });
  }
  const order = single('order') ?? 'desc';
  if (order !== 'asc' && order !== 'desc')
    throw new GatewayError('invalid_value', "Invalid 'order': expected 'asc' or 'desc'.", { param: 'order' });
  const after = single('after');
  return { after: after === '' ? undefined : after, limit, order, purpose: single('purpose') };
}

/**
 * `GET /v1/files`. Keys sort newest first (see files/keys.ts), so `desc` reads ListObjectsV2 pages from
 * the cursor until the page is full; `asc` reads from the newest key down to the cursor keeping only the
 * last `limit + 1` entries. Either reads at most `maxListScan` keys (1,000 per S3 call).
 */
async function listFiles(ctx: ServerContext, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const query = parseListQuery(request.query);
  const state = request.aigw;
  const sa = resolveStorageAccount(state.snapshot!, state.caller!, request.headers[ACCOUNT_HEADER]);
  state.account = sa.account.name;
  const store = ctx.storage.storeFor(sa.account, sa.credentials);
  const dir = store.key(FILES_DIR);
  let afterKey: string | undefined;
  if (query.after !== undefined) {
    let resolved: ResolvedFile | undefined;
    try {
      resolved = resolveFileId(
        state.snapshot!,
        state.caller!,
        ctx.storage,
        query.after,
        request.headers[ACCOUNT_HEADER],
      );
    } catch {
      resolved = undefined;
    }
    if (resolved?.kind !== 'stored' || resolved.sa.account.name !== sa.account.name || !resolved.key.startsWith(dir))
      throw new GatewayError('invalid_value', "Invalid 'after': expected the id of a file of this account.", {
        param: 'after',
      });
    afterKey = resolved.key;
  }
  const empty: FileList = { object: 'list', data: [], first_id: null, last_id: null, has_more: false };
  if (query.purpose !== undefined && query.purpose !== UPLOAD_PURPOSE) {
    // Only batch files are stored; batch output files are reached through their batch.
    await reply.type('application/json').send(JSON.stringify(empty));
    return;
  }
  const caller = callerAbortSignal(reply);
  try {
    const tag = ownerTag(sa.subject);
    const visible = (o: ObjectInfo) => maySeeListed(sa, o.key.slice(store.prefix.length), tag);
    const maxScan = ctx.files.maxListScan;
    let scanned = 0;
    const scanLimitError = () =>
      new GatewayError(
        'invalid_request',
        `Listing would read more than ${maxScan} stored objects; page with 'after' and order=desc, or delete old files.`,
      );
    const page: ObjectInfo[] = [];
    let hasMore = false;
    if (query.order === 'desc') {
      for await (const o of store.list(dir, { ...(afterKey ? { startAfter: afterKey } : {}), signal: caller.signal })) {
        if (++scanned > maxScan) throw scanLimitError();
        if (!visible(o)) continue;
        if (page.length === query.limit) {
          hasMore = true;
          break;
        }
        page.push(o);
      }
    } else {
      // Ring of the last limit + 1 visible objects before the cursor (i.e. the oldest ones after it).
      const size = query.limit + 1;
      const ring: ObjectInfo[] = new Array(size);
      let count = 0;
      for await (const o of store.list(dir, { signal: caller.signal })) {
        if (afterKey !== undefined && o.key >= afterKey) break;
        if (++scanned > maxScan) throw scanLimitError();
        if (!visible(o)) continue;
        ring[count % size] = o;
        count++;
      }
      hasMore = count > query.limit;
      // Oldest first: walk the ring backwards from the last written slot.
      for (let i = 1; i <= Math.min(count, query.limit); i++) page.push(ring[(count - i) % size]!);
    }
    const data = page.map((o) => storedFileObject(sa, store, o));
    const list: FileList = {
      object: 'list',
      data,
      first_id: data[0]?.id ?? null,
      last_id: data.at(-1)?.id ?? null,
      has_more: hasMore,
    };
    await reply.type('application/json').send(JSON.stringify(list));
  } finally {
    caller.release();
  }
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

function printable(text: string): string {
  const clean = text.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 64 ? `${clean.slice(0, 64)}...` : clean;
}
