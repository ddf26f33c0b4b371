/**
 * The emulator stands in for Bedrock so that a gateway that misreads Bedrock fails locally. It can only do
 * that with its own reading of Bedrock: if it imported the gateway's model-id parser or size tables, a
 * gateway mistake would be mirrored and pass. These checks keep the two programs' sources apart.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|mts|js|mjs)$/.test(entry.name)) out.push(path);
  }
  return out;
}

// `from '...'` (import and re-export), side-effect `import '...'` and `import('...')` with a literal.
const SPECIFIER_RE = /(?:\bfrom\s*|\bimport\s*\(?\s*)(['"])([^'"]+)\1/g;

/** Every relative module specifier of a file, resolved to a path inside the repository. */
function importedPaths(file: string): { specifier: string; target: string }[] {
  const text = readFileSync(file, 'utf8');
  const found: { specifier: string; target: string }[] = [];
  for (const m of text.matchAll(SPECIFIER_RE)) {
    const specifier = m[2] ?? '';
    if (!specifier.startsWith('.')) continue;
    found.push({ specifier, target: relative(ROOT, resolve(dirname(file), specifier)) });
  }
  return found;
}

/** Imports from `fromDir` whose target lies under `forbiddenDir`, as `file: specifier` lines. */
function crossings(fromDir: string, forbiddenDir: string): string[] {
  return sourceFiles(join(ROOT, fromDir)).flatMap((file) =>
    importedPaths(file)
      .filter(({ target }) => target === forbiddenDir || target.startsWith(`${forbiddenDir}/`))
      .map(({ specifier }) => `${relative(ROOT, file)}: ${specifier}`),
  );
}

describe('the emulator and the gateway share no code', () => {
  it('the scanner sees relative imports, re-exports and literal dynamic imports', () => {
    // A self-check, so an always-empty result cannot pass for a clean tree.
    const sample = sourceFiles(join(ROOT, 'emulator', 'src')).flatMap(importedPaths);
    expect(sample.some(({ target }) => target === 'emulator/src/catalog.js')).toBe(true);
    const text = "export { a } from '../x.js';\nimport b from \"./y.js\";\nconst c = await import('../../z.js');";
    const specs = [...text.matchAll(SPECIFIER_RE)].map((m) => m[2]);
    expect(specs).toEqual(['../x.js', './y.js', '../../z.js']);
  });

  it('emulator/src imports nothing from gateway/', () => {
    expect(crossings('emulator/src', 'gateway')).toEqual([]);
  });

  it('gateway/src and operator/src import nothing from emulator/', () => {
    // `aigw emulator` starts the emulator program through a computed specifier in the CLI; that loads a
    // program at run time and shares no code with the gateway's translators, so it is not an import here.
    expect([...crossings('gateway/src', 'emulator'), ...crossings('operator/src', 'emulator')]).toEqual([]);
  });
});
