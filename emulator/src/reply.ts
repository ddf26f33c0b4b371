/**
 * Writing responses: every response carries `x-amzn-RequestId`; errors carry `x-amzn-ErrorType` and the
 * JSON body `{"message": ...}` (bedrock-wire.md §8); streams are written frame by frame with
 * backpressure.
 */

import { randomUUID } from 'node:crypto';
import { BedrockException } from './errors.js';
import type { IncomingRequest, OutgoingResponse } from './transport.js';

/** Everything a route needs about one request. */
export interface RequestContext {
  readonly requestId: string;
  readonly method: string;
  /** Path as received, still percent-encoded, without the query. */
  readonly rawPath: string;
  readonly query: Record<string, string | string[]>;
  /** Lower-cased names; repeated headers joined with `,`; HTTP/2 pseudo-headers removed except `:authority`. */
  readonly headers: Record<string, string>;
  readonly body: Buffer;
  readonly req: IncomingRequest;
  readonly res: OutgoingResponse;
  /** `performance.now()` at arrival. */
  readonly startedAt: number;
}

/** A new AWS-style request id. */
export function newRequestId(): string {
  return randomUUID();
}

/** Writes a JSON response. */
export function sendJson(
  ctx: RequestContext,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  ctx.res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': ctx.requestId,
    ...headers,
  });
  ctx.res.end(text);
}

/** Writes a raw body. */
export function sendBytes(
  ctx: RequestContext,
  status: number,
  body: Buffer | string,
  headers: Record<string, string>,
): void {
  ctx.res.writeHead(status, {
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': ctx.requestId,
    ...headers,
  });
  ctx.res.end(body);
}

/** Errors raised by the AWS front door rather than by Bedrock itself. */
const FRONT_DOOR_ERRORS = new Set([
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'ExpiredTokenException',
  'MissingAuthenticationTokenException',
  'IncompleteSignatureException',
  'UnknownOperationException',
]);

/**
 * The `x-amzn-ErrorType` value as AWS sends it: the type, then `:` and the Coral namespace
 * (bedrock-wire.md §8). Clients keep what precedes the first `:`; sending the full form makes a client
 * that compares the raw header fail here as it would against AWS.
 */
export function errorTypeHeader(name: string): string {
  const namespace = FRONT_DOOR_ERRORS.has(name) ? 'com.amazon.coral.service' : 'com.amazon.bedrock';
  return `${name}:http://internal.amazon.com/coral/${namespace}/`;
}

/** Writes a Bedrock error (rest-json wire format). */
export function sendError(ctx: RequestContext, error: BedrockException, headers: Record<string, string> = {}): void {
  sendJson(ctx, error.status, error.toBody(), { 'x-amzn-errortype': errorTypeHeader(error.name), ...headers });
}

/** Turns anything thrown into a Bedrock error response (unexpected errors become InternalServerException). */
export function sendThrown(ctx: RequestContext, thrown: unknown): void {
  if (ctx.res.writableEnded || ctx.res.destroyed) return;
  const error =
    thrown instanceof BedrockException
      ? thrown
      : new BedrockException(
          'InternalServerException',
          'The server encountered an internal error while processing the request.',
          500,
        );
  sendError(ctx, error);
}

/** Writes one chunk and waits for the socket to drain when the buffer is full. */
export async function writeChunk(ctx: RequestContext, chunk: Uint8Array): Promise<boolean> {
  if (ctx.res.writableEnded || ctx.res.destroyed) return false;
  if (!ctx.res.write(chunk)) await drainedOrClosed(ctx.res);
  return !ctx.res.destroyed;
}

/**
 * Resolves when `res` drains or closes, whichever comes first, and removes both listeners: a long body
 * waits many times on one response, and a listener left behind per wait would pile up on it.
 */
export function drainedOrClosed(res: Pick<OutgoingResponse, 'on' | 'off'>): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** Resolves after `ms` milliseconds (immediately for 0). */
export function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}
