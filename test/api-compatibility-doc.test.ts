/**
 * docs/api-compatibility.md checked against the code: every request field of the official openai SDK and
 * every field the gateway's parser reads has exactly one row, statuses agree with the checked behaviour,
 * and every "Checked behaviour" row is sent through a gateway in front of the emulator and must give the
 * 400, warning or plain success the page promises.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useChatStack } from './e2e/chat-stack.js';
import { REPO_ROOT } from './helpers/config-dir.js';

const DOC = readFileSync(join(REPO_ROOT, 'docs', 'api-compatibility.md'), 'utf8');
const STATUSES = ['mapped', 'partial', 'ignored (warning)', 'ignored', 'refused'] as const;
type Status = (typeof STATUSES)[number];
type Expect = '400' | 'warning' | 'ok';

/** The rows of the first Markdown table after `heading`, as arrays of trimmed cells (header and rule dropped). */
function tableAfter(heading: string): string[][] {
  const start = DOC.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`docs/api-compatibility.md has no '${heading}' section`);
  const lines = DOC.slice(start + heading.length + 2).split('\n');
  const first = lines.findIndex((l) => l.startsWith('|'));
  const rows: string[][] = [];
  for (const line of lines.slice(first)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((c) => c.trim()),
    );
  }
  return rows.slice(2);
}

function fieldOf(cell: string): string {
  const match = /^`([a-z_]+)`/.exec(cell);
  if (!match?.[1]) throw new Error(`row without a field name: ${cell}`);
  return match[1];
}

const FIELDS = tableAfter('## Request fields').map((cells) => ({
  field: fieldOf(cells[0] ?? ''),
  status: (cells[1] ?? '') as Status,
}));

const CHECKS = tableAfter('## Checked behaviour').map((cells) => ({
  field: fieldOf(cells[0] ?? ''),
  value: JSON.parse((cells[1] ?? '').replace(/^`|`$/g, '')) as unknown,
  model: (cells[2] ?? '').replace(/^`|`$/g, ''),
  expect: (cells[3] ?? '') as Expect,
}));

/** Top-level fields the parser reads, from its source: `b.<field>`, `opt…(b, '<field>'` and the refused list. */
function parserFields(): Set<string> {
  const source = readFileSync(join(REPO_ROOT, 'gateway/src/translate/chat/parse-request.ts'), 'utf8');
  const fields = new Set<string>();
  for (const m of source.matchAll(/\bb\.([a-z_]+)\b/g)) fields.add(m[1]!);
  for (const m of source.matchAll(/\(b, '([a-z_]+)'/g)) fields.add(m[1]!);
  const refused = /REFUSED_FIELDS[^=]*=\s*\[([\s\S]*?)\n\];/.exec(source);
  for (const m of refused?.[1]?.matchAll(/\[\s*'([a-z_]+)'/g) ?? []) fields.add(m[1]!);
  return fields;
}

/** Fields of the installed openai SDK's `ChatCompletionCreateParamsBase`. */
function sdkFields(): Set<string> {
  const require = createRequire(import.meta.url);
  // The package's main entry sits at its root (its exports map hides package.json).
  const root = dirname(require.resolve('openai'));
  const dts = readFileSync(join(root, 'resources/chat/completions/completions.d.ts'), 'utf8');
  const start = dts.indexOf('export interface ChatCompletionCreateParamsBase {');
  if (start < 0) throw new Error('ChatCompletionCreateParamsBase not found in the openai SDK typings');
  const body = dts.slice(start, dts.indexOf('\n}', start));
  return new Set([...body.matchAll(/^ {4}([a-z_]+)\??:/gm)].map((m) => m[1]!));
}

describe('docs/api-compatibility.md request table', () => {
  it('has one row per field, each with a known status', () => {
    const names = FIELDS.map((f) => f.field);
    expect(new Set(names).size).toBe(names.length);
    for (const { field, status } of FIELDS) expect(STATUSES, field).toContain(status);
  });

  it('covers every field of the openai SDK request type and every field the parser reads', () => {
    const documented = new Set(FIELDS.map((f) => f.field));
    const parser = parserFields();
    expect(parser.size).toBeGreaterThan(25); // the source scan found the parser's fields
    const sdk = sdkFields();
    expect(sdk.size).toBeGreaterThan(30);
    expect([...parser].filter((f) => !documented.has(f))).toEqual([]);
    expect([...sdk].filter((f) => !documented.has(f))).toEqual([]);
    // No stale rows: each documented field is OpenAI's or one the parser reads (the extensions).
    expect([...documented].filter((f) => !sdk.has(f) && !parser.has(f))).toEqual([]);
  });

  it('agrees with the checked behaviour: refused → 400 only, partial → 400 and ok, ignored → ok or warning', () => {
    for (const { field, status } of FIELDS) {
      const kinds = new Set(CHECKS.filter((c) => c.field === field).map((c) => c.expect));
      const label = `${field} (${status}) checked as [${[...kinds].join(', ')}]`;
      switch (status) {
        case 'refused':
          expect(kinds.has('400') && !kinds.has('ok'), label).toBe(true);
          break;
        case 'partial':
          expect(kinds.has('400') && kinds.has('ok'), label).toBe(true);
          break;
        case 'ignored (warning)':
          expect(kinds.has('warning') && !kinds.has('400'), label).toBe(true);
          break;
        case 'ignored':
          expect(kinds.has('ok') && !kinds.has('400') && !kinds.has('warning'), label).toBe(true);
          break;
        case 'mapped':
          expect(kinds.has('warning'), label).toBe(false);
          break;
        default: {
          const never: never = status;
          throw new Error(`unknown status ${String(never)}`);
        }
      }
    }
    for (const check of CHECKS) expect(FIELDS.map((f) => f.field)).toContain(check.field);
  });
});

describe('docs/api-compatibility.md checked behaviour, through the gateway', () => {
  const chat = useChatStack();

  it.each(CHECKS.map((c) => [c.field, JSON.stringify(c.value), c.model, c.expect, c] as const))(
    '%s = %s on %s → %s',
    async (field, _value, model, expected, check) => {
      const res = await chat.raw({ model, messages: [{ role: 'user', content: 'x' }], [field]: check.value });
      const warnings = res.headers.get('x-aigateway-warnings') ?? '';
      if (expected === '400') {
        expect(res.status, res.text).toBe(400);
        const error = (res.json as { error: { param: string | null; type: string } }).error;
        expect(error.type).toBe('invalid_request_error');
        const param = error.param ?? '';
        expect(param === field || param.startsWith(`${field}.`) || param.startsWith(`${field}[`), res.text).toBe(true);
      } else {
        expect(res.status, res.text).toBe(200);
        if (expected === 'warning') expect(warnings).toContain(field);
        else expect(warnings).not.toContain(field);
      }
    },
  );
});
