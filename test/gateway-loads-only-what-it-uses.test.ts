/**
 * Memory the gateway holds for its whole life starts with the modules it loads (docs/benchmarks.md, "Memory,
 * round 2"). Two ways in which an innocent import loads a second HTTP client are easy to reintroduce:
 * importing `undici` as a whole (fetch, WebSocket, caches and mocks, plus Node's own bundled undici through
 * undici's index), and an ES-module import of `node:http`, whose namespace reads Node 22's lazy WebSocket
 * getters and so loads Node's bundled undici. This loads every gateway module of the serving path, as built,
 * in a fresh process and checks that neither happened.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from './helpers/cli-process.js';
import { REPO_ROOT } from './helpers/config-dir.js';

const MODULES = ['server', 'admin', 'upstream', 'fetch', 'telemetry', 'config', 'routing', 'limits'].map(
  (dir) => pathToFileURL(join(REPO_ROOT, 'dist', 'gateway', 'src', dir, 'index.js')).href,
);

function loadedBy(imports: string[]): { nodeBundledUndici: boolean; undiciModules: string[] } {
  const script = `
    import { createRequire } from 'node:module';
    for (const url of ${JSON.stringify(imports)}) await import(url);
    const loaded = Object.keys(createRequire(import.meta.url).cache);
    console.log(JSON.stringify({
      nodeBundledUndici: process.moduleLoadList.some((m) => m.includes('internal/deps/undici')),
      undiciModules: loaded.filter((f) => f.includes('/node_modules/undici/')).map((f) => f.slice(f.indexOf('/node_modules/undici/') + 21)),
    }));`;
  const res = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (res.status !== 0) throw new Error(`loading the gateway's modules failed: ${res.stderr}`);
  return JSON.parse(res.stdout.trim().split('\n').at(-1) as string);
}

describe("the gateway's serving modules", () => {
  beforeAll(() => ensureBuilt(), 240_000);

  it("load neither Node's bundled undici nor undici's fetch, WebSocket or cache halves", () => {
    const { nodeBundledUndici, undiciModules } = loadedBy(MODULES);
    expect(nodeBundledUndici).toBe(false);
    // The dispatchers are loaded (the gateway calls Bedrock through them) …
    expect(undiciModules).toContain('lib/dispatcher/agent.js');
    expect(undiciModules).toContain('lib/dispatcher/env-http-proxy-agent.js');
    // … and nothing of the package's index or its web half.
    expect(undiciModules).not.toContain('index.js');
    expect(undiciModules.filter((m) => m.startsWith('lib/web/') || m.startsWith('lib/mock/'))).toEqual([]);
  });

  it('would be caught: an ES import of node:http loads Node bundled undici in the same check', () => {
    const { nodeBundledUndici } = loadedBy(['node:http']);
    expect(nodeBundledUndici).toBe(true);
  });
});
