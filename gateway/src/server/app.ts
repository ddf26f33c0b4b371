/**
 * The fastify application of the OpenAI API: request ids, body limits, the single error writer,
 * the not-found / unsupported-surface answers, 405s, caller authentication, and the route plugins.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import { SpanStatusCode } from '@opentelemetry/api';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type HTTPMethods,
  LogController,
} from 'fastify';
import type { Logger } from 'pino';
import { callerOfKubernetesIdentity } from '../config/index.js';
import { echo, GatewayError } from '../errors/index.js';
import { JSON_DEFAULTS, jsonNestingExceeds, jsonTooDeepError } from '../json/index.js';
import { LazyChildLogger } from '../logging/index.js';
import { STATUS_CODES } from '../node-http.js';
import { AIGW_ATTR, startServerSpan, type UsageRecord } from '../telemetry/index.js';
import { CredentialError } from '../upstream/index.js';
import { authenticateCaller, bearerTokenOf, looksLikeJwt } from './auth.js';
import type { RequestState, ServerContext } from './context.js';
import { toGatewayError } from './errors.js';
import { ROUTE_MODULES } from './routes/index.js';
import { unsupportedSurfaceError } from './surfaces.js';
import { genAiOf, traceIdOf } from './usage.js';

/** Stands in for fastify's schema compilers, which no route uses; a route that declares a schema fails at start. */
function noSchemaCompiler(): never {
  throw new Error("The gateway's routes declare no fastify schemas: validate the body in the route instead.");
}

// Printable, header-safe ids only: a caller's id is echoed into logs and response headers.
const REQUEST_ID_RE = /^[A-Za-z0-9._:@/+=-]+$/;
const FASTIFY_METHODS: readonly HTTPMethods[] = ['DELETE', 'GET', 'HEAD', 'PATCH', 'POST', 'PUT', 'OPTIONS'];

/** Builds (but does not start) the OpenAI API server. */
export async function buildGatewayApp(ctx: ServerContext): Promise<FastifyInstance> {
  const { options, metrics } = ctx;
  const app = Fastify({
    loggerInstance: ctx.logger,
    // Access logs on the hot path cost more than the rest of the request; metrics carry the counts.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimitBytes,
    keepAliveTimeout: options.keepAliveTimeoutMs,
    // Node enforces the request deadline only when the server is constructed with it (Fastify assigns
    // `requestTimeout` afterwards, which on its own never fires, and its default 0 turns it off), and
    // checks deadlines on an interval (30 s by default), kept below the timeout so short ones hold.
    requestTimeout: options.requestTimeoutMs,
    http: {
      requestTimeout: options.requestTimeoutMs,
      // Node answers an HTTP/1.1 request without Host (RFC 9112 §3.2) with an empty 400 of its own, which
      // no hook sees; the onRequest hook below refuses it instead, in the OpenAI shape with a request id.
      requireHostHeader: false,
      connectionsCheckingInterval: Math.min(30_000, Math.max(250, Math.floor(options.requestTimeoutMs / 4))),
    },
    requestIdHeader: false,
    // Every request gets a child logger bound to its id; it is made when the request first logs a line,
    // which most never do. A route-level log level or serializers (none today) get pino's own child.
    childLoggerFactory: (logger, bindings, childOptions) =>
      childOptions.level !== undefined || childOptions.serializers !== undefined
        ? logger.child(bindings, childOptions)
        : (new LazyChildLogger(logger as unknown as Logger, bindings) as unknown as FastifyBaseLogger),
    genReqId: (req: IncomingMessage) => requestIdOf(req, options.maxRequestIdLength),
    // Requests that arrive on kept-alive connections while draining are still served.
    return503OnClosing: false,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    // No route declares a fastify schema (the translators check bodies and answer in OpenAI's shape), so
    // fastify's schema compilers never run. Without factories of our own, fastify loads its defaults, ajv and
    // fast-json-stringify, when the app is built: about 10 MB of resident memory for nothing
    // (docs/benchmarks.md, "Streaming hot path, round 9").
    schemaController: { compilersFactory: { buildValidator: noSchemaCompiler, buildSerializer: noSchemaCompiler } },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 2048 },
    clientErrorHandler: writeClientError,
    // URLs fastify's router refuses before any hook runs (bad percent-encoding, an over-long path
    // parameter) would otherwise get fastify's own error body.
    frameworkErrors: (err, request, reply) => {
      reply.header('x-request-id', request.id);
      sendError(reply, toGatewayError(err, options).error);
    },
  });

  // An `Expect` other than 100-continue: Node answers 417 with an empty body of its own unless someone
  // listens; the answer has the OpenAI shape and a request id like every other.
  app.server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    const error = new GatewayError(
      'expectation_failed',
      `The gateway cannot meet 'Expect: ${echo(String(req.headers.expect ?? ''))}'; only 100-continue is supported.`,
    );
    const body = JSON.stringify(error.toBody());
    res.writeHead(error.status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      'x-request-id': requestIdOf(req, options.maxRequestIdLength),
      connection: 'close',
    });
    res.end(body);
  });

  app.decorateRequest('aigw', null as unknown as RequestState);
  // One record per request at info (docs/configuration.md, Usage records); a child logger binds the kind once.
  const usageLog = ctx.logger.child({ record: 'usage' });
  // Every body this API takes is JSON (multipart surfaces register their own parser); a text/plain body
  // gets 415 instead of reaching a handler as a string.
  app.removeContentTypeParser('text/plain');
  // JSON bodies, for every route of this app: the nesting limit is checked on the raw text before
  // fastify's parser (secure-json-parse) runs, so no later step can recurse past it.
  const parseJsonBody = app.getDefaultJsonParser('error', 'error');
  const maxDepth = JSON_DEFAULTS.maxNestingDepth;
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (jsonNestingExceeds(body, maxDepth)) {
      done(jsonTooDeepError(maxDepth), undefined);
      return;
    }
    parseJsonBody(request, body as string, done);
  });

  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    // While draining, a kept-alive client would keep this pod busy; `Connection: close` sends its next
    // request through the load balancer to a pod that is staying.
    if (ctx.activity.draining) reply.header('connection', 'close');
    const state: RequestState = {
      startedAt: performance.now(),
      route: request.routeOptions.config.metricRoute ?? 'other',
      snapshot: undefined,
      caller: undefined,
      account: '-',
      model: '-',
      upstreamMs: undefined,
      metricStatus: undefined,
      modelRoute: undefined,
      genAi: undefined,
      errorType: undefined,
      inputTokens: undefined,
      outputTokens: undefined,
      cacheReadTokens: undefined,
      cacheWriteTokens: undefined,
      images: undefined,
      costUsd: undefined,
      attempts: 0,
      stream: false,
      span: ctx.tracer ? serverSpanOf(ctx, request) : undefined,
    };
    request.aigw = state;
    const gauge = metrics.inflightOf(state.route);
    gauge.inc();
    ctx.activity.begin();
    // 'close' fires for finished, failed and abandoned responses alike, hijacked (SSE) ones included.
    reply.raw.once('close', () => {
      gauge.dec();
      ctx.activity.end();
      const seconds = (performance.now() - state.startedAt) / 1000;
      const status = state.metricStatus ?? (reply.raw.writableFinished ? reply.raw.statusCode : 499);
      if (state.span) {
        state.span.setAttribute('http.response.status_code', reply.raw.statusCode);
        if (status >= 500) state.span.setStatus({ code: SpanStatusCode.ERROR });
        state.span.end();
      }
      metrics.observeRequest({
        route: state.route,
        account: state.account,
        model: state.model,
        status,
        seconds,
        overheadSeconds: state.upstreamMs !== undefined ? seconds - state.upstreamMs / 1000 : undefined,
      });
      const errorType = status >= 400 ? (state.errorType ?? errorTypeOfStatus(status)) : undefined;
      genAiOf(metrics, state)?.duration(seconds, errorType);
      const logged = infoEnabled(usageLog);
      if (logged || ctx.usageRecords) {
        const record = usageRecord(request, state, status, errorType, seconds);
        if (logged) usageLog.info(record, 'request served');
        ctx.usageRecords?.(record);
      }
    });
    if (request.headers.host === undefined && request.raw.httpVersion === '1.1') {
      // RFC 9112 §3.2: a server must answer 400 to an HTTP/1.1 request without Host.
      reply.header('connection', 'close');
      done(new GatewayError('invalid_request', 'HTTP/1.1 requests must carry a Host header.'));
      return;
    }
    done();
  });

  app.setErrorHandler((err, request, reply) => {
    const { error, internal } = toGatewayError(err, options);
    request.aigw?.span?.setAttribute('error.type', error.code);
    if (request.aigw) request.aigw.errorType = error.code;
    if (internal) request.log.error({ err, requestId: request.id }, 'request failed');
    else if (error instanceof CredentialError)
      // AWS's own answer (principal and role names) is for the platform team, not the caller.
      request.log.warn(
        { code: error.code, requestId: request.id, detail: error.detail },
        'upstream credentials failed',
      );
    else if (error.status >= 500)
      request.log.warn({ code: error.code, requestId: request.id, error: error.message }, 'request failed upstream');
    if (
      error.code === 'request_too_large' &&
      !ctx.activity.draining &&
      declaredBodyWithin(request, options.bodyLimitBytes * 4)
    ) {
      // fastify closes the connection after a body error, so a caller still sending its body gets a reset
      // (EPIPE) instead of this 413, and the openai SDKs report a connection error and retry the upload.
      // On a kept connection Node reads and discards the rest of a declared-length body, then the caller
      // reads the 413. Bodies declared far above the limit (or chunked ones) still get the connection closed.
      reply.removeHeader('connection');
    }
    sendError(reply, error);
  });

  app.setNotFoundHandler((request, reply) => {
    if (request.aigw) request.aigw.errorType = 'not_found';
    const path = request.url.split('?', 1)[0] ?? request.url;
    const error =
      unsupportedSurfaceError(path) ??
      new GatewayError(
        'not_found',
        `Unknown request URL: ${request.method} ${echo(path)}. See the gateway's API documentation.`,
      );
    sendError(reply, error);
  });

  for (const module of ROUTE_MODULES) await app.register(async (scope) => module.register(scope, ctx));
  return app;
}

/** Whether info lines are written (pino's check; the record is not built when they are not). */
function infoEnabled(log: FastifyBaseLogger): boolean {
  const check = (log as { isLevelEnabled?: (level: string) => boolean }).isLevelEnabled;
  return check ? check.call(log, 'info') : true;
}

/** `error.type` of a failed request whose handler did not name its error (fastify's own answers, a caller gone). */
function errorTypeOfStatus(status: number): string {
  return status === 499 ? 'client_closed_request' : String(status);
}

/**
 * The usage record of one finished request (docs/configuration.md, Usage records): who, which model, what
 * it used and cost, how long it took. Never message text, never a credential (the caller appears by
 * subject and teams only).
 */
function usageRecord(
  request: FastifyRequest,
  state: RequestState,
  status: number,
  errorType: string | undefined,
  seconds: number,
): UsageRecord {
  const caller = state.caller;
  return {
    requestId: request.id,
    traceId: state.span?.spanContext().traceId ?? traceIdOf(request.headers.traceparent) ?? null,
    surface: state.route,
    method: request.method,
    subject: caller?.subject ?? null,
    teams: caller?.teams ?? [],
    team: caller?.metricTeam ?? null,
    account: state.modelRoute?.account.name ?? null,
    model: state.modelRoute?.model.name ?? null,
    modelId: state.modelRoute?.model.modelId ?? null,
    stream: state.stream,
    status,
    errorType: errorType ?? null,
    tokens: {
      input: state.inputTokens ?? 0,
      output: state.outputTokens ?? 0,
      cacheRead: state.cacheReadTokens ?? 0,
      cacheWrite: state.cacheWriteTokens ?? 0,
    },
    images: state.images ?? 0,
    costUsd: state.costUsd ?? null,
    latencyMs: Math.round(seconds * 1e6) / 1e3,
    upstreamMs: state.upstreamMs === undefined ? null : Math.round(state.upstreamMs * 1e3) / 1e3,
    attempts: state.attempts,
  };
}

/** The request's server span (HTTP semantic conventions); only called when tracing is on. */
function serverSpanOf(ctx: ServerContext, request: FastifyRequest) {
  const span = startServerSpan(ctx.tracer!, {
    method: request.method,
    route: request.routeOptions.url,
    url: request.url,
    headers: request.headers,
    scheme: request.protocol,
    localPort: request.socket.localPort,
    clientAddress: request.socket.remoteAddress,
  });
  span.setAttribute(AIGW_ATTR.requestId, request.id);
  return span;
}

/** The caller's `x-request-id` when it is short and printable, else a new UUID. */
function requestIdOf(req: IncomingMessage, maxLength: number): string {
  const incoming = req.headers['x-request-id'];
  if (
    typeof incoming === 'string' &&
    incoming.length > 0 &&
    incoming.length <= maxLength &&
    REQUEST_ID_RE.test(incoming)
  )
    return incoming;
  return randomUUID();
}

/** Whether the request declared a Content-Length of at most `cap` bytes. */
function declaredBodyWithin(request: FastifyRequest, cap: number): boolean {
  const declared = Number(request.headers['content-length']);
  return Number.isFinite(declared) && declared <= cap;
}

/**
 * Requests Node's HTTP parser rejects (malformed request line or headers, oversized headers) never
 * reach fastify's handlers; answer them in the same OpenAI shape, with a request id, before closing.
 */
function writeClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  let status = 400;
  let error = new GatewayError('invalid_request', 'The HTTP request is malformed.');
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    status = 431;
    error = new GatewayError('request_too_large', 'The request headers are larger than the server accepts.');
  } else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    status = 408;
    error = new GatewayError('invalid_request', 'The request was not received in time.');
  }
  const body = JSON.stringify(error.toBody());
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nx-request-id: ${randomUUID()}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}

/** Writes a GatewayError as the OpenAI error envelope (the only error writer). */
export function sendError(reply: FastifyReply, error: GatewayError): void {
  if (error.retryAfterSeconds !== undefined) reply.header('retry-after', String(Math.ceil(error.retryAfterSeconds)));
  void reply.status(error.status).type('application/json; charset=utf-8').send(JSON.stringify(error.toBody()));
}

/**
 * onRequest hook of authenticated routes: takes the config snapshot for the whole request and
 * authenticates the caller before the body is read (an unauthenticated caller cannot make the
 * gateway buffer a large body).
 */
export function authenticateHook(ctx: ServerContext) {
  return (request: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void): void => {
    const snapshot = ctx.store.current;
    if (!snapshot) {
      done(
        new GatewayError('upstream_unavailable', 'The gateway has not loaded its configuration yet; retry shortly.'),
      );
      return;
    }
    request.aigw.snapshot = snapshot;
    try {
      request.aigw.caller = authenticateCaller(request.headers.authorization, snapshot);
      done();
    } catch (err) {
      // Not an api key: an in-cluster caller may present its projected service-account token.
      const token = bearerTokenOf(request.headers.authorization);
      const reviewer = ctx.identityReviewer;
      if (!reviewer || !token || !looksLikeJwt(token) || !(err instanceof GatewayError)) {
        done(err as Error);
        return;
      }
      reviewer.review(token).then(
        (identity) => {
          if (!identity) return done(err);
          request.aigw.caller = callerOfKubernetesIdentity(snapshot, identity);
          done();
        },
        (reviewErr: unknown) => {
          request.log.warn({ err: reviewErr, requestId: request.id }, 'token review failed');
          done(
            new GatewayError(
              'upstream_unavailable',
              'The gateway could not verify the service-account token; retry shortly.',
            ),
          );
        },
      );
    }
  };
}

/** Answers every method but `allowed` on `url` with 405 and an `Allow` header. */
export function rejectOtherMethods(app: FastifyInstance, url: string, allowed: readonly HTTPMethods[]): void {
  const implied = allowed.includes('GET') ? [...allowed, 'HEAD' as const] : allowed;
  const others = FASTIFY_METHODS.filter((m) => !implied.includes(m));
  const allow = implied.join(', ');
  app.route({
    method: others,
    url,
    handler: (request, reply) => {
      reply.header('allow', allow);
      sendError(
        reply,
        new GatewayError(
          'method_not_allowed',
          `Method ${request.method} is not allowed on ${url}; use ${allowed.join(' or ')}.`,
        ),
      );
    },
  });
}
