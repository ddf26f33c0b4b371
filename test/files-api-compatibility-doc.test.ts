/**
 * docs/api-compatibility.md, Files section, checked against the official openai SDK: every field of the
 * SDK's FileCreateParams, FileListParams (with its cursor parameters), FileObject and FileDeleted has a row,
 * and every row names a field the SDK has (or a documented extension), with a known status.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/config-dir.js';

const DOC = readFileSync(join(REPO_ROOT, 'docs', 'api-compatibility.md'), 'utf8');
const STATUSES = new Set(['mapped', 'partial', 'refused', 'ignored']);
const require = createRequire(import.meta.url);
const SDK_ROOT = dirname(require.resolve('openai'));

/** Rows of the first table after a heading: cells trimmed, header and rule dropped. */
function rows(heading: string): string[][] {
  const start = DOC.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`docs/api-compatibility.md has no '${heading}' section`);
  const lines = DOC.slice(start + heading.length + 2).split('\n');
  const first = lines.findIndex((l) => l.startsWith('|'));
  const out: string[][] = [];
  for (const line of lines.slice(first)) {
    if (!line.startsWith('|')) break;
    out.push(
      line
        .slice(1, -1)
        .split('|')
        .map((c) => c.trim()),
    );
  }
  return out.slice(2);
}

function name(cell: string): string {
  const match = /^`([a-z_-]+)`/.exec(cell);
  if (!match?.[1]) throw new Error(`row without a field name: ${cell}`);
  return match[1];
}

/** Member names of an exported interface of an SDK typings file. */
function sdkMembers(file: string, iface: string): string[] {
  const dts = readFileSync(join(SDK_ROOT, file), 'utf8');
  const start = dts.indexOf(`export interface ${iface} `);
  if (start < 0) throw new Error(`${iface} not found in ${file}`);
  const body = dts.slice(start, dts.indexOf('\n}', start));
  return [...body.matchAll(/^ {4}([a-z_]+)\??:/gm)].map((m) => m[1]!);
}

describe('docs/api-compatibility.md Files tables', () => {
  it('has a row for every request field of the SDK, each with a known status', () => {
    const table = rows('### File request fields');
    const documented = new Set(table.map((r) => name(r[0]!)));
    const sdk = new Set([
      ...sdkMembers('resources/files.d.ts', 'FileCreateParams'),
      ...sdkMembers('resources/files.d.ts', 'FileListParams'),
      ...sdkMembers('core/pagination.d.ts', 'CursorPageParams'),
    ]);
    expect(sdk.size).toBeGreaterThanOrEqual(6);
    for (const field of sdk) expect(documented, `no row for ${field}`).toContain(field);
    for (const row of table) {
      const field = name(row[0]!);
      expect(STATUSES, `status of ${field}`).toContain(row[2]);
      if (!sdk.has(field)) expect(row[3], `${field} is not the SDK's`).toContain('**Extension**');
    }
  });

  it('has a row for every response field of the SDK (FileObject, FileDeleted, the list page)', () => {
    const documented = new Set(rows('### File response fields').map((r) => name(r[0]!)));
    for (const field of [
      ...sdkMembers('resources/files.d.ts', 'FileObject'),
      ...sdkMembers('resources/files.d.ts', 'FileDeleted'),
      'data',
      'has_more',
      'first_id',
      'last_id',
    ])
      expect(documented, `no row for ${field}`).toContain(field);
  });
});
