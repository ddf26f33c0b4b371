/**
 * Converts the lines of an input file into Bedrock's record JSONL and the record map, line by line with
 * the batch translators: one pass, nothing buffered beyond the current line and the writers' queues, CPU
 * work in bounded slices so other requests are served while a large file converts.
 */
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { ServedModel } from '../config/index.js';
import { GatewayError } from '../errors/index.js';
import { getCapabilities, parseModelId } from '../models/index.js';
import {
  type BatchTranslationContext,
  MAX_RECORD_INDEX,
  modelOfBatchLine,
  parseBatchInputLine,
  toBatchRecord,
} from '../translate/batch/index.js';
import { embeddingModelKind } from '../translate/embeddings/index.js';
import type { BatchEndpoint } from '../wire/openai/index.js';
import type { StreamLine } from './lines.js';

/** Where converted lines go; each returns a promise when the caller must wait (backpressure). */
export interface ConvertSinks {
  record(line: string): void | Promise<void>;
  map(line: string): void | Promise<void>;
}

export interface ConvertOptions {
  endpoint: BatchEndpoint;
  /** The batch's model (`model` in the create body), if named there. */
  model?: string | undefined;
  /** Authorises a model name for the caller and the endpoint (403/404/400 as the online routes). */
  resolveModel(name: string): ServedModel;
  minRecords: number;
  maxRecords: number;
  sliceMs: number;
}

export interface ConvertResult {
  route: ServedModel;
  records: number;
}

/**
 * Reads every line, refusing the batch at the first line that cannot run (with its number): a mixed
 * model, a bad field, a duplicate `custom_id`, too many lines; then fewer than `minRecords` records.
 */
export async function convertBatchLines(
  lines: AsyncIterable<StreamLine>,
  sinks: ConvertSinks,
  options: ConvertOptions,
): Promise<ConvertResult> {
  let ctx: (BatchTranslationContext & { route: ServedModel }) | undefined =
    options.model === undefined ? undefined : contextFor(options.resolveModel(options.model), options.endpoint);
  // custom_id uniqueness with 128 bits of SHA-256 per id instead of the id itself: ids may be long.
  const seen = new Set<string>();
  let count = 0;
  let sliceStart = performance.now();
  for await (const line of lines) {
    if (line.text.trim() === '') continue;
    const parsed = parseBatchInputLine(line.text, line.lineNumber, options.endpoint);
    if (ctx === undefined) {
      const named = modelOfBatchLine(parsed);
      if (named === undefined)
        throw new GatewayError(
          'missing_required_parameter',
          `Line ${line.lineNumber} of the input file names no model and neither does the batch: send 'model' in the create body or in every line.`,
          { param: 'model' },
        );
      ctx = contextFor(options.resolveModel(named), options.endpoint);
    }
    if (count >= options.maxRecords || count > MAX_RECORD_INDEX)
      throw new GatewayError(
        'invalid_request',
        `The input file has more than ${options.maxRecords} requests, the most one batch may hold; split it into several batches.`,
        { param: 'input_file_id' },
      );
    const digest = createHash('sha256').update(parsed.custom_id).digest('base64').slice(0, 22);
    if (seen.has(digest))
      throw new GatewayError(
        'invalid_value',
        `Line ${line.lineNumber} of the input file repeats the custom_id '${parsed.custom_id.slice(0, 64)}'; every custom_id must be unique.`,
        { param: 'custom_id' },
      );
    seen.add(digest);
    const { record, entry } = toBatchRecord(parsed, line.lineNumber, count, ctx);
    count += 1;
    const a = sinks.record(JSON.stringify(record));
    if (a) await a;
    const b = sinks.map(JSON.stringify(entry));
    if (b) await b;
    if (performance.now() - sliceStart >= options.sliceMs) {
      await yieldToLoop();
      sliceStart = performance.now();
    }
  }
  if (ctx === undefined || count === 0)
    throw new GatewayError('invalid_request', 'The input file has no requests.', { param: 'input_file_id' });
  if (count < options.minRecords)
    throw new GatewayError(
      'invalid_request',
      `The input file has ${count} request${count === 1 ? '' : 's'}; a Bedrock batch job needs at least ${options.minRecords} (a Bedrock service quota). Add requests, or send them to ${options.endpoint} directly.`,
      { param: 'input_file_id' },
    );
  return { route: ctx.route, records: count };
}

function contextFor(route: ServedModel, endpoint: BatchEndpoint): BatchTranslationContext & { route: ServedModel } {
  const embeddingKind =
    endpoint === '/v1/embeddings'
      ? embeddingModelKind(parseModelId(route.model.modelId)?.foundationModelId)
      : undefined;
  if (endpoint === '/v1/embeddings' && embeddingKind === undefined)
    throw new GatewayError(
      'invalid_value',
      `The model '${route.model.servedName}' (${route.model.modelId}) has no embeddings translation in this gateway.`,
      { param: 'model' },
    );
  return {
    route,
    endpoint,
    servedName: route.model.servedName,
    model: route.model,
    capabilities: getCapabilities(route.model),
    embeddingKind,
  };
}
