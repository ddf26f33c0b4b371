/**
 * Admin endpoints under `/_emulator/` (docs/emulator.md, "Admin API"). They need no auth: the emulator
 * only listens where it is told to.
 */

import { handleBatchAdmin, splitFaults } from './batch/index.js';
import { parseJsonBody } from './call.js';
import { BedrockException, validationException } from './errors.js';
import { parseFaults } from './faults.js';
import { type RequestContext, sendError, sendJson } from './reply.js';
import type { EmulatorState } from './state.js';

function latencyNumber(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw validationException(`${name} must be a number of milliseconds >= 0.`);
  }
  return value;
}

/** Handles `/_emulator/*`. */
export function handleAdmin(state: EmulatorState, ctx: RequestContext): void {
  const route = `${ctx.method} ${ctx.rawPath}`;
  try {
    if (handleBatchAdmin(state, ctx)) return;
    switch (route) {
      case 'GET /_emulator/health':
        sendJson(ctx, 200, { status: 'ok' });
        return;
      case 'GET /_emulator/stats':
        sendJson(ctx, 200, state.stats);
        return;
      case 'GET /_emulator/faults':
        sendJson(ctx, 200, { faults: state.faults });
        return;
      case 'POST /_emulator/faults': {
        // Batch faults (`batch-fail`, `batch-expire`, `batch-hold`) go to the batch runner; all are checked first.
        const { runtime, batch } = splitFaults(parseJsonBody(ctx.body));
        const faults = runtime.length > 0 ? parseFaults(runtime) : [];
        state.faults.push(...faults);
        state.batch.faults.push(...batch);
        sendJson(ctx, 200, { faults: state.faults, batchFaults: state.batch.faults });
        return;
      }
      case 'DELETE /_emulator/faults':
        state.faults = [];
        state.batch.clearFaults();
        sendJson(ctx, 200, { faults: [] });
        return;
      case 'POST /_emulator/reset':
        state.reset();
        sendJson(ctx, 200, { status: 'reset' });
        return;
      case 'GET /_emulator/config':
        sendJson(ctx, 200, { latency: state.latency });
        return;
      case 'PUT /_emulator/config': {
        const body = parseJsonBody(ctx.body);
        const latency = typeof body === 'object' && body !== null ? (body as { latency?: unknown }).latency : undefined;
        if (typeof latency !== 'object' || latency === null) throw validationException('Expected {"latency": {...}}.');
        const l = latency as Record<string, unknown>;
        state.latency = {
          fixedMs: latencyNumber(l.fixedMs, 'fixedMs') ?? state.latency.fixedMs,
          timeToFirstTokenMs:
            latencyNumber(l.timeToFirstTokenMs, 'timeToFirstTokenMs') ?? state.latency.timeToFirstTokenMs,
          interTokenDelayMs: latencyNumber(l.interTokenDelayMs, 'interTokenDelayMs') ?? state.latency.interTokenDelayMs,
        };
        sendJson(ctx, 200, { latency: state.latency });
        return;
      }
      default:
        sendError(ctx, new BedrockException('ResourceNotFoundException', `No admin endpoint ${route}.`, 404));
        return;
    }
  } catch (error) {
    sendError(
      ctx,
      error instanceof BedrockException
        ? error
        : new BedrockException('InternalServerException', 'Admin request failed.', 500),
    );
  }
}
