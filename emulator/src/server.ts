/**
 * The emulator's request listener: reads the request once, then routes it — admin (`/_emulator/`),
 * container credentials (`GET /v1/credentials`), STS (`POST /`), runtime (`/model/{id}/...`), control
 * plane — with one handler for HTTP/1.1 and h2c.
 */

import { performance } from 'node:perf_hooks';
import { handleAdmin } from './admin.js';
import { authenticateBedrock } from './auth.js';
import { BATCH_ROUTES } from './batch/index.js';
import { signableOf } from './call.js';
import { FOUNDATION_MODEL_ROUTES } from './control-plane/foundation-models.js';
import { matchControlPlane, registerBuiltinControlPlaneRoutes } from './control-plane/index.js';
import { INFERENCE_PROFILE_ROUTES } from './control-plane/inference-profiles.js';
import { BedrockException } from './errors.js';
import { newRequestId, type RequestContext, sendError, sendThrown } from './reply.js';
import { handleRuntime, matchRuntimePath } from './runtime.js';
import { handleS3, isS3Request } from './s3/index.js';
import type { EmulatorState } from './state.js';
import { handleContainerCredentials, handleSts, isStsRequest } from './sts.js';
import type { IncomingRequest, OutgoingResponse, RequestListener } from './transport.js';

registerBuiltinControlPlaneRoutes(FOUNDATION_MODEL_ROUTES);
registerBuiltinControlPlaneRoutes(INFERENCE_PROFILE_ROUTES);
registerBuiltinControlPlaneRoutes(BATCH_ROUTES);

/** Largest request body accepted (InvokeModel bodies may be up to 25,000,000 bytes, §6). */
export const MAX_BODY_BYTES = 26 * 1024 * 1024;

async function readBody(req: IncomingRequest): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function normaliseHeaders(req: IncomingRequest): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    // The JS SDK v3 signs `:authority` as a header when it talks HTTP/2, so that one pseudo-header stays.
    if ((name.startsWith(':') && name !== ':authority') || value === undefined) continue;
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  // HTTP/2 carries the host in :authority; SigV4 signs it as `host`.
  const authority = req.headers[':authority'];
  if (headers.host === undefined && typeof authority === 'string') headers.host = authority;
  return headers;
}

function parseQuery(search: string): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(search)) {
    const existing = query[k];
    if (existing === undefined) query[k] = v;
    else query[k] = Array.isArray(existing) ? [...existing, v] : [existing, v];
  }
  return query;
}

async function route(state: EmulatorState, ctx: RequestContext): Promise<void> {
  if (ctx.rawPath.startsWith('/_emulator/')) return handleAdmin(state, ctx);
  if (ctx.method === 'GET' && ctx.rawPath === '/v1/credentials') return handleContainerCredentials(state, ctx);
  if (isStsRequest(ctx)) return handleSts(state, ctx);
  const runtime = ctx.method === 'POST' ? matchRuntimePath(ctx.rawPath) : undefined;
  if (runtime) return handleRuntime(state, ctx, runtime);
  const control = matchControlPlane(ctx.method, ctx.rawPath);
  if (control) {
    const principal = await authenticateBedrock(state, signableOf(ctx));
    state.count('operations', control.route.operation);
    state.count('principals', principal.arn);
    return control.route.handle({ state, ctx, match: control.match, principal });
  }
  sendError(
    ctx,
    new BedrockException('UnknownOperationException', `Unknown operation ${ctx.method} ${ctx.rawPath}`, 404),
  );
}

/** The listener for both protocols. */
export function createRequestListener(state: EmulatorState): RequestListener {
  return (req: IncomingRequest, res: OutgoingResponse) => {
    const startedAt = performance.now();
    const requestId = newRequestId();
    void (async () => {
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const rawPath = q >= 0 ? url.slice(0, q) : url;
      const query = parseQuery(q >= 0 ? url.slice(q + 1) : '');
      const headers = normaliseHeaders(req);
      const method = (req.method ?? 'GET').toUpperCase();
      // S3 reads its own body (uploads are bounded by the store, not by the Bedrock body limit).
      if (!rawPath.startsWith('/_emulator/') && isS3Request(headers, query, rawPath)) {
        await handleS3(state, { requestId, method, rawPath, query, headers, req, res, startedAt });
        return;
      }
      const body = await readBody(req);
      const ctx: RequestContext = {
        requestId,
        method,
        rawPath,
        query,
        headers,
        body: body ?? Buffer.alloc(0),
        req,
        res,
        startedAt,
      };
      if (body === undefined) {
        // The rest of the body was never read, so this HTTP/1.1 connection cannot carry another request.
        // Without `Connection: close` a keep-alive client (undici) sends its next call on it and waits until
        // the socket times out (~65 s). HTTP/2 has no connection header; its stream simply ends.
        const close: Record<string, string> = req.httpVersionMajor === 1 ? { connection: 'close' } : {};
        sendError(ctx, new BedrockException('ValidationException', 'Request body is too large.', 413), close);
        return;
      }
      try {
        await route(state, ctx);
      } catch (error) {
        sendThrown(ctx, error);
      }
    })().catch(() => {
      // The client went away mid-request; nothing left to answer.
    });
  };
}
