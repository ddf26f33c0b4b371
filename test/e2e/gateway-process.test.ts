/**
 * `aigw serve` as a real process: graceful SIGTERM with open streams, the AWS default credential chain
 * from the environment (access keys; container credentials as EKS Pod Identity provides them), and
 * cluster mode reading the operator's compiled config from a directory.
 */
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../emulator/src/index.js';
import { compileConfig, loadManifestDir } from '../../gateway/src/config/index.js';
import { type ConfigDir, DEMO_KEY, makeConfigDir, NOVA_LITE } from '../helpers/config-dir.js';
import { type ChildGateway, ensureBuilt, openaiClient, spawnGateway } from '../helpers/stack.js';

let emulator: RunningEmulator;
let config: ConfigDir;
const children: ChildGateway[] = [];

const chainAccount = (emulatorUrl: string) => `apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: chain, namespace: default }
spec:
  provider: aws-bedrock
  region: us-east-1
  endpoint: ${emulatorUrl}
  stsEndpoint: ${emulatorUrl}
  auth: { type: default }
  collaborators: [{ subject: "team:demo", role: User }]
---
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: chain-nova-lite, namespace: default }
spec: { account: chain, modelId: amazon.nova-lite-v1:0 }
`;

/** Keeps the SDK's default chain from finding anything on this machine but what a test sets. */
const ISOLATED_AWS_ENV = {
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
  AWS_CONFIG_FILE: '/nonexistent/config',
  AWS_EC2_METADATA_DISABLED: 'true',
};

beforeAll(async () => {
  ensureBuilt();
  emulator = await startEmulator({ port: 0 });
  config = await makeConfigDir({ emulatorUrl: emulator.url, extraFiles: { 'chain.yaml': chainAccount(emulator.url) } });
});
afterEach(() => {
  emulator.state.latency = { fixedMs: 0, timeToFirstTokenMs: 0, interTokenDelayMs: 0 };
});
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await emulator?.close();
  await config?.remove();
});

async function spawn(args: string[], env: Record<string, string> = {}): Promise<ChildGateway> {
  const child = await spawnGateway(args, { ...ISOLATED_AWS_ENV, ...env });
  children.push(child);
  return child;
}

describe('SIGTERM', () => {
  it('fails readiness first, lets open streams finish, then exits 0', async () => {
    const gw = await spawn(['--config', config.dir, '--shutdown-delay', '1', '--shutdown-grace', '20']);
    const client = openaiClient(gw.url);
    emulator.state.latency = { fixedMs: 0, timeToFirstTokenMs: 0, interTokenDelayMs: 15 };
    const words = Array.from({ length: 40 }, (_, i) => `w${i}`).join(' ');
    const streams = await Promise.all(
      Array.from({ length: 5 }, (_, n) =>
        client.chat.completions.create({
          model: NOVA_LITE,
          stream: true,
          messages: [{ role: 'user', content: `${n} ${words}` }],
        }),
      ),
    );
    const iterators = streams.map((s) => s[Symbol.asyncIterator]());
    const firsts = await Promise.all(iterators.map((it) => it.next()));
    expect(firsts.every((f) => !f.done)).toBe(true);

    gw.kill('SIGTERM');
    await expect
      .poll(async () => (await fetch(`${gw.adminUrl}/readyz`).catch(() => undefined))?.status, {
        timeout: 2000,
        interval: 20,
      })
      .toBe(503);
    // Still served during the delay, but the client is told to reconnect (to a pod that stays).
    const during = await fetch(`${gw.url}/v1/models`, { headers: { authorization: `Bearer ${DEMO_KEY}` } });
    expect(during.status).toBe(200);
    expect(during.headers.get('connection')).toBe('close');
    await during.text();

    const texts = await Promise.all(
      iterators.map(async (it, n) => {
        let text = firsts[n]?.value?.choices[0]?.delta.content ?? '';
        for (let r = await it.next(); !r.done; r = await it.next()) text += r.value.choices[0]?.delta.content ?? '';
        return text;
      }),
    );
    expect(texts).toEqual(Array.from({ length: 5 }, (_, n) => `Echo: ${n} ${words}`));
    expect(await gw.exited).toBe(0);
    expect(gw.output()).toContain('gateway stopped');
    await expect(fetch(`${gw.url}/v1/models`)).rejects.toThrow();
  });
});

describe('SIGTERM grace period', () => {
  it('cuts streams that outlive the grace period and still exits 0', async () => {
    const gw = await spawn(['--config', config.dir, '--shutdown-grace', '0.3']);
    emulator.state.latency = { fixedMs: 0, timeToFirstTokenMs: 0, interTokenDelayMs: 50 };
    const words = Array.from({ length: 100 }, (_, i) => `w${i}`).join(' ');
    const stream = await openaiClient(gw.url).chat.completions.create({
      model: NOVA_LITE,
      stream: true,
      messages: [{ role: 'user', content: words }],
    });
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    const signalledAt = Date.now();
    gw.kill('SIGTERM');
    const outcome = await (async () => {
      try {
        for (let r = await iterator.next(); !r.done; r = await iterator.next()) {
          // keep reading until the gateway closes the connection
        }
        return 'completed';
      } catch {
        return 'cut';
      }
    })();
    expect(outcome).toBe('cut');
    expect(await gw.exited).toBe(0);
    // 100 tokens × 50 ms would take 5 s; the grace period is 0.3 s.
    expect(Date.now() - signalledAt).toBeLessThan(3000);
    expect(gw.output()).toContain('grace period over');
  });
});

describe('AWS default credential chain', () => {
  it('signs with access keys from the environment', async () => {
    const gw = await spawn(['--config', config.dir], {
      AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    });
    const before = emulator.state.stats.principals['arn:aws:iam::111122223333:user/aigw-emulator-user'] ?? 0;
    const res = await openaiClient(gw.url).chat.completions.create({
      model: 'chain/chain-nova-lite',
      messages: [{ role: 'user', content: 'from env keys' }],
    });
    expect(res.choices[0]?.message.content).toBe('Echo: from env keys');
    expect(emulator.state.stats.principals['arn:aws:iam::111122223333:user/aigw-emulator-user']).toBe(before + 1);
    gw.kill('SIGTERM');
    expect(await gw.exited).toBe(0);
  });

  it('uses container credentials (EKS Pod Identity variables) and caches them across requests', async () => {
    const gw = await spawn(['--config', config.dir], {
      AWS_CONTAINER_CREDENTIALS_FULL_URI: `${emulator.url}/v1/credentials`,
      AWS_CONTAINER_AUTHORIZATION_TOKEN: 'pod-identity-token',
    });
    const client = openaiClient(gw.url);
    const fetchesBefore = emulator.state.stats.sts.ContainerCredentials ?? 0;
    for (let i = 0; i < 3; i++) {
      const res = await client.chat.completions.create({
        model: 'chain/chain-nova-lite',
        messages: [{ role: 'user', content: `pod ${i}` }],
      });
      expect(res.choices[0]?.message.content).toBe(`Echo: pod ${i}`);
    }
    const principals = Object.keys(emulator.state.stats.principals);
    expect(principals.some((p) => p.startsWith('arn:aws:sts::111122223333:assumed-role/BedrockOpen/'))).toBe(true);
    expect((emulator.state.stats.sts.ContainerCredentials ?? 0) - fetchesBefore).toBe(1);
    gw.kill('SIGTERM');
    expect(await gw.exited).toBe(0);
  });
});

describe('tracing', () => {
  it('exports request and Bedrock spans over OTLP when an endpoint is configured, flushed on shutdown', async () => {
    const received: Buffer[] = [];
    const collector = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.url === '/v1/traces') received.push(Buffer.concat(chunks));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    try {
      const port = (collector.address() as AddressInfo).port;
      const gw = await spawn(['--config', config.dir], { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` });
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${DEMO_KEY}`,
          'content-type': 'application/json',
          traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        },
        body: JSON.stringify({ model: NOVA_LITE, messages: [{ role: 'user', content: 'traced prompt' }] }),
      });
      expect(res.status).toBe(200);
      await res.text();
      gw.kill('SIGTERM');
      expect(await gw.exited).toBe(0);
      const exported = Buffer.concat(received).toString('latin1');
      expect(exported).toContain('gen_ai.request.model');
      expect(exported).toContain('POST /v1/chat/completions');
      expect(exported).not.toContain('traced prompt');
    } finally {
      collector.close();
    }
  });
});

describe('cluster mode (--compiled-config)', () => {
  it('starts unready, loads when config.json and credentials.json agree, and hot-reloads', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aigw-compiled-'));
    try {
      const gw = await spawn(['--compiled-config', dir]);
      const ready = await fetch(`${gw.adminUrl}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ ready: false, reason: 'no config loaded yet' });
      const noConfig = await fetch(`${gw.url}/v1/models`, { headers: { authorization: 'Bearer x' } });
      expect(noConfig.status).toBe(503);

      const compiled = compileConfig(await loadManifestDir(config.dir), { namespace: 'default' });
      expect(compiled.problems).toEqual([]);
      // Kubelet may land the two halves in different syncs: the credentials of the previous revision
      // first. The gateway must wait rather than serve a mix.
      await writeFile(join(dir, 'credentials.json'), JSON.stringify({ ...compiled.credentials, revision: 'older' }));
      await writeFile(join(dir, 'config.json'), JSON.stringify(compiled.config));
      await new Promise((r) => setTimeout(r, 500));
      expect((await fetch(`${gw.adminUrl}/readyz`)).status).toBe(503);
      await writeFile(join(dir, 'credentials.json.tmp'), JSON.stringify(compiled.credentials));
      await rename(join(dir, 'credentials.json.tmp'), join(dir, 'credentials.json'));
      await expect
        .poll(async () => (await fetch(`${gw.adminUrl}/readyz`)).status, { timeout: 8000, interval: 50 })
        .toBe(200);
      expect(await (await fetch(`${gw.adminUrl}/readyz`)).json()).toMatchObject({ revision: compiled.config.revision });

      const res = await openaiClient(gw.url).chat.completions.create({
        model: NOVA_LITE,
        messages: [{ role: 'user', content: 'cluster' }],
      });
      expect(res.choices[0]?.message.content).toBe('Echo: cluster');
      expect(gw.output()).not.toContain('wJalrXUtnFEMI');
      expect(gw.output()).not.toContain('sk-aigw-demo');
      gw.kill('SIGTERM');
      expect(await gw.exited).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses to start standalone on an invalid manifest dir, naming the problem', async () => {
    const bad = await makeConfigDir({
      extraFiles: {
        'bad.yaml':
          'apiVersion: aigateway.dev/v1alpha1\nkind: Model\nmetadata: { name: x }\nspec: { account: ghost, modelId: amazon.nova-lite-v1:0 }\n',
      },
    });
    try {
      const err = await spawnGateway(['--config', bad.dir], ISOLATED_AWS_ENV).catch((e: unknown) => e as Error);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toMatch(/exited with 1/);
      expect((err as Error).message).toMatch(/bad\.yaml#1 spec\.account: ProviderAccount 'ghost' not found/);
    } finally {
      await bad.remove();
    }
  });
});
