/**
 * Pieces of the gateway's own per-request work, set up for the in-process benches and the `floor-fastify`
 * ballast: an API key known to a config snapshot, and the chat route's handling of one upstream read.
 */
import { createHash } from 'node:crypto';
import { buildSnapshot, type Snapshot } from '../../gateway/src/config/index.js';
import type { SseBatch } from '../../gateway/src/server/sse.js';
import type { ChatStreamTranslator } from '../../gateway/src/translate/chat/index.js';
import { TextDeltaEvent, type UpstreamEvent } from '../../gateway/src/upstream/index.js';

/** A config snapshot that knows one API key (no accounts or models), and the Authorization header that sends it. */
export function apiKeySnapshot(): { snapshot: Snapshot; authorization: string } {
  const token = `sk-aigw-bench-${'0123456789abcdef'.repeat(3)}`;
  const snapshot = buildSnapshot(
    {
      revision: 'bench',
      namespace: 'bench',
      accounts: [],
      models: [],
      apiKeys: [
        { sha256: createHash('sha256').update(token).digest('hex'), subject: 'user:bench', teams: [], source: 'b/k' },
      ],
    },
    { revision: 'bench', accounts: {} },
  );
  return { snapshot, authorization: `Bearer ${token}` };
}

/**
 * One upstream read's events into `pending`, as the chat route does: text deltas spliced as bytes while the
 * translator allows it, other events translated. Returns the number of chunks added.
 */
export function translateRead(
  events: readonly UpstreamEvent[],
  translator: ChatStreamTranslator,
  pending: SseBatch,
): number {
  let chunks = 0;
  for (const event of events) {
    if (event instanceof TextDeltaEvent && translator.splicesText) {
      if (event.start === event.end) continue;
      pending.text(event);
      chunks++;
    } else {
      const out = translator.pushEvent(event.type, event.payload);
      chunks += out.length;
      pending.events(out);
    }
  }
  return chunks;
}
