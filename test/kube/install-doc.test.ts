/** docs/install.md documents every Helm value the chart has, with its default. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from './harness.js';

/** Leaf keys of values.yaml; resources and securityContext blocks count as one key. */
function leaves(value: unknown, prefix = ''): Array<[string, unknown]> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [[prefix, value]];
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0 || /\.(resources|podSecurityContext|securityContext)$/.test(prefix))
    return [[prefix, value]];
  return entries.flatMap(([k, v]) => leaves(v, prefix ? `${prefix}.${k}` : k));
}

describe('docs/install.md', () => {
  it('has a row for every value in charts/aigateway/values.yaml, with the default', () => {
    const doc = readFileSync(join(REPO_ROOT, 'docs/install.md'), 'utf8');
    const values = parse(readFileSync(join(REPO_ROOT, 'charts/aigateway/values.yaml'), 'utf8')) as unknown;
    const rows = new Map(
      doc
        .split('\n')
        .map((line) => /^\|\s*`([^`]+)`\s*\|\s*([^|]*)\|/.exec(line))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => [m[1] as string, (m[2] as string).trim()]),
    );
    for (const [key, value] of leaves(values)) {
      expect(rows.has(key), `${key} is not documented`).toBe(true);
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
        expect(rows.get(key), `${key} default`).toBe(value === '' ? '`""`' : `\`${String(value)}\``);
      }
    }
  });
});
