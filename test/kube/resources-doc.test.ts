/** docs/resources.md stays true to crds/: every schema field is documented with its type and default. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseYamlObjects, REPO_ROOT } from './harness.js';

interface Schema {
  type?: string;
  default?: unknown;
  enum?: unknown[];
  properties?: Record<string, Schema>;
  items?: Schema;
}

function fields(
  schema: Schema,
  prefix = '',
): Array<{ path: string; type: string; default?: unknown; enum?: unknown[] }> {
  const out: Array<{ path: string; type: string; default?: unknown; enum?: unknown[] }> = [];
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    if (!prefix && ['apiVersion', 'kind', 'metadata'].includes(key)) continue;
    const path = prefix ? `${prefix}.${key}` : key;
    const type = child.type === 'array' ? `[]${child.items?.type ?? ''}` : (child.type ?? '');
    out.push({ path, type, default: child.default, enum: child.enum });
    if (child.type === 'array' && child.items) out.push(...fields(child.items, `${path}[]`));
    else out.push(...fields(child, path));
  }
  return out;
}

/** A schema default as the docs write it: scalars as they are, lists in YAML flow style, objects as JSON. */
function showDefault(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(String).join(', ')}]`;
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
}

/** The field path of a table row (`| \`spec.region\` | ...`), however the table is padded. */
function rowPath(line: string): string | undefined {
  return /^\|\s*`([^`]+)`\s*\|/.exec(line)?.[1];
}

describe('docs/resources.md', () => {
  const doc = readFileSync(join(REPO_ROOT, 'docs/resources.md'), 'utf8');
  const crds = ['provideraccounts', 'models', 'usagepolicies', 'modelroutes'].flatMap((plural) =>
    parseYamlObjects(readFileSync(join(REPO_ROOT, `crds/${plural}.aigateway.dev.yaml`), 'utf8')),
  );

  for (const crd of crds) {
    const spec = crd.spec as { names: { kind: string }; versions: Array<{ schema: { openAPIV3Schema: Schema } }> };
    const kind = spec.names.kind;
    const section = doc.slice(doc.indexOf(`## ${kind}`), doc.indexOf('\n## ', doc.indexOf(`## ${kind}`) + 3));

    it(`documents every ${kind} field with its type, default and allowed values`, () => {
      const schema = spec.versions[0]?.schema.openAPIV3Schema as Schema;
      const all = fields(schema);
      expect(all.length).toBeGreaterThan(10);
      for (const f of all) {
        const row = section.split('\n').find((line) => rowPath(line) === f.path);
        expect(row, `${kind} ${f.path} is not in docs/resources.md`).toBeDefined();
        const cells = (row as string).split('|').map((c) => c.trim());
        expect(cells[2], `${kind} ${f.path} type`).toBe(f.type);
        expect(cells[4], `${kind} ${f.path} default`).toBe(
          f.default === undefined ? '' : `\`${showDefault(f.default)}\``,
        );
        for (const value of f.enum ?? [])
          expect(row, `${kind} ${f.path} value ${String(value)}`).toContain(String(value));
      }
      // And nothing documented that the schema does not have.
      const documented = section
        .split('\n')
        .map(rowPath)
        .filter((p): p is string => p !== undefined && /^(spec|status)\b/.test(p));
      expect(documented.filter((p) => !all.some((f) => f.path === p))).toEqual([]);
    });
  }
});
