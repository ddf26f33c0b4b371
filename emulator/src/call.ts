/**
 * What every runtime operation shares once a call passed the front door: the call record, JSON body
 * parsing, and the event-stream writer with pacing and mid-stream fault injection.
 */

import { performance } from 'node:perf_hooks';
import type { Principal } from './auth.js';
import { validationException } from './errors.js';
import { encodeEvent, encodeException } from './eventstream.js';
import { type Fault, streamFaultMessage } from './faults.js';
import { type RequestContext, sleep, writeChunk } from './reply.js';
import type { SignableRequest } from './sigv4.js';
import type { EmulatorState } from './state.js';

/**
 * Deepest object/array nesting a request body may have. The service's JSON reader refuses bodies nested
 * beyond a fixed depth (the common parser default is 1000); without a bound a hostile body would exhaust
 * the stack of the recursive validators here and surface as a 500.
 */
export const MAX_JSON_DEPTH = 1000;

/** Deepest `{`/`[` nesting of JSON text, ignoring brackets inside strings. */
function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > max) max = depth;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

/** Parses a JSON request body; malformed or too deeply nested JSON is a ValidationException. */
export function parseJsonBody(body: Buffer): unknown {
  const text = body.toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw validationException('Malformed input request, please reformat your input and try again.');
  }
  if (jsonDepth(text) > MAX_JSON_DEPTH) {
    throw validationException('Malformed input request, please reformat your input and try again.');
  }
  return value;
}

/** The SigV4-relevant view of a request. */
export function signableOf(ctx: RequestContext): SignableRequest {
  return { method: ctx.method, path: ctx.rawPath, query: ctx.query, headers: ctx.headers, body: ctx.body };
}

/** State shared by a runtime call after the front door. */
export interface RuntimeCall {
  readonly state: EmulatorState;
  readonly ctx: RequestContext;
  readonly principal: Principal;
  /** The region the request was made in (docs/emulator.md, "Prompt caching": the cache is per account and region). */
  readonly region: string;
  readonly operation: string;
  readonly modelId: string;
  /** Extra latency from a `latency` fault. */
  readonly faultLatencyMs: number;
  /** A `stream-error` fault to apply mid-stream. */
  readonly streamFault: Fault | undefined;
}

/** Milliseconds since the request arrived (at least 1). */
export function elapsedMs(ctx: RequestContext): number {
  return Math.max(1, Math.round(performance.now() - ctx.startedAt));
}

/** Writes an event stream: 200 headers, then frames paced by time-to-first-token and inter-token delay. */
export async function writeEventStream(
  call: RuntimeCall,
  events: readonly { type: string; payload: Record<string, unknown>; isDelta: boolean }[],
  headers: Record<string, string> = {},
): Promise<void> {
  const { ctx, state } = call;
  ctx.res.writeHead(200, {
    'content-type': 'application/vnd.amazon.eventstream',
    'x-amzn-requestid': ctx.requestId,
    ...headers,
  });
  // Bedrock answers 200 as soon as the stream is accepted and the first event follows when the model
  // produces it; Node would otherwise hold the headers back until the first frame, folding the
  // time-to-first-token delay into time-to-headers (the SDK's send() resolves on the headers).
  ctx.res.flushHeaders?.();
  state.count('streams', 'started');
  // 'close' before we end means the client went away: stop producing, as Bedrock stops generating.
  let ended = false;
  let aborted = false;
  ctx.res.once('close', () => {
    if (!ended) {
      aborted = true;
      state.count('streams', 'aborted');
    }
  });
  const finish = (outcome: 'completed' | 'failed'): void => {
    ended = true;
    state.count('streams', outcome);
    ctx.res.end();
  };
  await sleep(state.latency.timeToFirstTokenMs + call.faultLatencyMs);
  let sentDelta = false;
  for (let i = 0; i < events.length; i++) {
    const event = events[i];
    if (!event) continue;
    if (aborted) return;
    if (call.streamFault && i >= (call.streamFault.afterEvents ?? 2)) {
      const exception = call.streamFault.exception ?? 'internalServerException';
      const payload: Record<string, unknown> = { message: streamFaultMessage(call.streamFault) };
      if (exception === 'modelStreamErrorException') {
        payload.originalStatusCode = 500;
        payload.originalMessage = payload.message;
      }
      await writeChunk(ctx, encodeException(exception, payload));
      finish('failed');
      return;
    }
    if (event.isDelta && sentDelta) await sleep(state.latency.interTokenDelayMs);
    if (event.isDelta) sentDelta = true;
    if (aborted || !(await writeChunk(ctx, encodeEvent(event.type, event.payload)))) return;
  }
  finish('completed');
}
