/**
 * Record ids and the record map of a batch job (bedrock-wire.md §7.1).
 *
 * Bedrock wants alphanumeric `recordId`s (older documentation: exactly 11 characters), and its output
 * order is not guaranteed, so each record is named after its position in the input file: `R` and ten
 * digits. The position can be read back from any output line without a lookup table, and the map
 * object written next to the records holds, line for line in input order, what the response side
 * needs: the caller's `custom_id` and how the request was translated.
 */
import type { StructuredOutputMode } from '../chat/index.js';

const RECORD_ID_DIGITS = 10;
/** Largest record index a record id can carry (10 digits; Bedrock's per-job quotas are far below it). */
export const MAX_RECORD_INDEX = 10 ** RECORD_ID_DIGITS - 1;
const RECORD_ID_RE = /^R(\d{10})$/;

/** The record id of the record at `index` (0-based input position): `R0000000000`, `R0000000001`, … */
export function recordIdOf(index: number): string {
  return `R${String(index).padStart(RECORD_ID_DIGITS, '0')}`;
}

/** The 0-based input position of a record id made by {@link recordIdOf}; undefined for any other string. */
export function indexOfRecordId(recordId: unknown): number | undefined {
  if (typeof recordId !== 'string') return undefined;
  const match = RECORD_ID_RE.exec(recordId);
  return match ? Number(match[1]) : undefined;
}

/** One line of the map object: what turning record `i`'s output back into OpenAI's form needs. */
export interface BatchMapEntry {
  /** The caller's `custom_id` of the input line. */
  custom_id: string;
  /** Chat: how `response_format` was honoured (the response translator unwraps a forced tool). */
  structured_output?: StructuredOutputMode;
  /** Embeddings: `base64` when the line asked for it (float is the default). */
  encoding_format?: 'base64';
}
