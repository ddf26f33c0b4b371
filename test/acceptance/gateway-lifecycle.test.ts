/**
 * Acceptance: the life of an `aigw serve --config DIR` process as an operator sees it. Hot reload of the
 * manifest directory (a Model added, an api key removed, a broken manifest keeping the last good
 * config), SIGTERM draining open streams, and the CLI's exit codes (DESIGN.md: CLI, Upstream behaviour).
 */
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import OpenAI, { APIError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildCli,
  CLI,
  EMU_ACCESS_KEY_ID,
  EMU_SECRET_ACCESS_KEY,
  type Emulator,
  type Gateway,
  makeConfigDir,
  removeCliBuild,
  removeDir,
  sleep,
  startEmulatorProcess,
  startGatewayProcess,
  waitFor,
} from './gateway-harness.js';
import { accountsYaml, apiKeysYaml, KEYS, MODELS, modelsYaml } from './gateway-manifests.js';

let emu: Emulator;
const gateways: Gateway[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  buildCli();
  emu = await startEmulatorProcess();
}, 60_000);

afterAll(async () => {
  for (const g of gateways) await g.stop();
  await emu?.stop();
  for (const d of dirs) await removeDir(d);
  await removeCliBuild();
});

async function newGateway(args: string[] = []): Promise<Gateway> {
  const dir = await makeConfigDir({
    'accounts.yaml': accountsYaml(emu.url),
    'models.yaml': modelsYaml(),
    'keys.yaml': apiKeysYaml(),
  });
  dirs.push(dir);
  const g = await startGatewayProcess(dir, {
    args,
    env: { AWS_ACCESS_KEY_ID: EMU_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: EMU_SECRET_ACCESS_KEY },
  });
  gateways.push(g);
  return g;
}

function sdk(g: Gateway, key: string): OpenAI {
  return new OpenAI({ baseURL: g.baseURL, apiKey: key, maxRetries: 0, timeout: 20_000 });
}

async function modelIds(g: Gateway, key: string): Promise<string[]> {
  return (await sdk(g, key).models.list()).data.map((m) => m.id);
}

async function revision(g: Gateway): Promise<string> {
  const r = (await (await fetch(`${g.admin}/readyz`)).json()) as { revision?: string };
  return r.revision ?? '';
}

describe('hot reload of the manifest directory', () => {
  let g: Gateway;
  beforeAll(async () => {
    g = await newGateway();
  }, 30_000);

  it('serves a Model added to DIR without a restart', async () => {
    const before = await revision(g);
    await writeFile(
      join(g.dir, 'zz-extra.yaml'),
      `apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: added-nova-pro, namespace: acc }
spec: { account: keys, modelId: "amazon.nova-pro-v1:0" }
`,
    );
    await waitFor(async () => (await modelIds(g, KEYS.alice)).includes('keys/added-nova-pro'), 10_000, 'new model');
    const r = await sdk(g, KEYS.alice).chat.completions.create({
      model: 'keys/added-nova-pro',
      messages: [{ role: 'user', content: 'fresh' }],
    });
    expect(r.choices[0]?.message.content).toBe('Echo: fresh');
    expect(await revision(g)).not.toBe(before);
  });

  it('refuses an api key removed from DIR', async () => {
    expect((await modelIds(g, KEYS.temp)).length).toBeGreaterThan(0);
    await writeFile(join(g.dir, 'keys.yaml'), apiKeysYaml({ withTemp: false }));
    await waitFor(
      async () => {
        try {
          await modelIds(g, KEYS.temp);
          return false;
        } catch (e) {
          return e instanceof APIError && e.status === 401;
        }
      },
      10_000,
      'removed key refused',
    );
    // Others keep working.
    expect((await modelIds(g, KEYS.alice)).length).toBeGreaterThan(0);
  });

  it('keeps serving the last good config when a manifest breaks, and reports the rejection', async () => {
    const good = await revision(g);
    await writeFile(
      join(g.dir, 'models.yaml'),
      `${modelsYaml()}---
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: broken, namespace: acc }
spec: { account: keys, modelId: "amazon.nova-lite-v1:0", regoin: us-east-1 }
`,
    );
    await waitFor(async () => g.output().includes('config rejected'), 10_000, 'rejection log');
    expect(g.output()).toMatch(/config rejected:.*models\.yaml/);
    expect(await revision(g)).toBe(good);
    expect((await fetch(`${g.admin}/readyz`)).status).toBe(200);
    const r = await sdk(g, KEYS.alice).chat.completions.create({
      model: MODELS.nova,
      messages: [{ role: 'user', content: 'still here' }],
    });
    expect(r.choices[0]?.message.content).toBe('Echo: still here');
    expect((await modelIds(g, KEYS.alice)).includes('keys/broken')).toBe(false);
    const metrics = await (await fetch(`${g.admin}/metrics`)).text();
    expect(metrics).toMatch(/aigw_config_reload_total\{result="rejected"\} [1-9]/);

    // Unparseable YAML too.
    await writeFile(join(g.dir, 'zz-garbage.yaml'), 'kind: [unclosed\n  : : :\n');
    await sleep(1500);
    expect(await revision(g)).toBe(good);
    expect(
      (
        await sdk(g, KEYS.alice).chat.completions.create({
          model: MODELS.nova,
          messages: [{ role: 'user', content: 'ok' }],
        })
      ).choices[0]?.message.content,
    ).toBe('Echo: ok');

    // Fixing the files brings the next config in (an empty file is an empty manifest list).
    await writeFile(join(g.dir, 'zz-garbage.yaml'), '');
    await writeFile(
      join(g.dir, 'models.yaml'),
      `${modelsYaml()}---
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: fixed, namespace: acc }
spec: { account: keys, modelId: "amazon.nova-lite-v1:0" }
`,
    );
    await waitFor(async () => (await modelIds(g, KEYS.alice)).includes('keys/fixed'), 10_000, 'recovered config');
    expect(await revision(g)).not.toBe(good);
  });

  it('an in-flight stream finishes on the config it started with while DIR changes', async () => {
    await emu.setLatency({ interTokenDelayMs: 60 });
    try {
      const stream = await sdk(g, KEYS.alice).chat.completions.create({
        model: MODELS.nova,
        stream: true,
        messages: [{ role: 'user', content: 'a b c d e f g h i j k l m n o p' }],
      });
      // Remove the caller's access mid-stream.
      await writeFile(
        join(g.dir, 'keys.yaml'),
        apiKeysYaml({ withTemp: false }).replace(KEYS.alice, 'sk-acc-alice-rotated-000000'),
      );
      let text = '';
      for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
      expect(text).toBe('Echo: a b c d e f g h i j k l m n o p');
      await waitFor(
        async () => {
          try {
            await modelIds(g, KEYS.alice);
            return false;
          } catch (e) {
            return e instanceof APIError && e.status === 401;
          }
        },
        10_000,
        'rotated key',
      );
    } finally {
      await emu.setLatency({ interTokenDelayMs: 0 });
    }
  });
});

describe('hot reload removing accounts', () => {
  it('streams of accounts removed from DIR mid-flight still finish; new requests get 404', async () => {
    const g = await newGateway();
    await emu.setLatency({ interTokenDelayMs: 60 });
    try {
      const streams = await Promise.all(
        [MODELS.roleNova, MODELS.nova].map((model) =>
          sdk(g, KEYS.alice).chat.completions.create({
            model,
            stream: true,
            messages: [{ role: 'user', content: 'a b c d e f g h i j k l m n o p' }],
          }),
        ),
      );
      const drop = (yaml: string, marker: RegExp) =>
        yaml
          .split('---\n')
          .filter((d) => !marker.test(d))
          .join('---\n');
      await writeFile(join(g.dir, 'accounts.yaml'), drop(accountsYaml(emu.url), /name: (role|keys),/));
      await writeFile(join(g.dir, 'models.yaml'), drop(modelsYaml(), /account: (role|keys)\n/));
      const texts = await Promise.all(
        streams.map(async (s) => {
          let text = '';
          for await (const c of s) text += c.choices[0]?.delta.content ?? '';
          return text;
        }),
      );
      expect(texts).toEqual(['Echo: a b c d e f g h i j k l m n o p', 'Echo: a b c d e f g h i j k l m n o p']);
      await waitFor(async () => !(await modelIds(g, KEYS.alice)).includes(MODELS.nova), 10_000, 'models gone');
      const gone = await sdk(g, KEYS.alice)
        .chat.completions.create({ model: MODELS.roleNova, messages: [{ role: 'user', content: 'x' }] })
        .catch((e: unknown) => e);
      expect((gone as APIError).status).toBe(404);
      // The accounts that stayed still serve.
      const r = await sdk(g, KEYS.alice).chat.completions.create({
        model: MODELS.bearerNova,
        messages: [{ role: 'user', content: 'y' }],
      });
      expect(r.choices[0]?.message.content).toBe('Echo: y');
    } finally {
      await emu.setLatency({ interTokenDelayMs: 0 });
    }
  });
});

describe('SIGTERM', () => {
  it('fails readiness, drains an open stream to [DONE], refuses new work and exits 0', async () => {
    const g = await newGateway(['--shutdown-grace', '10']);
    await emu.setLatency({ interTokenDelayMs: 80 });
    try {
      const res = await fetch(`${g.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${KEYS.alice}` },
        body: JSON.stringify({
          model: MODELS.nova,
          stream: true,
          messages: [{ role: 'user', content: 'one two three four five six seven eight nine ten eleven twelve' }],
        }),
      });
      expect(res.status).toBe(200);
      const bodyPromise = res.text();
      await sleep(150);
      g.child.kill('SIGTERM');
      await waitFor(async () => (await fetch(`${g.admin}/readyz`)).status === 503, 3_000, 'readiness to fail');
      const body = await bodyPromise;
      expect(body).toContain('data: [DONE]');
      const text = body
        .split('\n')
        .filter((l) => l.startsWith('data: {'))
        .map(
          (l) =>
            (JSON.parse(l.slice(6)) as { choices: Array<{ delta: { content?: string } }> }).choices[0]?.delta.content ??
            '',
        )
        .join('');
      expect(text).toBe('Echo: one two three four five six seven eight nine ten eleven twelve');
      const code = await Promise.race([
        g.exited,
        sleep(12_000).then(() => `still running:\n${g.output().slice(-2000)}`),
      ]);
      expect(code).toBe(0);
    } finally {
      await emu.setLatency({ interTokenDelayMs: 0 });
    }
  });
});

describe('SIGTERM past the grace period', () => {
  it('a stream still open when the grace period ends gets a final shutting_down error event, then the process exits 0', async () => {
    const g = await newGateway(['--shutdown-grace', '1']);
    await emu.setLatency({ interTokenDelayMs: 300 });
    try {
      const stream = await sdk(g, KEYS.alice).chat.completions.create({
        model: MODELS.nova,
        stream: true,
        messages: [{ role: 'user', content: 'a b c d e f g h i j k l m n o p q r s t u v w x y z' }],
      });
      let text = '';
      const read = (async () => {
        for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
      })();
      await sleep(400);
      g.child.kill('SIGTERM');
      const err = await read.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(APIError);
      expect((err as APIError).code).toBe('shutting_down');
      expect(text.startsWith('Echo: a')).toBe(true);
      const code = await Promise.race([
        g.exited,
        sleep(10_000).then(() => `still running:\n${g.output().slice(-2000)}`),
      ]);
      expect(code).toBe(0);
    } finally {
      await emu.setLatency({ interTokenDelayMs: 0 });
    }
  });
});

describe('CLI', () => {
  it('exits 2 on a bad flag and 1 on a config that cannot be served', async () => {
    const bad = spawnSync(process.execPath, [CLI, 'serve', '--config', '/nonexistent', '--port', 'abc'], {
      encoding: 'utf8',
      timeout: 10_000,
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr + bad.stdout).toMatch(/port/);

    const dir = await makeConfigDir({
      'accounts.yaml': accountsYaml(emu.url).replace('type: accessKey', 'type: accesKey'),
      'keys.yaml': apiKeysYaml(),
    });
    dirs.push(dir);
    const broken = spawnSync(
      process.execPath,
      [CLI, 'serve', '--config', dir, '--port', '0', '--admin-port', '0', '--host', '127.0.0.1'],
      {
        encoding: 'utf8',
        timeout: 10_000,
      },
    );
    expect(broken.status).toBe(1);
    expect(broken.stderr + broken.stdout).toMatch(/accounts\.yaml#1 spec\.auth\.type/);
  });

  it('--version and --help answer and exit 0', () => {
    const v = spawnSync(process.execPath, [CLI, '--version'], { encoding: 'utf8', timeout: 10_000 });
    expect(v.status).toBe(0);
    expect(v.stdout.trim()).toMatch(/\d+\.\d+\.\d+/);
    const h = spawnSync(process.execPath, [CLI, '--help'], { encoding: 'utf8', timeout: 10_000 });
    expect(h.status).toBe(0);
    expect(h.stdout).toContain('serve');
  });
});
