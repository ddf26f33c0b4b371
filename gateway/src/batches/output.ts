/**
 * The content of a batch's output and error files: Bedrock's output records converted back to OpenAI
 * lines (translate/batch), in input order.
 *
 * Bedrock does not keep input order (bedrock-wire.md §7.1), so this is a streaming join of the record
 * map (read in order, one entry at a time) with the `.jsonl.out` file (read once, front to back).
 * Memory is bounded: a record that arrives before its turn waits in a reorder buffer of at most
 * `reorderBufferBytes`; past that only its byte offset and length are kept (two numbers per record) and
 * it is read back by a ranged GET when its turn comes. Records Bedrock never wrote (the job expired, was
 * stopped or failed first) become error lines with OpenAI's `batch_expired` / `batch_cancelled` /
 * `batch_failed` codes.
 */
import { GatewayError } from '../errors/index.js';
import {
  type BatchMapEntry,
  type BatchOutputContext,
  fromBatchOutputRecord,
  indexOfRecordId,
  type MissingRecordReason,
  missingRecordLine,
} from '../translate/batch/index.js';
import type { BatchOutputRecord } from '../wire/bedrock/index.js';
import type { StreamLine } from './lines.js';

/** Where the join reads from (S3 in the service; arrays in tests). */
export interface JoinSources {
  /** map.jsonl, in input order. */
  mapLines(): AsyncIterable<StreamLine>;
  /** Bedrock's `.jsonl.out`; undefined when Bedrock wrote none. */
  outputLines(): Promise<AsyncIterable<StreamLine> | undefined>;
  /** Bytes `[offset, offset + length)` of the `.jsonl.out` file, as text. */
  readRange(offset: number, length: number): Promise<string>;
}

export interface JoinOptions {
  /** `output`: the successful lines; `error`: the failed and never-run ones. */
  want: 'output' | 'error';
  /** Requests in the batch. */
  total: number;
  ctx: BatchOutputContext;
  /** Why a record without output has none (from the job's final status). */
  missingReason: MissingRecordReason;
  reorderBufferBytes: number;
}

type Held =
  | { kind: 'record'; record: BatchOutputRecord; bytes: number }
  | { kind: 'spilled'; offset: number; length: number };

function parseRecord(text: string): BatchOutputRecord | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    const { recordId, modelOutput, error } = value as BatchOutputRecord;
    // modelInput is dropped at once: it is the bulk of the line and the response side never needs it.
    const out: BatchOutputRecord = { recordId };
    if (modelOutput !== undefined) out.modelOutput = modelOutput;
    if (error !== undefined) out.error = error;
    return out;
  } catch {
    return undefined;
  }
}

/**
 * The file's lines (each ending in `\n`), in input order. Chunks of about 64 KiB are yielded so a
 * consumer's backpressure pauses the join.
 */
export async function* joinBatchOutput(sources: JoinSources, options: JoinOptions): AsyncGenerator<string> {
  const map = sources.mapLines()[Symbol.asyncIterator]();
  const held = new Map<number, Held>();
  let heldBytes = 0;
  let next = 0;
  let pending = '';

  const nextEntry = async (): Promise<BatchMapEntry> => {
    for (;;) {
      const step = await map.next();
      if (step.done) throw new GatewayError('upstream_error', 'The batch record map ended before the last record.');
      if (step.value.text.trim() === '') continue;
      return JSON.parse(step.value.text) as BatchMapEntry;
    }
  };
  const emit = (entry: BatchMapEntry, index: number, record: BatchOutputRecord | undefined): void => {
    if (record === undefined) {
      if (options.want === 'error')
        pending += `${JSON.stringify(missingRecordLine(entry, index, options.ctx, options.missingReason))}\n`;
      return;
    }
    const converted = fromBatchOutputRecord(record, entry, index, options.ctx);
    if (converted.kind === options.want) pending += `${JSON.stringify(converted.line)}\n`;
  };
  const release = async (index: number): Promise<BatchOutputRecord | undefined> => {
    const h = held.get(index);
    if (h === undefined) return undefined;
    held.delete(index);
    if (h.kind === 'record') {
      heldBytes -= h.bytes;
      return h.record;
    }
    return parseRecord(await sources.readRange(h.offset, h.length));
  };

  const out = await sources.outputLines();
  if (out) {
    for await (const line of out) {
      if (line.text.trim() === '') continue;
      const record = parseRecord(line.text);
      const index = record === undefined ? undefined : indexOfRecordId(record.recordId);
      // Lines the gateway did not write (unknown ids) and repeats are skipped.
      if (record === undefined || index === undefined || index >= options.total || index < next || held.has(index))
        continue;
      if (index === next) {
        emit(await nextEntry(), next, record);
        next += 1;
        while (held.has(next)) {
          emit(await nextEntry(), next, await release(next));
          next += 1;
        }
        if (pending.length >= 65_536) {
          yield pending;
          pending = '';
        }
        continue;
      }
      if (heldBytes + line.length <= options.reorderBufferBytes) {
        held.set(index, { kind: 'record', record, bytes: line.length });
        heldBytes += line.length;
      } else {
        held.set(index, { kind: 'spilled', offset: line.offset, length: line.length });
      }
    }
  }
  while (next < options.total) {
    emit(await nextEntry(), next, await release(next));
    next += 1;
    if (pending.length >= 65_536) {
      yield pending;
      pending = '';
    }
  }
  if (pending.length > 0) yield pending;
}
