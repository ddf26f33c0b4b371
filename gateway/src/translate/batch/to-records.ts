/**
 * OpenAI batch input line → Bedrock batch record (bedrock-wire.md §7.1), with the same translators as the
 * online path: chat lines go through `parseChatCompletionRequest` + `toConverseRequest` and become Converse
 * request bodies (the job runs with `modelInvocationType: Converse`); embedding lines go through
 * `parseEmbeddingsRequest` + the model's InvokeModel body builder. Pure and synchronous.
 *
 * Every refusal names the line (1-based, as editors count) so the caller can fix the file; the batch is
 * refused before any job exists.
 */
import type { CompiledModel } from '../../config/index.js';
import { GatewayError, isGatewayError } from '../../errors/index.js';
import type { ModelCapabilities } from '../../models/index.js';
import type { BatchInputRecord } from '../../wire/bedrock/index.js';
import type { JsonObject } from '../../wire/json.js';
import type { BatchEndpoint, BatchInputLine } from '../../wire/openai/index.js';
import { parseChatCompletionRequest, toConverseRequest } from '../chat/index.js';
import {
  COHERE_MAX_TEXTS_PER_CALL,
  type EmbeddingModelKind,
  parseEmbeddingsRequest,
  toCohereEmbedRequests,
  toTitanEmbedRequests,
} from '../embeddings/index.js';
import { type BatchMapEntry, recordIdOf } from './records.js';

/** The endpoints a batch line may name. */
export const BATCH_ENDPOINTS: readonly BatchEndpoint[] = ['/v1/chat/completions', '/v1/embeddings'];

/** OpenAI's bound on `custom_id`; longer ids are refused rather than stored. */
export const MAX_CUSTOM_ID_LENGTH = 512;

/** Caller text quoted in a message: printable and bounded. */
function shown(text: string): string {
  const clean = text.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 200 ? `${clean.slice(0, 200)}...` : clean;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A 400 about line `lineNumber` of the input file, keeping the inner error's code and parameter. */
export function lineError(lineNumber: number, err: unknown): GatewayError {
  if (isGatewayError(err)) {
    const param = err.param === null ? null : err.param.startsWith('body.') ? err.param : `body.${err.param}`;
    return new GatewayError(err.code, `Line ${lineNumber} of the input file: ${err.message}`, { param });
  }
  return new GatewayError('invalid_request', `Line ${lineNumber} of the input file could not be translated.`);
}

function refuse(lineNumber: number, message: string, param: string | null): GatewayError {
  return new GatewayError('invalid_value', `Line ${lineNumber} of the input file: ${message}`, { param });
}

/**
 * Parses and checks one line of an input file: `custom_id` (non-empty string), `method` POST, `url` the
 * batch's endpoint (OpenAI requires every line to match it), `body` an object.
 */
export function parseBatchInputLine(text: string, lineNumber: number, endpoint: BatchEndpoint): BatchInputLine {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new GatewayError('invalid_json', `Line ${lineNumber} of the input file is not valid JSON.`);
  }
  if (!isObject(value)) throw refuse(lineNumber, 'a line must be a JSON object.', null);
  const { custom_id, method, url, body } = value;
  if (typeof custom_id !== 'string' || custom_id.length === 0)
    throw refuse(lineNumber, "'custom_id' must be a non-empty string.", 'custom_id');
  if (custom_id.length > MAX_CUSTOM_ID_LENGTH)
    throw refuse(lineNumber, `'custom_id' is longer than ${MAX_CUSTOM_ID_LENGTH} characters.`, 'custom_id');
  if (method !== 'POST') throw refuse(lineNumber, '\'method\' must be "POST".', 'method');
  if (url !== endpoint)
    throw refuse(
      lineNumber,
      `'url' is ${shown(JSON.stringify(url) ?? 'missing')} but the batch's endpoint is ${endpoint}; every line must use the batch's endpoint.`,
      'url',
    );
  if (!isObject(body)) throw refuse(lineNumber, "'body' must be a JSON object.", 'body');
  return { custom_id, method, url: endpoint, body: body as JsonObject };
}

/** The model a line's body names, if any (a batch may name its model once instead). */
export function modelOfBatchLine(line: BatchInputLine): string | undefined {
  const model = line.body.model;
  return typeof model === 'string' && model.length > 0 ? model : undefined;
}

/** What translating the lines of one batch needs; one value serves every line. */
export interface BatchTranslationContext {
  endpoint: BatchEndpoint;
  /** The served name of the batch's model (`<account>/<model>`). */
  servedName: string;
  model: CompiledModel;
  /** Chat batches. */
  capabilities: ModelCapabilities;
  /** Embedding batches: the body dialect of the model. */
  embeddingKind?: EmbeddingModelKind | undefined;
}

/** A translated line: the Bedrock record and its map entry. */
export interface TranslatedBatchLine {
  record: BatchInputRecord;
  entry: BatchMapEntry;
}

/**
 * Translates one parsed line into the record at position `index`.
 *
 * - A line naming another model than the batch's is refused (one Bedrock job runs one model).
 * - Chat: `stream: true` is refused (a batch answers whole completions); `http(s)` image URLs are refused
 *   by the chat translator as on the online path without a media fetcher (send `data:` URLs).
 * - Embeddings: Titan embeds one text per InvokeModel body and Cohere at most 96, and one record is one
 *   body, so a line with more texts than that is refused with its line number (split it into lines):
 *   expanding a line into several records would make one OpenAI request several Bedrock records whose
 *   counts, errors and order the Batch object could no longer report one for one.
 *
 * @throws GatewayError naming the line.
 */
export function toBatchRecord(
  line: BatchInputLine,
  lineNumber: number,
  index: number,
  ctx: BatchTranslationContext,
): TranslatedBatchLine {
  const named = modelOfBatchLine(line);
  if (named !== undefined && named !== ctx.servedName)
    throw new GatewayError(
      'invalid_value',
      `Line ${lineNumber} of the input file names the model '${shown(named)}' but the batch runs '${ctx.servedName}'; one Bedrock batch job serves one model, so every line must name the batch's model or none.`,
      { param: 'body.model' },
    );
  const body = named === undefined ? { ...line.body, model: ctx.servedName } : line.body;
  const recordId = recordIdOf(index);
  try {
    if (ctx.endpoint === '/v1/chat/completions') {
      if (body.stream === true)
        throw new GatewayError('unsupported_value', "Unsupported value for 'stream': batch requests cannot stream.", {
          param: 'stream',
        });
      const request = parseChatCompletionRequest(body);
      const plan = toConverseRequest(request, { model: ctx.model, capabilities: ctx.capabilities });
      const entry: BatchMapEntry = { custom_id: line.custom_id };
      if (plan.structuredOutput) entry.structured_output = plan.structuredOutput;
      return { record: { recordId, modelInput: plan.body as unknown as JsonObject }, entry };
    }
    const request = parseEmbeddingsRequest(body);
    const kind = ctx.embeddingKind;
    if (kind === undefined)
      throw new GatewayError('invalid_value', `The model '${ctx.servedName}' has no embeddings translation.`, {
        param: 'model',
      });
    const perRecord = kind === 'cohere-v3' ? COHERE_MAX_TEXTS_PER_CALL : 1;
    if (request.input.length > perRecord)
      throw new GatewayError(
        'invalid_value',
        kind === 'cohere-v3'
          ? `'input' has ${request.input.length} texts; a Cohere Embed batch record holds at most ${perRecord}. Split the line into several lines.`
          : `'input' has ${request.input.length} texts; Titan Text Embeddings embeds one text per batch record. Send one line per text.`,
        { param: 'input' },
      );
    const [modelInput] =
      kind === 'cohere-v3' ? toCohereEmbedRequests(request) : toTitanEmbedRequests(request, { kind });
    const entry: BatchMapEntry = { custom_id: line.custom_id };
    if (request.encodingFormat === 'base64') entry.encoding_format = 'base64';
    return { record: { recordId, modelInput: modelInput as unknown as JsonObject }, entry };
  } catch (err) {
    throw lineError(lineNumber, err);
  }
}
