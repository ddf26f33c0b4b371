/**
 * The one way the programs create their logger (pino, JSON lines). Redaction is part of the logger, not
 * of the call sites: a log formatter censors keys named like secrets at any depth (`authorization`,
 * `cookie`, `x-api-key`, `x-amz-security-token` and the like, in headers or anywhere else) and scrubs
 * secret-shaped strings (redact.ts), and the message and request serializers scrub text.
 *
 * pino's own `redact` paths are not used: the formatter's key net censors every header they would name,
 * wherever it is, and in pino 10 path redaction cost about 40 µs of CPU per log line (a copy of the
 * object on each call), three quarters of the cost of a line, which at the default level is every
 * request's usage record. A library that logs its options (as @fastify/multipart
 * does at trace level, request headers included) goes through the same nets.
 */
import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';
import { redactSecrets, scrubSecretText } from './redact.js';

/** Top-level keys that serializers reduce to safe fields; the formatter leaves them to those. */
const SERIALIZED_KEYS: ReadonlySet<string> = new Set(['req', 'res']);

export interface CreateLoggerOptions {
  /** pino level: trace, debug, info, warn, error, fatal or silent. */
  level: string;
  /** Written as `program` on every line. */
  program?: string;
  /** Where lines go (default stdout). */
  destination?: DestinationStream;
}

/** pino options with the redaction nets; exported for tests and for programs that build their own pino. */
export function redactingLoggerOptions(level: string, program?: string): LoggerOptions {
  return {
    level,
    ...(program ? { base: { program } } : {}),
    formatters: {
      log: (object) => redactSecrets(object, SERIALIZED_KEYS) as Record<string, unknown>,
      bindings: (bindings) => redactSecrets(bindings) as Record<string, unknown>,
    },
    serializers: {
      msg: (msg: unknown) => (typeof msg === 'string' ? scrubSecretText(msg) : msg),
      // The log formatter already turned errors into redacted data; an Error reaching here (a child's own
      // serializers path) gets the same treatment.
      err: (err: unknown) => (err instanceof Error ? redactSecrets(err) : err),
      req: serializeRequest,
      res: (reply: { statusCode?: unknown }) => ({ statusCode: reply?.statusCode }),
    },
  };
}

/** Creates the logger of a program (`aigw serve`, `aigw operator`). */
export function createLogger(options: CreateLoggerOptions): Logger {
  const config = redactingLoggerOptions(options.level, options.program);
  const logger = options.destination ? pino(config, options.destination) : pino(config);
  // pino applies the bindings formatter to the root's base only; a child's bindings (fastify's request
  // id, a library's context) go through the same net here. Children are created from their parent's
  // prototype, so every descendant inherits this `child`.
  type ChildFn = (this: Logger, bindings: object, options?: object) => Logger;
  const originalChild = logger.child as unknown as ChildFn;
  const child: ChildFn = function child(this: Logger, bindings, childOptions) {
    return originalChild.call(this, redactSecrets(bindings) as object, childOptions);
  };
  logger.child = child as unknown as Logger['child'];
  return logger;
}

/** A request as a log line shows it: no headers, and the URL's query scrubbed. */
function serializeRequest(req: {
  method?: unknown;
  url?: unknown;
  host?: unknown;
  ip?: unknown;
  socket?: { remotePort?: unknown };
}): Record<string, unknown> {
  return {
    method: req?.method,
    url: typeof req?.url === 'string' ? scrubSecretText(req.url) : req?.url,
    host: req?.host,
    remoteAddress: req?.ip,
    remotePort: req?.socket?.remotePort,
  };
}
