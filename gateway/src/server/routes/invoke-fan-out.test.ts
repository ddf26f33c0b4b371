import { describe, expect, it } from 'vitest';
import type { ServedModel } from '../../config/index.js';
import { GatewayError } from '../../errors/index.js';
import type { UpstreamCall, UpstreamResponse } from '../../upstream/index.js';
import type { ServerContext } from '../context.js';
import { INVOKE_FAN_OUT_CONCURRENCY, invokeAll, readJsonBody } from './invoke-fan-out.js';

const route = {
  model: { modelId: 'amazon.titan-embed-text-v2:0', region: 'us-east-1' },
  account: { name: 'demo' },
  credentials: {},
} as unknown as ServedModel;

function response(body: unknown): UpstreamResponse {
  return {
    status: 200,
    requestId: 'r',
    headers: {},
    body: new TextEncoder().encode(JSON.stringify(body)),
    attempts: 1,
    upstreamMs: 1,
    timing: { firstByteMs: 1, totalMs: 1 },
  };
}

/** A context whose upstream answers each body after `delay(body)` ms, tracking concurrency and aborts. */
function fakeContext(options: { delay: (body: { i: number }) => number; failOn?: number }) {
  const stats = { inFlight: 0, maxInFlight: 0, aborted: 0, calls: [] as UpstreamCall[] };
  const send = (call: UpstreamCall) =>
    new Promise<UpstreamResponse>((resolve, reject) => {
      stats.calls.push(call);
      const body = JSON.parse(String(call.body)) as { i: number };
      stats.inFlight++;
      stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        stats.inFlight--;
        if (body.i === options.failOn) reject(new GatewayError('invalid_value', `item ${body.i} refused`));
        else resolve(response({ echo: body.i }));
      }, options.delay(body));
      call.signal.addEventListener('abort', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        stats.inFlight--;
        stats.aborted++;
        reject(new GatewayError('client_closed_request', 'aborted'));
      });
    });
  const ctx = { upstream: { send } } as unknown as ServerContext;
  return { ctx, stats };
}

describe('invokeAll', () => {
  it(`keeps at most ${INVOKE_FAN_OUT_CONCURRENCY} calls in flight and returns responses in body order`, async () => {
    const { ctx, stats } = fakeContext({ delay: ({ i }) => (i % 3) * 5 });
    const bodies = Array.from({ length: 30 }, (_, i) => ({ i }));
    const { responses } = await invokeAll(ctx, route, bodies, new AbortController().signal);
    expect(stats.maxInFlight).toBe(INVOKE_FAN_OUT_CONCURRENCY);
    expect(responses.map((r) => (readJsonBody(r) as { echo: number }).echo)).toEqual(bodies.map((b) => b.i));
    expect(stats.calls.every((c) => c.operation === 'invoke' && c.modelId === 'amazon.titan-embed-text-v2:0')).toBe(
      true,
    );
  });

  it('fails with the first error and aborts the calls still running', async () => {
    const { ctx, stats } = fakeContext({ delay: ({ i }) => (i === 2 ? 5 : 200), failOn: 2 });
    const bodies = Array.from({ length: 20 }, (_, i) => ({ i }));
    await expect(invokeAll(ctx, route, bodies, new AbortController().signal)).rejects.toMatchObject({
      code: 'invalid_value',
      message: 'item 2 refused',
    });
    expect(stats.aborted).toBe(INVOKE_FAN_OUT_CONCURRENCY - 1);
    // No new calls start after the failure.
    expect(stats.calls).toHaveLength(INVOKE_FAN_OUT_CONCURRENCY);
  });

  it('aborts every call when the caller goes away', async () => {
    const { ctx, stats } = fakeContext({ delay: () => 1000 });
    const caller = new AbortController();
    const pending = invokeAll(ctx, route, [{ i: 0 }, { i: 1 }], caller.signal);
    setTimeout(() => caller.abort(), 5);
    await expect(pending).rejects.toBeInstanceOf(GatewayError);
    expect(stats.aborted).toBe(2);
  });

  it('turns an unreadable body into a 502', () => {
    const bad = { ...response({}), body: new TextEncoder().encode('<html>') };
    expect(() => readJsonBody(bad)).toThrow(expect.objectContaining({ code: 'upstream_error', status: 502 }));
  });
});
