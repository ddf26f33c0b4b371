import { describe, expect, it } from 'vitest';
import { sampleFromSchema } from './schema-sample.js';

describe('values generated from a JSON schema', () => {
  it('follows const, default, enum and types', () => {
    expect(
      sampleFromSchema({
        type: 'object',
        properties: {
          fixed: { const: 'x' },
          withDefault: { type: 'integer', default: 7 },
          choice: { enum: ['b', 'a'] },
          count: { type: 'integer', minimum: 5 },
          ratio: { type: 'number' },
          flag: { type: 'boolean' },
          nothing: { type: 'null' },
          code: { type: 'string', minLength: 8 },
        },
      }),
    ).toEqual({
      fixed: 'x',
      withDefault: 7,
      choice: 'b',
      count: 5,
      ratio: 1.5,
      flag: true,
      nothing: null,
      code: 'codexxxx',
    });
  });

  it('resolves local $refs, picks the first non-null alternative and fills arrays to minItems', () => {
    expect(
      sampleFromSchema({
        type: 'object',
        $defs: { point: { type: 'object', properties: { x: { type: 'number' } } } },
        properties: {
          at: { $ref: '#/$defs/point' },
          maybe: { anyOf: [{ type: 'null' }, { type: 'string' }] },
          list: { type: 'array', items: { type: 'integer' }, minItems: 2 },
          nullable: { type: ['null', 'boolean'] },
        },
      }),
    ).toEqual({ at: { x: 1.5 }, maybe: 'maybe', list: [1, 1], nullable: true });
  });

  it('gives valid examples for string formats', () => {
    expect(sampleFromSchema({ type: 'string', format: 'date-time' })).toBe('2025-01-01T00:00:00Z');
    expect(sampleFromSchema({ type: 'string', format: 'email' })).toBe('user@example.com');
    expect(sampleFromSchema({ type: 'string' })).toBe('sample');
  });
});
