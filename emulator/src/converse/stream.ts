/**
 * ConverseStream event sequence in real Bedrock order (bedrock-wire.md §4): messageStart; per block
 * (text and reasoning start directly with deltas, toolUse gets contentBlockStart) deltas then
 * contentBlockStop; messageStop; metadata last.
 */

import type { ConverseOutput, OutputBlock } from './generate.js';

/** One ConverseStream event: union member name and payload. */
export interface StreamEvent {
  readonly type: string;
  readonly payload: Record<string, unknown>;
  /** Content deltas are paced by the inter-token delay. */
  readonly isDelta: boolean;
}

/** Splits text into chunks of two words (with their trailing whitespace) so deltas arrive in pieces. */
export function splitText(text: string): string[] {
  const words = text.match(/\s*\S+\s*/g) ?? [text];
  const chunks: string[] = [];
  for (let i = 0; i < words.length; i += 2) chunks.push(words.slice(i, i + 2).join(''));
  return chunks.length > 0 ? chunks : [text];
}

/** Splits a JSON string into up to three fragments (clients must concatenate `toolUse.input` deltas). */
export function splitJson(json: string): string[] {
  if (json.length < 3) return [json];
  const a = Math.floor(json.length / 3);
  const b = Math.floor((2 * json.length) / 3);
  return [json.slice(0, a), json.slice(a, b), json.slice(b)];
}

function blockEvents(block: OutputBlock, index: number): StreamEvent[] {
  const events: StreamEvent[] = [];
  const delta = (d: Record<string, unknown>): StreamEvent => ({
    type: 'contentBlockDelta',
    payload: { contentBlockIndex: index, delta: d },
    isDelta: true,
  });
  if ('text' in block) {
    for (const chunk of splitText(block.text)) events.push(delta({ text: chunk }));
  } else if ('toolUse' in block) {
    const { toolUseId, name, input } = block.toolUse;
    events.push({
      type: 'contentBlockStart',
      payload: { contentBlockIndex: index, start: { toolUse: { toolUseId, name } } },
      isDelta: false,
    });
    for (const fragment of splitJson(JSON.stringify(input))) events.push(delta({ toolUse: { input: fragment } }));
  } else if ('redactedContent' in block.reasoningContent) {
    events.push(delta({ reasoningContent: { redactedContent: block.reasoningContent.redactedContent } }));
  } else {
    const { text, signature } = block.reasoningContent.reasoningText;
    for (const chunk of splitText(text)) events.push(delta({ reasoningContent: { text: chunk } }));
    if (signature !== undefined) events.push(delta({ reasoningContent: { signature } }));
  }
  events.push({ type: 'contentBlockStop', payload: { contentBlockIndex: index }, isDelta: false });
  return events;
}

/** The full event sequence of a ConverseStream reply. */
export function converseStreamEvents(output: ConverseOutput, latencyMs: () => number): StreamEvent[] {
  const events: StreamEvent[] = [{ type: 'messageStart', payload: { role: 'assistant' }, isDelta: false }];
  output.content.forEach((block, index) => {
    events.push(...blockEvents(block, index));
  });
  const stop: Record<string, unknown> = { stopReason: output.stopReason };
  if (output.additionalModelResponseFields) stop.additionalModelResponseFields = output.additionalModelResponseFields;
  events.push({ type: 'messageStop', payload: stop, isDelta: false });
  // latencyMs is read when the metadata event is built, at the end of the stream.
  events.push({
    type: 'metadata',
    get payload() {
      return {
        usage: output.usage,
        metrics: { latencyMs: latencyMs() },
        // The metadata event carries the same performanceConfig / serviceTier members as Converse.
        ...(output.performanceConfig ? { performanceConfig: output.performanceConfig } : {}),
        ...(output.serviceTier ? { serviceTier: output.serviceTier } : {}),
      };
    },
    isDelta: false,
  });
  return events;
}
