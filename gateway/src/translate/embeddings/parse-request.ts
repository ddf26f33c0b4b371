import { GatewayError, invalidType, invalidValue, missingParameter, unsupportedValue } from '../../errors/index.js';
import type { EmbeddingsRequest } from '../../wire/openai/index.js';

/** OpenAI accepts at most 2,048 inputs per request; we keep the same bound. */
export const MAX_EMBEDDING_INPUTS = 2048;

const INPUT_TYPES = ['search_document', 'search_query', 'classification', 'clustering'] as const;
const TRUNCATE = ['NONE', 'START', 'END'] as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], param: string): T {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw invalidValue(
    `Invalid value for '${param}': expected one of ${allowed.map((a) => `'${a}'`).join(', ')}.`,
    param,
  );
}

/**
 * Validates an OpenAI `/v1/embeddings` body into an {@link EmbeddingsRequest}.
 *
 * Token-id inputs (`number[]`, `number[][]`) are refused: Bedrock models tokenize text themselves and the
 * gateway has no way to turn OpenAI token ids back into text faithfully (a peer decoding them with the
 * cl100k tokenizer silently produced the wrong text). Empty strings are refused because Titan and Cohere
 * both reject them upstream with less helpful messages.
 */
export function parseEmbeddingsRequest(body: unknown): EmbeddingsRequest {
  if (!isRecord(body)) throw new GatewayError('invalid_request', 'The request body must be a JSON object.');
  const { model, input, encoding_format, dimensions, user, input_type, truncate } = body;
  if (model === undefined) throw missingParameter('model');
  if (typeof model !== 'string' || model.length === 0) throw invalidType('model', 'a non-empty string');
  if (input === undefined || input === null) throw missingParameter('input');

  let texts: string[];
  let singleInput = false;
  if (typeof input === 'string') {
    texts = [input];
    singleInput = true;
  } else if (Array.isArray(input)) {
    if (input.length === 0) throw invalidValue("'input' must not be an empty list.", 'input');
    if (input.length > MAX_EMBEDDING_INPUTS)
      throw invalidValue(`'input' may hold at most ${MAX_EMBEDDING_INPUTS} items; got ${input.length}.`, 'input');
    texts = input.map((item, i) => {
      if (typeof item === 'string') return item;
      if (typeof item === 'number' || Array.isArray(item)) throw tokenInput();
      throw invalidType(`input[${i}]`, 'a string');
    });
  } else {
    throw invalidType('input', 'a string or a list of strings');
  }
  texts.forEach((text, i) => {
    if (text.length === 0)
      throw invalidValue(
        `'input${singleInput ? '' : `[${i}]`}' is an empty string; Bedrock embedding models need at least one character.`,
        'input',
      );
  });

  const request: EmbeddingsRequest = {
    model,
    input: texts,
    singleInput,
    encodingFormat:
      encoding_format === undefined || encoding_format === null
        ? 'float'
        : oneOf(encoding_format, ['float', 'base64'], 'encoding_format'),
  };
  if (dimensions !== undefined && dimensions !== null) {
    if (typeof dimensions !== 'number' || !Number.isInteger(dimensions) || dimensions < 1)
      throw invalidType('dimensions', 'a positive integer');
    request.dimensions = dimensions;
  }
  // An explicit null means "not given", as for dimensions and the image fields: clients that serialise
  // every optional field (None in Python, null in JSON) send it, and OpenAI treats it as absent.
  if (user !== undefined && user !== null) {
    if (typeof user !== 'string') throw invalidType('user', 'a string');
    request.user = user;
  }
  if (input_type !== undefined && input_type !== null) request.inputType = oneOf(input_type, INPUT_TYPES, 'input_type');
  if (truncate !== undefined && truncate !== null) request.truncate = oneOf(truncate, TRUNCATE, 'truncate');
  if (body.normalize !== undefined && body.normalize !== null) {
    if (typeof body.normalize !== 'boolean') throw invalidType('normalize', 'a boolean');
    request.normalize = body.normalize;
  }
  return request;
}

function tokenInput(): GatewayError {
  return unsupportedValue(
    'input',
    'token-id arrays are not supported for Bedrock embedding models; send the text as a string or a list of strings.',
  );
}
