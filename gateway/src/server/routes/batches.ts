/**
 * The Batch API on Bedrock batch inference (DESIGN.md, HTTP API): create, retrieve, list, cancel, and
 * the seed's `GET /v1/batches/{id}/output` (Bedrock's records as one JSON array). Output and error files
 * are virtual files of the Files API, converted from Bedrock's output when read. Mappings:
 * docs/api-compatibility.md (Batch).
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  type BatchRef,
  type BatchService,
  decodeBatchId,
  ERROR_FILE_KIND,
  type LoadedBatch,
  OUTPUT_FILE_KIND,
  parseBatchFileRef,
} from '../../batches/index.js';
import { GatewayError, invalidType, invalidValue, missingParameter } from '../../errors/index.js';
import {
  type FileObject,
  fileNotFound,
  maySeeObject,
  registerFileContentProvider,
  resolveFileId,
  type VirtualFileContext,
  virtualFileId,
} from '../../files/index.js';
import {
  ACCOUNT_HEADER,
  resolveStorageAccount,
  type StorageAccount,
  storageAccountByName,
} from '../../storage/index.js';
import { withActiveSpan } from '../../telemetry/index.js';
import { isFinalBatchStatus, toBatchStatus } from '../../translate/batch/index.js';
import type { BatchEndpoint } from '../../wire/openai/index.js';
import { authenticateHook, rejectOtherMethods } from '../app.js';
import { routeForSurface } from '../auth.js';
import type { ServerContext } from '../context.js';
import { callerAbortSignal } from './invoke-fan-out.js';
import type { RouteModule } from './types.js';

const ENDPOINTS: Record<string, BatchEndpoint> = {
  '/v1/chat/completions': '/v1/chat/completions',
  '/v1/embeddings': '/v1/embeddings',
};
const LIST_LIMIT_DEFAULT = 20;
const LIST_LIMIT_MAX = 100;
const MAX_METADATA_PAIRS = 16;
const ROLE_ARN_RE = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const IDEMPOTENCY_HEADER = 'idempotency-key';

export const batchesRoutes: RouteModule = {
  name: 'batches',
  register(app, ctx) {
    const service = ctx.batches;
    for (const kind of [OUTPUT_FILE_KIND, ERROR_FILE_KIND] as const)
      registerFileContentProvider({
        kind,
        describe: (ref, vctx) => describeBatchFile(ctx.batches, kind, ref, vctx),
        open: async (ref, vctx) => {
          const batch = await loadFileBatch(ctx.batches, ref, vctx);
          const body = batch && (await ctx.batches.fileContent(batch, kind === OUTPUT_FILE_KIND ? 'output' : 'error'));
          return body ? { body, contentType: 'application/jsonl' } : undefined;
        },
      });
    const hooks = { onRequest: authenticateHook(ctx), config: { metricRoute: 'batches' } };
    // Handlers run with the request's server span active: S3 and control-plane calls get client spans under it.
    app.post('/v1/batches', hooks, (request, reply) =>
      withActiveSpan(request.aigw.span, () => createBatch(ctx, service, request, reply)),
    );
    app.get('/v1/batches', hooks, (request, reply) =>
      withActiveSpan(request.aigw.span, () => listBatches(ctx, service, request, reply)),
    );
    // A wildcard rather than `:id`: raw job ARNs carry a `/` before the job id.
    app.get('/v1/batches/*', hooks, (request, reply) =>
      withActiveSpan(request.aigw.span, () => {
        const path = wildcard(request);
        if (path.endsWith('/output'))
          return answerForBatch(service, request, reply, path.slice(0, -'/output'.length), (batch, signal) =>
            service.rawOutput(batch, signal),
          );
        return answerForBatch(service, request, reply, path, (batch, signal) => service.view(batch, signal));
      }),
    );
    app.post('/v1/batches/*', hooks, (request, reply) =>
      withActiveSpan(request.aigw.span, () => {
        const path = wildcard(request);
        if (!path.endsWith('/cancel'))
          throw new GatewayError('unsupported_endpoint', `POST ${printable(request.url)} is not a Batch API endpoint.`);
        return answerForBatch(service, request, reply, path.slice(0, -'/cancel'.length), (batch, signal) =>
          service.cancel(batch, signal),
        );
      }),
    );
    rejectOtherMethods(app, '/v1/batches', ['GET', 'POST']);
    rejectOtherMethods(app, '/v1/batches/*', ['GET', 'POST']);
  },
};

function wildcard(request: FastifyRequest): string {
  return (request.params as { '*'?: string })['*'] ?? '';
}

function printable(text: string): string {
  const clean = text.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 200 ? `${clean.slice(0, 200)}...` : clean;
}

function batchNotFound(id: string): GatewayError {
  return new GatewayError('not_found', `No such batch: ${printable(id)}`, { param: 'batch_id' });
}

// ---------------------------------------------------------------------------------------------
// Create

interface CreateBody {
  inputFileId: string;
  endpoint: BatchEndpoint;
  metadata: Record<string, string> | null;
  model?: string;
  roleArn?: string;
  jobName?: string;
}

/** Validates the create body: OpenAI's members plus the gateway's `model`, `role_arn` and `job_name`. */
function parseCreateBody(body: unknown): CreateBody {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new GatewayError('invalid_request', 'The request body must be a JSON object.');
  const b = body as Record<string, unknown>;
  if (b.input_file_id === undefined || b.input_file_id === null) throw missingParameter('input_file_id');
  if (typeof b.input_file_id !== 'string' || b.input_file_id === '') throw invalidType('input_file_id', 'a file id');
  if (b.endpoint === undefined || b.endpoint === null) throw missingParameter('endpoint');
  const endpoint = typeof b.endpoint === 'string' ? ENDPOINTS[b.endpoint] : undefined;
  if (!endpoint)
    throw new GatewayError(
      'unsupported_value',
      `Unsupported value for 'endpoint': Bedrock batch inference serves ${Object.keys(ENDPOINTS).join(' and ')}.`,
      { param: 'endpoint' },
    );
  if (b.completion_window === undefined || b.completion_window === null) throw missingParameter('completion_window');
  if (b.completion_window !== '24h')
    throw new GatewayError('unsupported_value', "Unsupported value for 'completion_window': only '24h' is supported.", {
      param: 'completion_window',
    });
  if (b.output_expires_after !== undefined && b.output_expires_after !== null)
    throw new GatewayError(
      'unsupported_parameter',
      "Unsupported parameter: 'output_expires_after'. Output files live as long as the batch's objects in S3 (use an S3 lifecycle rule).",
      { param: 'output_expires_after' },
    );
  const out: CreateBody = { inputFileId: b.input_file_id, endpoint, metadata: parseMetadata(b.metadata) };
  for (const [field, key] of [
    ['model', 'model'],
    ['role_arn', 'roleArn'],
    ['job_name', 'jobName'],
  ] as const) {
    const value = b[field];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string' || value === '') throw invalidType(field, 'a non-empty string');
    out[key] = value;
  }
  if (out.roleArn !== undefined && !ROLE_ARN_RE.test(out.roleArn))
    throw invalidValue(
      "Invalid 'role_arn': expected an IAM role ARN (arn:aws:iam::<account>:role/<name>).",
      'role_arn',
    );
  return out;
}

function parseMetadata(value: unknown): Record<string, string> | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) throw invalidType('metadata', 'an object of strings');
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > MAX_METADATA_PAIRS)
    throw invalidValue(
      `'metadata' has ${entries.length} pairs; at most ${MAX_METADATA_PAIRS} are allowed.`,
      'metadata',
    );
  const out: Record<string, string> = {};
  for (const [key, v] of entries) {
    if (key.length > 64) throw invalidValue("'metadata' keys are at most 64 characters.", 'metadata');
    if (typeof v !== 'string') throw invalidType(`metadata.${key.slice(0, 64)}`, 'a string');
    if (v.length > 512) throw invalidValue("'metadata' values are at most 512 characters.", 'metadata');
    out[key] = v;
  }
  return out;
}

function idempotencyKeyOf(request: FastifyRequest): string | undefined {
  const raw = request.headers[IDEMPOTENCY_HEADER];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined || value === '') return undefined;
  if (value.length > 256)
    throw new GatewayError('invalid_value', `The '${IDEMPOTENCY_HEADER}' header is at most 256 characters.`, {
      param: IDEMPOTENCY_HEADER,
    });
  // Bedrock's clientRequestToken allows letters, digits and inner hyphens: a digest of the key fits.
  return createHash('sha256').update(value).digest('hex');
}

async function createBatch(
  ctx: ServerContext,
  service: BatchService,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<void> {
  const state = request.aigw;
  const body = parseCreateBody(request.body);
  const file = resolveFileId(
    state.snapshot!,
    state.caller!,
    ctx.storage,
    body.inputFileId,
    request.headers[ACCOUNT_HEADER],
  );
  if (file.kind !== 'stored')
    throw new GatewayError('invalid_value', 'A batch output or error file cannot be the input of a batch.', {
      param: 'input_file_id',
    });
  state.account = file.sa.account.name;
  const named = request.headers[ACCOUNT_HEADER];
  if (typeof named === 'string' && named.trim() !== '' && named.trim() !== file.sa.account.name)
    throw new GatewayError(
      'invalid_value',
      `The input file is in the storage of the account '${file.sa.account.name}' but '${ACCOUNT_HEADER}' names '${printable(named.trim())}'; a batch runs in the account that holds its file.`,
      { param: ACCOUNT_HEADER },
    );
  const caller = callerAbortSignal(reply);
  try {
    const info = await file.store.head(file.key, { signal: caller.signal });
    if (!info || !maySeeObject(file.sa, info)) throw fileNotFound(body.inputFileId);
    const type = body.endpoint === '/v1/embeddings' ? 'embedding' : 'chat';
    const batch = await service.create({
      sa: file.sa,
      input: { store: file.store, key: file.key, id: body.inputFileId },
      endpoint: body.endpoint,
      model: body.model,
      metadata: body.metadata,
      roleArn: body.roleArn,
      jobName: body.jobName,
      idempotencyKey: idempotencyKeyOf(request),
      resolveModel: (name) => routeForSurface(state, name, type, body.endpoint),
      signal: caller.signal,
    });
    await reply.type('application/json').send(JSON.stringify(batch));
  } finally {
    caller.release();
  }
}

// ---------------------------------------------------------------------------------------------
// Retrieve, cancel, raw output

/** The account a batch id names (a raw ARN's from the header), or 404 when the caller cannot reach it. */
function accountOf(request: FastifyRequest, ref: BatchRef, id: string): StorageAccount {
  const state = request.aigw;
  if (ref.account === undefined)
    return resolveStorageAccount(state.snapshot!, state.caller!, request.headers[ACCOUNT_HEADER]);
  if (!state.caller!.accounts.has(ref.account) || !state.snapshot!.accounts.has(ref.account)) throw batchNotFound(id);
  return storageAccountByName(state.snapshot!, state.caller!, ref.account);
}

async function loadOrThrow(
  service: BatchService,
  request: FastifyRequest,
  id: string,
  signal: AbortSignal,
): Promise<LoadedBatch> {
  const ref = decodeBatchId(id);
  if (!ref) throw batchNotFound(id);
  const sa = accountOf(request, ref, id);
  request.aigw.account = sa.account.name;
  const batch = await service.load(sa, ref, signal);
  if (!batch) throw batchNotFound(id);
  return batch;
}

/**
 * Loads the batch `id` names (404 when the caller may not see it) and sends what `answer` makes of it:
 * retrieve, cancel and the raw output differ only there. The caller's disconnect aborts the S3 and
 * control-plane calls.
 */
async function answerForBatch(
  service: BatchService,
  request: FastifyRequest,
  reply: FastifyReply,
  id: string,
  answer: (batch: LoadedBatch, signal: AbortSignal) => Promise<object>,
): Promise<void> {
  const caller = callerAbortSignal(reply);
  try {
    const batch = await loadOrThrow(service, request, id, caller.signal);
    const body = await answer(batch, caller.signal);
    await reply.type('application/json').send(body instanceof Readable ? body : JSON.stringify(body));
  } finally {
    caller.release();
  }
}

// ---------------------------------------------------------------------------------------------
// List

async function listBatches(
  _ctx: ServerContext,
  service: BatchService,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<void> {
  const state = request.aigw;
  const query = request.query as Record<string, unknown>;
  let limit = LIST_LIMIT_DEFAULT;
  if (query.limit !== undefined) {
    limit = Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > LIST_LIMIT_MAX)
      throw invalidValue(`'limit' must be an integer from 1 to ${LIST_LIMIT_MAX}.`, 'limit');
  }
  const after = typeof query.after === 'string' && query.after !== '' ? query.after : undefined;
  const header = request.headers[ACCOUNT_HEADER];
  let accounts: StorageAccount[];
  if (header !== undefined && header !== '') {
    accounts = [resolveStorageAccount(state.snapshot!, state.caller!, header)];
  } else {
    // Every account of the caller that can hold batches.
    accounts = [];
    for (const name of [...state.caller!.accounts].sort()) {
      const account = state.snapshot!.accounts.get(name);
      if (!account?.batch?.s3Bucket || account.auth.type === 'apiKey') continue;
      accounts.push(storageAccountByName(state.snapshot!, state.caller!, name));
    }
  }
  if (accounts.length === 1) state.account = accounts[0]!.account.name;
  const caller = callerAbortSignal(reply);
  try {
    const page = await service.list(accounts, { after, limit }, caller.signal);
    await reply.type('application/json').send(
      JSON.stringify({
        object: 'list',
        data: page.data,
        first_id: page.data[0]?.id ?? null,
        last_id: page.data[page.data.length - 1]?.id ?? null,
        has_more: page.has_more,
      }),
    );
  } finally {
    caller.release();
  }
}

// ---------------------------------------------------------------------------------------------
// Output and error files (virtual files of the Files API)

async function loadFileBatch(service: BatchService, ref: string, vctx: VirtualFileContext) {
  const parsed = parseBatchFileRef(ref);
  if (!parsed) return undefined;
  return service.load(vctx.sa, { account: vctx.sa.account.name, ...parsed }, vctx.signal);
}

async function describeBatchFile(
  service: BatchService,
  kind: string,
  ref: string,
  vctx: VirtualFileContext,
): Promise<FileObject | undefined> {
  const batch = await loadFileBatch(service, ref, vctx);
  if (!batch || !isFinalBatchStatus(toBatchStatus(batch.job.status))) return undefined;
  const want = kind === OUTPUT_FILE_KIND ? 'output' : 'error';
  const bytes = await service.fileSize(batch, want, vctx.signal);
  if (bytes === undefined) return undefined;
  const created = Math.floor((batch.job.endTime ?? batch.job.lastModifiedTime ?? new Date()).getTime() / 1000);
  return {
    id: virtualFileId(kind, vctx.sa.account.name, ref),
    object: 'file',
    bytes,
    created_at: created,
    expires_at: null,
    filename: `${batch.jobId}_${want}.jsonl`,
    purpose: 'batch_output',
    status: 'processed',
    status_details: null,
  };
}
