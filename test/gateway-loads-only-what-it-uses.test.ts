/**
 * Memory the gateway holds for its whole life starts with the modules it loads (docs/benchmarks.md, "Memory,
 * round 2"). Two ways in which an innocent import loads a second HTTP client are easy to reintroduce:
 * importing `undici` as a whole (fetch, WebSocket, caches and mocks, plus Node's own bundled undici through
 * undici's index), and an ES-module import of `node:http`, whose namespace reads Node 22's lazy WebSocket
 * getters and so loads Node's bundled undici. This loads every gateway module of the serving path, as built,
 * in a fresh process and checks that neither happened. A third: fastify loads its schema compilers (ajv and
 * fast-json-stringify's compiler, about a hundred modules) when an app is built, unless it is given compilers of
 * its own; no route uses schemas, so a running gateway must not have them.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from './helpers/cli-process.js';
import { EXAMPLES_DIR, REPO_ROOT } from './helpers/config-dir.js';

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

  it("build and start the API server without fastify's schema compilers (ajv, fast-json-stringify's compiler)", () => {
    const modulesOf = (script: string): string[] => {
      const res = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        timeout: 60_000,
      });
      if (res.status !== 0) throw new Error(`the check process failed: ${res.stderr}`);
      return JSON.parse(res.stdout.trim().split('\n').at(-1) as string);
    };
    const schemaModules = `
      const loaded = Object.keys(createRequire(import.meta.url).cache);
      console.log(JSON.stringify(loaded.filter((f) => /\\/node_modules\\/(ajv|ajv-formats|@fastify\\/ajv-compiler|@fastify\\/fast-json-stringify-compiler)\\//.test(f))));`;
    const dist = (path: string) => JSON.stringify(pathToFileURL(join(REPO_ROOT, 'dist', path)).href);
    const gateway = modulesOf(`
      import { createRequire } from 'node:module';
      const { startGateway } = await import(${dist('gateway/src/server/index.js')});
      const { ManifestDirSource } = await import(${dist('gateway/src/config/index.js')});
      const { pino } = createRequire(import.meta.url)('pino');
      const gateway = await startGateway({
        source: new ManifestDirSource(${JSON.stringify(EXAMPLES_DIR)}),
        port: 0,
        adminPort: 0,
        logger: pino({ level: 'silent' }),
        mediaFetcher: null,
        watch: false,
      });
      const res = await fetch(gateway.url + '/v1/models', { headers: { authorization: 'Bearer sk-aigw-demo-0000000000000000' } });
      if (res.status !== 200) throw new Error('GET /v1/models answered ' + res.status);
      ${schemaModules}
      await gateway.close();`);
    expect(gateway).toEqual([]);
    // The same check sees them in a plain fastify app.
    const plain = modulesOf(`
      import { createRequire } from 'node:module';
      const Fastify = createRequire(import.meta.url)('fastify');
      await Fastify().ready();
      ${schemaModules}`);
    expect(plain.length).toBeGreaterThan(10);
  });
});
