/**
 * One batch record through the emulator's own runtime logic: `modelInput` is validated and answered exactly
 * as the online Converse or InvokeModel call would be, so a record Bedrock would refuse online fails here
 * too, as a per-record `error` in the output file (bedrock-wire.md §7.2).
 */

import { parseJsonBody } from '../call.js';
import type { CatalogModel } from '../catalog.js';
import { generateConverseOutput } from '../converse/generate.js';
import { validateConverseRequest } from '../converse/validate.js';
import { BedrockException } from '../errors.js';
import { invokeHandlerFor } from '../invoke/index.js';
import { converseResponseBody } from '../runtime.js';
import type { EmulatorState } from '../state.js';
import type { InvocationType } from './types.js';

/** One output line and what it counts for in the manifest. */
export interface RecordResult {
  readonly line: Record<string, unknown>;
  readonly ok: boolean;
  readonly inputTokens: number;
  readonly outputTokens: number;
}

const MALFORMED = 'Malformed input request, please reformat your input and try again.';

/** The recordId Bedrock would generate for a record without one (the documentation's `CALL0000001` form). */
export function generatedRecordId(index: number): string {
  return `CALL${String(index + 1).padStart(7, '0')}`;
}

function errorLine(recordId: string, modelInput: unknown, status: number, message: string): RecordResult {
  const line: Record<string, unknown> = { recordId };
  if (modelInput !== undefined) line.modelInput = modelInput;
  line.error = { errorCode: status, errorMessage: message };
  return { line, ok: false, inputTokens: 0, outputTokens: 0 };
}

/** Runs one JSONL line (`{"recordId", "modelInput"}`) of a job; `index` is its position in the job. */
export function runRecord(input: {
  state: EmulatorState;
  model: CatalogModel;
  modelId: string;
  invocationType: InvocationType;
  text: string;
  index: number;
  /** The job's account and region (its ARN): records use that prompt cache. */
  where: { accountId: string; region: string };
}): RecordResult {
  const { state, model, invocationType, text, index, where } = input;
  let record: unknown;
  try {
    // The online parser: malformed or too deeply nested JSON is refused as the runtime refuses it.
    record = parseJsonBody(Buffer.from(text));
  } catch {
    return errorLine(generatedRecordId(index), undefined, 400, MALFORMED);
  }
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    return errorLine(generatedRecordId(index), undefined, 400, MALFORMED);
  }
  const { recordId: rawId, modelInput } = record as { recordId?: unknown; modelInput?: unknown };
  const recordId = typeof rawId === 'string' && rawId !== '' ? rawId : generatedRecordId(index);
  if (typeof modelInput !== 'object' || modelInput === null || Array.isArray(modelInput)) {
    return errorLine(recordId, modelInput, 400, MALFORMED);
  }
  const started = performance.now();
  try {
    if (invocationType === 'Converse') {
      const request = validateConverseRequest(modelInput, model, {
        stream: false,
        signatureSecret: state.signatureSecret,
      });
      const output = generateConverseOutput(state, model, request, where);
      const latency = Math.max(1, Math.round(performance.now() - started));
      return {
        line: { recordId, modelInput, modelOutput: converseResponseBody(output, latency) },
        ok: true,
        inputTokens: output.usage.inputTokens,
        outputTokens: output.usage.outputTokens,
      };
    }
    const result = invokeHandlerFor(model)(modelInput, {
      modelId: input.modelId,
      foundationModelId: model.id,
      family: model.family,
      accept: 'application/json',
      model,
      state,
      where,
    });
    return {
      line: { recordId, modelInput, modelOutput: result.body },
      ok: true,
      inputTokens: result.inputTokens ?? 0,
      outputTokens: result.outputTokens ?? 0,
    };
  } catch (error) {
    if (error instanceof BedrockException) return errorLine(recordId, modelInput, error.status, error.message);
    return errorLine(
      recordId,
      modelInput,
      500,
      'The system encountered an unexpected error during processing. Try your request again.',
    );
  }
}
