/** The `aigw` command line: help, version, and clear errors for bad invocations. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/config-dir.js';
import { ensureBuilt } from '../helpers/stack.js';

const CLI = join(REPO_ROOT, 'dist', 'gateway', 'src', 'cli', 'aigw.js');

function aigw(...args: string[]) {
  return aigwWithEnv({}, ...args);
}
function aigwWithEnv(env: Record<string, string>, ...args: string[]) {
  const res = spawnSync(process.execPath, [CLI, ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 15_000,
    env: { ...process.env, ...env },
  });
  return { code: res.status, out: res.stdout, err: res.stderr };
}

beforeAll(() => {
  ensureBuilt();
});

describe('aigw', () => {
  it('prints usage with --help and the package version with --version', () => {
    const help = aigw('--help');
    expect(help.code).toBe(0);
    expect(help.out).toContain('aigw serve --config DIR');
    expect(help.out).toContain('aigw emulator');
    expect(help.out).toContain('aigw operator');
    expect(help.out).toContain('--metrics-port N');
    const version = aigw('--version');
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(version).toMatchObject({ code: 0, out: `aigw ${pkg.version}\n` });
  });

  it.each([
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['serve'], /needs --config DIR or --compiled-config DIR/],
    [['serve', '--config', 'a', '--compiled-config', 'b'], /either --config or --compiled-config/],
    [['serve', '--config', 'examples', '--port', 'eighty'], /--port must be a port number/],
    [['serve', '--config', 'examples', '--port', '70000'], /--port must be a port number/],
    [['serve', '--config', 'examples', '--body-limit', 'lots'], /--body-limit must be a byte count/],
    [['serve', '--config', 'examples', '--shutdown-grace', 'soon'], /--shutdown-grace must be a number of seconds/],
    [['serve', '--config', 'examples', '--log-level', 'loud'], /--log-level must be one of/],
    [['serve', '--config', 'examples', '--bogus'], /Unknown option '--bogus'/],
    [['emulator', '--port', 'x'], /--port must be a port number/],
    [['operator', '--namespace', 'a', '--all-namespaces'], /either --namespace or --all-namespaces/],
    [['operator', '--metrics-port', 'ninety'], /--metrics-port must be a port number/],
    [['operator', '--redis-url', 'localhost:6379'], /--redis-url must be a redis:\/\/ or rediss:\/\/ URL/],
  ])('rejects %j with exit code 2 and a hint', (args, message) => {
    const res = aigw(...args);
    expect(res.code).toBe(2);
    expect(res.err).toMatch(message);
    expect(res.err).toContain("Run 'aigw --help' for usage.");
  });

  it('rejects malformed upstream, media-fetch and image-work environment variables by name', () => {
    const upstream = aigwWithEnv({ AIGW_UPSTREAM_MAX_ATTEMPTS: 'many' }, 'serve', '--config', 'examples');
    expect(upstream.code).toBe(2);
    expect(upstream.err).toMatch(/AIGW_UPSTREAM_MAX_ATTEMPTS must be a non-negative integer/);
    const media = aigwWithEnv({ AIGW_MEDIA_FETCH: 'perhaps' }, 'serve', '--config', 'examples');
    expect(media.code).toBe(2);
    expect(media.err).toMatch(/AIGW_MEDIA_FETCH/);
  });

  it('runs from a clone as `npx aigw` (the package bin), with nothing fetched from a registry', () => {
    const cache = mkdtempSync(join(tmpdir(), 'aigw-npx-'));
    try {
      const npx = (...args: string[]) =>
        spawnSync('npx', ['--no', '--', 'aigw', ...args], {
          cwd: REPO_ROOT,
          encoding: 'utf8',
          timeout: 60_000,
          // A fresh npm cache: the command must not depend on an earlier npx run on this machine.
          env: { ...process.env, npm_config_cache: cache, npm_config_update_notifier: 'false' },
        });
      const help = npx('--help');
      expect(help.status, help.stderr).toBe(0);
      expect(help.stdout).toContain('aigw serve --config DIR');
      const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
      expect(npx('--version').stdout).toBe(`aigw ${pkg.version}\n`);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });

  it("the README's CLI section gives commands that work in a clone (npx aigw ...)", () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const section = readme.slice(
      readme.indexOf('## The CLI'),
      readme.indexOf('\n## ', readme.indexOf('## The CLI') + 1),
    );
    const commands = [...section.matchAll(/^\| `([^`]+)`/gm)].map((m) => m[1] as string);
    expect(commands.length).toBeGreaterThanOrEqual(4);
    for (const command of commands) expect(command).toMatch(/^npx aigw (serve|operator|emulator)\b/);
  });

  it('rejects malformed files and storage environment variables by name', () => {
    const files = aigwWithEnv({ AIGW_FILES_MAX_FILE_BYTES: '1e9' }, 'serve', '--config', 'examples');
    expect(files.code).toBe(2);
    expect(files.err).toMatch(/AIGW_FILES_MAX_FILE_BYTES must be a non-negative integer/);
    const storage = aigwWithEnv({ AIGW_STORAGE_UPLOAD_QUEUE_SIZE: '-1' }, 'serve', '--config', 'examples');
    expect(storage.code).toBe(2);
    expect(storage.err).toMatch(/AIGW_STORAGE_UPLOAD_QUEUE_SIZE must be a non-negative integer/);
    const media = aigwWithEnv({ AIGW_MEDIA_FETCH: 'perhaps' }, 'serve', '--config', 'examples');
    expect(media.code).toBe(2);
    expect(media.err).toMatch(/AIGW_MEDIA_FETCH/);
    const images = aigwWithEnv({ AIGW_IMAGE_WORK_THREADS: '0' }, 'serve', '--config', 'examples');
    expect(images.code).toBe(2);
    expect(images.err).toMatch(/AIGW_IMAGE_WORK_THREADS must be an integer of at least 1/);
  });

  it('exits 1 naming the directory when --config does not exist', () => {
    const res = aigw('serve', '--config', '/nonexistent/aigw-config', '--port', '0', '--admin-port', '0');
    expect(res.code).toBe(1);
    expect(res.err).toBe('aigw: cannot read /nonexistent/aigw-config (--config): no such directory\n');
  });
});
