/**
 * Schema checks for native InvokeModel bodies, with the messages Bedrock's model front ends use: they
 * validate bodies against a JSON schema and answer `Malformed input request: #/path: reason, please
 * reformat your input and try again.` as a ValidationException.
 */
import { createHash } from 'node:crypto';
import { validationException } from '../errors.js';

export type Json = Record<string, unknown>;

/** Throws Bedrock's schema-violation ValidationException. */
export function malformed(path: string, reason: string): never {
  throw validationException(`Malformed input request: ${path}: ${reason}, please reformat your input and try again.`);
}

function typeName(value: unknown): string {
  if (value === null) return 'Null';
  if (Array.isArray(value)) return 'JSONArray';
  if (typeof value === 'object') return 'JSONObject';
  if (typeof value === 'number') return Number.isInteger(value) ? 'Integer' : 'BigDecimal';
  if (typeof value === 'string') return 'String';
  return 'Boolean';
}

export function object(value: unknown, path: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    malformed(path, `expected type: JSONObject, found: ${typeName(value)}`);
  return value as Json;
}

/** Rejects keys outside `allowed` and requires `required`. */
export function keys(obj: Json, path: string, allowed: readonly string[], required: readonly string[] = []): void {
  for (const k of Object.keys(obj)) if (!allowed.includes(k)) malformed(path, `extraneous key [${k}] is not permitted`);
  for (const k of required) if (obj[k] === undefined) malformed(path, `required key [${k}] not found`);
}

export function string(value: unknown, path: string, minLength = 0, maxLength = Number.POSITIVE_INFINITY): string {
  if (typeof value !== 'string') malformed(path, `expected type: String, found: ${typeName(value)}`);
  if (value.length < minLength) malformed(path, `expected minLength: ${minLength}, actual: ${value.length}`);
  if (value.length > maxLength) malformed(path, `expected maxLength: ${maxLength}, actual: ${value.length}`);
  return value;
}

export function integer(value: unknown, path: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value))
    malformed(path, `expected type: Integer, found: ${typeName(value)}`);
  if (value < min) malformed(path, `${value} is not greater or equal to ${min}`);
  if (value > max) malformed(path, `${value} is not less or equal to ${max}`);
  return value;
}

export function number(value: unknown, path: string, min: number, max: number): number {
  if (typeof value !== 'number') malformed(path, `expected type: Number, found: ${typeName(value)}`);
  if (value < min) malformed(path, `${value} is not greater or equal to ${min}`);
  if (value > max) malformed(path, `${value} is not less or equal to ${max}`);
  return value;
}

export function boolean(value: unknown, path: string): boolean {
  if (typeof value !== 'boolean') malformed(path, `expected type: Boolean, found: ${typeName(value)}`);
  return value;
}

export function oneOf<T extends string | number>(value: unknown, path: string, allowed: readonly T[]): T {
  if (!(allowed as readonly unknown[]).includes(value))
    malformed(path, `${JSON.stringify(value)} is not a valid enum value`);
  return value as T;
}

export function array(value: unknown, path: string, minItems: number, maxItems: number): unknown[] {
  if (!Array.isArray(value)) malformed(path, `expected type: JSONArray, found: ${typeName(value)}`);
  if (value.length < minItems) malformed(path, `expected minimum item count: ${minItems}, found: ${value.length}`);
  if (value.length > maxItems) malformed(path, `expected maximum item count: ${maxItems}, found: ${value.length}`);
  return value;
}

/** Deterministic bytes from any inputs: equal inputs give equal outputs, across runs and machines. */
export function digest(...parts: ReadonlyArray<string | number>): Buffer {
  const h = createHash('sha256');
  for (const p of parts) h.update(`${String(p)}\u0000`);
  return h.digest();
}

/** A small seeded PRNG (mulberry32) so vectors of any length derive from one digest. */
export function prng(seed: Buffer): () => number {
  let a = seed.readUInt32LE(0);
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A deterministic vector in [-1, 1), unit length when `normalize`. */
export function vectorFor(text: string, dims: number, normalize: boolean, salt: string): number[] {
  const next = prng(digest(salt, text));
  const v = new Array<number>(dims);
  let norm = 0;
  for (let i = 0; i < dims; i++) {
    const x = next() * 2 - 1;
    v[i] = x;
    norm += x * x;
  }
  if (normalize) {
    const n = Math.sqrt(norm);
    for (let i = 0; i < dims; i++) v[i] = (v[i] as number) / n;
  }
  // Float32 precision, as Bedrock serialises the vectors.
  for (let i = 0; i < dims; i++) v[i] = Math.fround(v[i] as number);
  return v;
}

/** `[[name]]` / `[[name:arg]]` directives in a prompt (docs/embeddings-and-images.md, "Emulator directives"). */
export function directive(text: string | undefined, name: string): string | undefined {
  if (!text) return undefined;
  const m = new RegExp(`\\[\\[${name}(?::([^\\]]*))?\\]\\]`).exec(text);
  return m ? (m[1] ?? '') : undefined;
}
