/**
 * A scripted upstream for server tests that need no Bedrock: it answers Converse with a fixed reply
 * and ConverseStream with scripted events, and records every call.
 */
import type { GatewayError } from '../../gateway/src/errors/index.js';
import type { GatewayEventStream, GatewayUpstream } from '../../gateway/src/server/index.js';
import type { StreamTiming, UpstreamCall, UpstreamEvent, UpstreamResponse } from '../../gateway/src/upstream/index.js';

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

export class FakeUpstream implements GatewayUpstream {
  readonly calls: UpstreamCall[] = [];
  reply: object = converseReply('Hello from the fake upstream');
  /** Sent as the body instead of `reply` when set (for answers JSON.stringify cannot produce). */
  rawReply: string | undefined;
  sendError: GatewayError | undefined;
  script: FakeStreamScript = { events: streamEvents('one two three') };
  cancelled = 0;

  async send(call: UpstreamCall): Promise<UpstreamResponse> {
    this.calls.push(call);
    if (this.sendError) throw this.sendError;
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
    this.calls.push(call);
    if (this.sendError) throw this.sendError;
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
      if (script.failWith) throw script.failWith;
      timing.totalMs = 2;
    }
    const iterable = events();
    return { timing, cancel: onCancel, [Symbol.asyncIterator]: () => iterable };
  }

  async close(): Promise<void> {}
}
