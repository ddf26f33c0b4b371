/**
 * A scripted upstream for server tests that need no Bedrock: it answers Converse with a fixed reply
 * and ConverseStream with scripted events, and records every call.
 */
import type { GatewayError } from '../../gateway/src/errors/index.js';
import type { GatewayEventStream, GatewayUpstream } from '../../gateway/src/server/index.js';
import type {
  StreamTiming,
  UpstreamAttemptHooks,
  UpstreamCall,
  UpstreamEvent,
  UpstreamResponse,
} from '../../gateway/src/upstream/index.js';

/** The origin the fake reports to attempt observers (tracing's `server.address`). */
export const FAKE_ORIGIN = 'https://bedrock-runtime.us-east-1.amazonaws.com';

export interface FakeStreamScript {
  events: UpstreamEvent[];
  /** Delay before each event, ms. */
  delayMs?: number;
  /** Throw this after the events. */
  failWith?: GatewayError;
}

export function converseReply(text: string): object {
  return {
    output: { message: { role: 'assistant', content: [{ text }] } },
    stopReason: 'end_turn',
    usage: { inputTokens: 7, outputTokens: 2, totalTokens: 9 },
    metrics: { latencyMs: 1 },
  };
}

export function streamEvents(text: string): UpstreamEvent[] {
  return [
    { type: 'messageStart', payload: { role: 'assistant' } },
    ...text.split(' ').map((word, i) => ({
      type: 'contentBlockDelta',
      payload: { contentBlockIndex: 0, delta: { text: i === 0 ? word : ` ${word}` } },
    })),
    { type: 'contentBlockStop', payload: { contentBlockIndex: 0 } },
    { type: 'messageStop', payload: { stopReason: 'end_turn' } },
    {
      type: 'metadata',
      payload: { usage: { inputTokens: 5, outputTokens: 3, totalTokens: 8 }, metrics: { latencyMs: 1 } },
    },
  ];
}

/**
 * Records a call as one attempt: the call's attempt observer runs as BedrockUpstream runs it, and the
 * recorded call carries the headers the observer added (e.g. `traceparent`).
 */
function attempt(calls: UpstreamCall[], call: UpstreamCall): UpstreamAttemptHooks | undefined {
  const hooks = call.onAttempt?.({
    account: call.account.name,
    operation: call.operation,
    modelId: call.modelId,
    region: call.region,
    origin: FAKE_ORIGIN,
    attempt: 1,
  });
  calls.push(hooks?.headers ? { ...call, headers: { ...call.headers, ...hooks.headers } } : call);
  return hooks;
}

export class FakeUpstream implements GatewayUpstream {
  readonly calls: UpstreamCall[] = [];
  reply: object = converseReply('Hello from the fake upstream');
  /** Sent as the body instead of `reply` when set (for answers JSON.stringify cannot produce). */
  rawReply: string | undefined;
  sendError: GatewayError | undefined;
  script: FakeStreamScript = { events: streamEvents('one two three') };
  cancelled = 0;

  async send(call: UpstreamCall): Promise<UpstreamResponse> {
    const hooks = attempt(this.calls, call);
    if (this.sendError) {
      hooks?.end({ status: this.sendError.status, requestId: 'fake', error: this.sendError, willRetry: false });
      throw this.sendError;
    }
    hooks?.end({ status: 200, requestId: 'fake', error: undefined, willRetry: false });
    const body = new TextEncoder().encode(this.rawReply ?? JSON.stringify(this.reply));
    return {
      status: 200,
      requestId: 'fake',
      headers: {},
      body,
      attempts: 1,
      upstreamMs: 1,
      timing: { firstByteMs: 1, totalMs: 1 },
    };
  }

  async stream(call: UpstreamCall): Promise<GatewayEventStream> {
    const hooks = attempt(this.calls, call);
    if (this.sendError) {
      hooks?.end({ status: this.sendError.status, requestId: 'fake', error: this.sendError, willRetry: false });
      throw this.sendError;
    }
    const script = this.script;
    const timing: StreamTiming = { headersMs: 0, firstEventMs: undefined, totalMs: undefined };
    let cancelled = false;
    const onCancel = () => {
      if (!cancelled) this.cancelled++;
      cancelled = true;
    };
    call.signal.addEventListener('abort', onCancel, { once: true });
    async function* events(): AsyncGenerator<UpstreamEvent> {
      for (const event of script.events) {
        if (script.delayMs) await new Promise((r) => setTimeout(r, script.delayMs));
        if (cancelled) return;
        timing.firstEventMs ??= 1;
        yield event;
      }
      if (script.failWith) {
        hooks?.end({ status: 200, requestId: 'fake', error: script.failWith, willRetry: false });
        throw script.failWith;
      }
      timing.totalMs = 2;
      hooks?.end({ status: 200, requestId: 'fake', error: undefined, willRetry: false });
    }
    const iterable = events();
    return { timing, cancel: onCancel, [Symbol.asyncIterator]: () => iterable };
  }

  async close(): Promise<void> {}
}
