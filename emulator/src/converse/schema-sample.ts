/**
 * Deterministic sample values from a JSON schema, used for forced tool calls and native structured output
 * (docs/emulator.md, "Values generated from a schema").
 */

import type { JsonObject } from './types.js';

/** Caps on generated sizes: 262,144 characters (64,000 tokens, the largest output limit, at 4 characters a token) and 1,024 array items. */
export const MAX_SAMPLE_STRING = 262_144;
export const MAX_SAMPLE_ITEMS = 1_024;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function resolveRef(ref: string, root: JsonObject): JsonObject {
  // Local references only: `#/$defs/x` or `#/definitions/x`.
  const parts = ref.replace(/^#\//, '').split('/');
  let node: unknown = root;
  for (const part of parts) node = isObject(node) ? node[part] : undefined;
  return isObject(node) ? node : {};
}

/**
 * A value that satisfies `schema`: `const`, else `default`, else the first `enum` member, else by type —
 * string `"sample"` (or `"<property name>"` for object properties; format `date-time` / `date` / `email` /
 * `uri` / `uuid` get a valid example), integer `max(minimum, 1)`, number `max(minimum, 1.5)`, boolean
 * `true`, null `null`, arrays of `max(minItems, 1)` items, objects with every property.
 */
export function sampleFromSchema(
  schema: unknown,
  root: JsonObject = isObject(schema) ? schema : {},
  name = 'sample',
  depth = 0,
): unknown {
  if (!isObject(schema) || depth > 8) return null;
  if (typeof schema.$ref === 'string') return sampleFromSchema(resolveRef(schema.$ref, root), root, name, depth + 1);
  if ('const' in schema) return schema.const;
  if ('default' in schema) return schema.default;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    const list = schema[key];
    if (Array.isArray(list) && list.length > 0) {
      const pick = list.find((s) => !(isObject(s) && s.type === 'null')) ?? list[0];
      return sampleFromSchema(pick, root, name, depth + 1);
    }
  }
  let type = schema.type;
  if (Array.isArray(type)) type = type.find((t) => t !== 'null') ?? type[0];
  if (type === undefined)
    type = isObject(schema.properties) ? 'object' : schema.items !== undefined ? 'array' : 'string';
  switch (type) {
    case 'object': {
      const out: JsonObject = {};
      const props = isObject(schema.properties) ? schema.properties : {};
      for (const [key, sub] of Object.entries(props)) out[key] = sampleFromSchema(sub, root, key, depth + 1);
      return out;
    }
    case 'array': {
      // Bounded: no model writes more than its output limit, and an absurd minItems must not exhaust memory.
      const count = Math.min(Math.max(typeof schema.minItems === 'number' ? schema.minItems : 1, 1), MAX_SAMPLE_ITEMS);
      return Array.from({ length: count }, () => sampleFromSchema(schema.items, root, name, depth + 1));
    }
    case 'integer':
      return Math.max(typeof schema.minimum === 'number' ? Math.ceil(schema.minimum) : 1, 1);
    case 'number':
      return Math.max(typeof schema.minimum === 'number' ? schema.minimum : 1.5, 1.5);
    case 'boolean':
      return true;
    case 'null':
      return null;
    default: {
      switch (schema.format) {
        case 'date-time':
          return '2025-01-01T00:00:00Z';
        case 'date':
          return '2025-01-01';
        case 'email':
          return 'user@example.com';
        case 'uri':
          return 'https://example.com/';
        case 'uuid':
          return '00000000-0000-4000-8000-000000000000';
      }
      const min = typeof schema.minLength === 'number' ? schema.minLength : 0;
      return name.padEnd(Math.min(min, MAX_SAMPLE_STRING), 'x');
    }
  }
}
