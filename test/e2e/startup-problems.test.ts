/**
 * What a person sees when `aigw serve` or `aigw emulator` cannot start as asked: a wrong or empty
 * --config directory, a manifest with a missing Secret, a variable the manifests need, a port already
 * taken. Each problem is one human-readable line on stderr (not JSON, not twice, not its consequences),
 * with a non-zero exit code; a directory that loads but serves nothing starts with a warning.
 */
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLES_DIR, REPO_ROOT } from '../helpers/config-dir.js';
import { ensureBuilt, spawnGateway } from '../helpers/stack.js';

const CLI = join(REPO_ROOT, 'dist', 'gateway', 'src', 'cli', 'aigw.js');

function aigw(args: string[], env: Record<string, string> = {}) {
  const res = spawnSync(process.execPath, [CLI, ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, AIGW_LOG_LEVEL: 'info', ...env },
  });
  return { code: res.status, out: res.stdout, err: res.stderr };
}

const serveArgs = (dir: string) => [
  'serve',
  '--config',
  dir,
  '--host',
  '127.0.0.1',
  '--port',
  '0',
  '--admin-port',
  '0',
];

let scratch: string;

/** A copy of examples/ with `edit` applied to each file's text. */
async function examplesCopy(name: string, edit: (file: string, text: string) => string | undefined): Promise<string> {
  const dir = join(scratch, name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir);
  for (const file of await readdir(EXAMPLES_DIR)) {
    const text = edit(file, await readFile(join(EXAMPLES_DIR, file), 'utf8'));
    if (text !== undefined) await writeFile(join(dir, file), text);
  }
  return dir;
}

async function occupy(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: (server.address() as { port: number }).port, server };
}

beforeAll(async () => {
  ensureBuilt();
  scratch = await mkdtemp(join(tmpdir(), 'aigw-startup-'));
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('aigw serve --config with problems', () => {
  it('a missing Secret used by two accounts is one line naming both references, not a cascade over every Model', async () => {
    const dir = await examplesCopy('no-secret', (file, text) =>
      file === 'accounts.yaml'
        ? text.replace(/apiVersion: v1\nkind: Secret\nmetadata: \{ name: demo-aws-keys[\s\S]*?---\n/, '')
        : text,
    );
    expect(await readFile(join(dir, 'accounts.yaml'), 'utf8')).not.toContain('name: demo-aws-keys, namespace');
    const res = aigw(serveArgs(dir));
    expect(res.code).toBe(1);
    const lines = res.err.trimEnd().split('\n');
    expect(lines).toEqual([
      `aigw: config rejected, cannot start: the manifests in ${dir} have a problem:`,
      `  Secret 'demo-aws-keys' not found: referenced by ${dir}/accounts.yaml#1 spec.auth.accessKey.secretRef.name, ${dir}/accounts.yaml#2 spec.auth.assumeRole.sourceSecretRef.name`,
    ]);
    // Not also logged as JSON.
    expect(res.out + res.err).not.toContain('"level"');
    expect(res.out + res.err).not.toContain('its models are not served');
  });

  it('several independent problems are one line each', async () => {
    const dir = await examplesCopy('two-problems', (file, text) =>
      file === 'models.yaml'
        ? text
            .replace('modelId: amazon.nova-lite-v1:0', 'modelId: not a model')
            .replace('account: demo-role', 'account: nobody')
        : text,
    );
    const res = aigw(serveArgs(dir));
    expect(res.code).toBe(1);
    const lines = res.err.trimEnd().split('\n');
    expect(lines[0]).toBe(`aigw: config rejected, cannot start: the manifests in ${dir} have 2 problems:`);
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(/models\.yaml#3 spec\.modelId: must be a Bedrock model id/);
    expect(lines[2]).toMatch(/models\.yaml#12 spec\.account: ProviderAccount 'nobody' not found$/);
  });

  it('a --config path that does not exist, or is a file, fails at once', () => {
    const missing = aigw(serveArgs(join(scratch, 'no-such-dir')));
    expect(missing.code).toBe(1);
    expect(missing.err).toBe(`aigw: cannot read ${join(scratch, 'no-such-dir')} (--config): no such directory\n`);
    const file = aigw(serveArgs(join(REPO_ROOT, 'README.md')));
    expect(file.code).toBe(1);
    expect(file.err).toContain('(--config): not a directory');
  });

  it('an empty directory starts, with one warning that nothing is served', async () => {
    const dir = join(scratch, 'empty');
    await mkdir(dir, { recursive: true });
    const gw = await spawnGateway(['--config', dir]);
    gw.kill();
    await gw.exited;
    const warnings = gw
      .output()
      .split('\n')
      .filter((l) => l.includes('"level":40'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`${dir} holds no manifests (*.yaml, *.yml, *.json): no model is served`);
  });

  it('manifests without a ProviderAccount, or without a Model, start with a warning saying so', async () => {
    const keysOnly = await examplesCopy('keys-only', (file, text) => (file === 'api-keys.yaml' ? text : undefined));
    const gw = await spawnGateway(['--config', keysOnly]);
    gw.kill();
    await gw.exited;
    expect(gw.output()).toContain(`no ProviderAccount in ${keysOnly} (namespace default): no model is served`);

    const noModels = await examplesCopy('no-models', (file, text) => (file === 'models.yaml' ? undefined : text));
    const gw2 = await spawnGateway(['--config', noModels]);
    gw2.kill();
    await gw2.exited;
    const warnings = gw2
      .output()
      .split('\n')
      .filter((l) => l.includes('"level":40'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`no Model in ${noModels} (namespace default): no model is served`);
  });

  it('a variable the manifests need and the environment lacks names the variable and the field', async () => {
    const dir = await examplesCopy('needs-var', (file, text) =>
      file === 'accounts.yaml' ? text.replace('region: us-east-1', `region: \${AIGW_TEST_REGION}`) : text,
    );
    const res = aigw(serveArgs(dir), { AIGW_TEST_REGION: '' });
    // Set but empty counts as set for ${NAME}: the compiler then rejects the empty region.
    expect(res.code).toBe(1);
    expect(res.err).toContain('accounts.yaml#1 spec.region');
    const unset = spawnSync(process.execPath, [CLI, ...serveArgs(dir)], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 60_000,
      env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'AIGW_TEST_REGION')),
    });
    expect(unset.status).toBe(1);
    expect(unset.stderr).toContain(
      `accounts.yaml#1 spec.region: uses \${AIGW_TEST_REGION}, but the environment variable AIGW_TEST_REGION is not set`,
    );
  });
});

describe('ports already in use', () => {
  it('aigw serve names the API port and its flag', async () => {
    const { port, server } = await occupy();
    try {
      const res = aigw([
        'serve',
        '--config',
        'examples',
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
        '--admin-port',
        '0',
      ]);
      expect(res.code).toBe(1);
      expect(res.err).toBe(
        `aigw: cannot listen on 127.0.0.1:${port} (--port): the port is already in use by another process; stop that process or choose another --port\n`,
      );
    } finally {
      server.close();
    }
  });

  it('aigw serve names the admin port and its flag', async () => {
    const { port, server } = await occupy();
    try {
      const res = aigw([
        'serve',
        '--config',
        'examples',
        '--host',
        '127.0.0.1',
        '--port',
        '0',
        '--admin-port',
        String(port),
      ]);
      expect(res.code).toBe(1);
      expect(res.err).toContain(`aigw: cannot listen on 127.0.0.1:${port} (--admin-port): the port is already in use`);
    } finally {
      server.close();
    }
  });

  it('aigw emulator names its port', async () => {
    const { port, server } = await occupy();
    try {
      const res = aigw(['emulator', '--port', String(port)]);
      expect(res.code).toBe(1);
      expect(res.err).toContain(`aigw: cannot listen on 127.0.0.1:${port} (--port): the port is already in use`);
    } finally {
      server.close();
    }
  });

  it('the same port for the API and the admin server is refused before anything starts', () => {
    const res = aigw(['serve', '--config', 'examples', '--port', '18080', '--admin-port', '18080']);
    expect(res.code).toBe(2);
    expect(res.err).toContain('--port and --admin-port are both 18080');
  });
});
