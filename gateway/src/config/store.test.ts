import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { compileConfig, hashApiKey } from './compile.js';
import { CompiledDirSource, ManifestDirSource } from './sources.js';
import { ConfigStore, type ReloadOutcome } from './store.js';
import type { ResourceSet } from './types.js';

let dir: string;
let store: ConfigStore | undefined;
afterEach(async () => {
  store?.close();
  store = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
});

const manifests = (region: string, model = 'amazon.nova-lite-v1:0') => `apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: a }
spec:
  provider: aws-bedrock
  region: ${region}
  auth: { type: default }
  collaborators: [{ subject: "team:t", role: User }, { subject: "user:boss", role: Manager }]
---
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: m }
spec: { account: a, modelId: "${model}" }
---
apiVersion: v1
kind: Secret
type: aigateway.dev/api-key
metadata: { name: k }
stringData: { token: sk-test-token-1, subject: "user:someone", teams: "t" }
---
apiVersion: v1
kind: Secret
type: aigateway.dev/api-key
metadata: { name: outsider }
stringData: { token: sk-test-token-2, subject: "user:outsider" }
`;

function waitFor(s: ConfigStore, result: ReloadOutcome['result']): Promise<ReloadOutcome> {
  return new Promise((resolve) => s.onReload((o) => o.result === result && resolve(o)));
}

describe('ConfigStore with a manifest directory', () => {
  it('loads, indexes callers and permissions, hot-reloads on change and keeps the last good config on error', async () => {
    dir = await mkdtemp(join(tmpdir(), 'aigw-store-'));
    await writeFile(join(dir, 'all.yaml'), manifests('us-east-1'));
    store = new ConfigStore({ source: new ManifestDirSource(dir), debounceMs: 20, pollIntervalMs: 60_000 });
    expect((await store.reload()).result).toBe('loaded');
    const first = store.current!;
    expect(first.models.get('a/m')?.model.region).toBe('us-east-1');
    expect(first.callersByKeyHash.get(hashApiKey('sk-test-token-1'))?.accounts.has('a')).toBe(true);
    expect(first.callersByKeyHash.get(hashApiKey('sk-test-token-2'))?.accounts.size).toBe(0);
    expect(Object.isFrozen(first.config.models[0])).toBe(true);

    store.watch();
    const reloaded = waitFor(store, 'loaded');
    await writeFile(join(dir, 'all.yaml'), manifests('us-west-2'));
    const outcome = await reloaded;
    expect(outcome).toMatchObject({ result: 'loaded', previous: first.revision });
    expect(store.current?.models.get('a/m')?.model.region).toBe('us-west-2');
    // The old snapshot is untouched: requests that took it keep a consistent view.
    expect(first.models.get('a/m')?.model.region).toBe('us-east-1');

    const rejected = waitFor(store, 'rejected');
    await writeFile(join(dir, 'all.yaml'), manifests('us-west-2', 'bogus id'));
    expect((await rejected).result).toBe('rejected');
    expect(store.current?.models.get('a/m')?.model.region).toBe('us-west-2');
  });

  it('picks up changes through the poll when no file event arrives', async () => {
    dir = await mkdtemp(join(tmpdir(), 'aigw-store-'));
    await writeFile(join(dir, 'all.yaml'), manifests('us-east-1'));
    store = new ConfigStore({ source: new ManifestDirSource(dir), debounceMs: 60_000, pollIntervalMs: 50 });
    await store.reload();
    store.watch();
    const reloaded = waitFor(store, 'loaded');
    await writeFile(join(dir, 'all.yaml'), manifests('eu-west-1'));
    await reloaded;
    expect(store.current?.models.get('a/m')?.model.region).toBe('eu-west-1');
  });
});

describe('ConfigStore on a Kubernetes volume', () => {
  it('follows kubelet atomic updates (a new timestamped dir and a renamed ..data symlink)', async () => {
    dir = await mkdtemp(join(tmpdir(), 'aigw-volume-'));
    // The layout kubelet creates for a ConfigMap or Secret volume.
    await mkdir(join(dir, '..2026_01_01_00_00_00.1'));
    await writeFile(join(dir, '..2026_01_01_00_00_00.1', 'all.yaml'), manifests('us-east-1'));
    await symlink('..2026_01_01_00_00_00.1', join(dir, '..data'));
    await symlink('..data/all.yaml', join(dir, 'all.yaml'));
    store = new ConfigStore({ source: new ManifestDirSource(dir), debounceMs: 20, pollIntervalMs: 60_000 });
    await store.reload();
    expect(store.current?.models.get('a/m')?.model.region).toBe('us-east-1');
    store.watch();

    const reloaded = waitFor(store, 'loaded');
    await mkdir(join(dir, '..2026_01_01_00_01_00.2'));
    await writeFile(join(dir, '..2026_01_01_00_01_00.2', 'all.yaml'), manifests('eu-central-1'));
    await symlink('..2026_01_01_00_01_00.2', join(dir, '..data_tmp'));
    await rename(join(dir, '..data_tmp'), join(dir, '..data'));
    await rm(join(dir, '..2026_01_01_00_00_00.1'), { recursive: true });
    await reloaded;
    expect(store.current?.models.get('a/m')?.model.region).toBe('eu-central-1');
  });
});

describe('ConfigStore with a compiled-config directory', () => {
  function compiled(region: string) {
    const set: ResourceSet = {
      accounts: [
        {
          apiVersion: 'aigateway.dev/v1alpha1',
          kind: 'ProviderAccount',
          metadata: { name: 'a' },
          spec: { provider: 'aws-bedrock', region, auth: { type: 'default' } },
        },
      ],
      models: [],
      secrets: [],
    };
    return compileConfig(set, { namespace: 'gw' });
  }

  it('waits until config.json and credentials.json carry the same revision', async () => {
    dir = await mkdtemp(join(tmpdir(), 'aigw-compiled-'));
    store = new ConfigStore({ source: new CompiledDirSource(dir) });
    expect(await store.reload()).toMatchObject({ result: 'pending' });
    const one = compiled('us-east-1');
    const two = compiled('us-west-2');
    await writeFile(join(dir, 'config.json'), JSON.stringify(two.config));
    await writeFile(join(dir, 'credentials.json'), JSON.stringify(one.credentials));
    expect(await store.reload()).toMatchObject({ result: 'pending' });
    expect(store.current).toBeUndefined();
    // Kubelet swaps files by rename; the store must see the new content.
    await writeFile(join(dir, 'tmp.json.new'), JSON.stringify(two.credentials));
    await rename(join(dir, 'tmp.json.new'), join(dir, 'credentials.json'));
    expect(await store.reload()).toMatchObject({ result: 'loaded', revision: two.config.revision });
    expect(store.current?.accounts.get('a')?.region).toBe('us-west-2');
  });

  it('rejects malformed files and keeps the loaded config', async () => {
    dir = await mkdtemp(join(tmpdir(), 'aigw-compiled-'));
    const one = compiled('us-east-1');
    await writeFile(join(dir, 'config.json'), JSON.stringify(one.config));
    await writeFile(join(dir, 'credentials.json'), JSON.stringify(one.credentials));
    store = new ConfigStore({ source: new CompiledDirSource(dir) });
    await store.reload();
    await writeFile(join(dir, 'config.json'), '{"revision": "x", "accounts": 5}');
    const outcome = await store.reload();
    expect(outcome.result).toBe('rejected');
    expect(outcome.result === 'rejected' && outcome.error).toMatch(/accounts: must be a list/);
    expect(store.current?.revision).toBe(one.config.revision);
    // A usage policy without its compiled fields would break enforcement: the file is rejected.
    await writeFile(
      join(dir, 'config.json'),
      JSON.stringify({ ...one.config, usagePolicies: [{ id: 'default/p', name: 'p' }] }),
    );
    const policyOutcome = await store.reload();
    expect(policyOutcome.result === 'rejected' && policyOutcome.error).toMatch(/usagePolicies\[0\]: needs id, name/);
    expect(store.current?.revision).toBe(one.config.revision);
    // Nor a route without its compiled fields, or whose target is no model of the file (or of another type).
    const route = {
      servedName: 'route/r',
      name: 'r',
      type: 'chat',
      targets: [{ servedName: 'a/m', weight: 1, priority: 0 }],
      retryOn: ['throttle'],
      maxAttempts: 1,
      ejection: { consecutiveFailures: 3, baseSeconds: 10, maxSeconds: 300 },
      promptCacheAffinity: true,
    };
    const loaded = store;
    const withRoute = async (routes: unknown[], models: unknown[] = one.config.models) => {
      await writeFile(join(dir, 'config.json'), JSON.stringify({ ...one.config, models, routes }));
      const outcome = await loaded.reload();
      return outcome.result === 'rejected' ? outcome.error : outcome.result;
    };
    expect(await withRoute([{ ...route, retryOn: ['sometimes'] }])).toMatch(
      /routes\[0\]: needs servedName, name, type/,
    );
    expect(await withRoute([{ ...route, targets: [] }])).toMatch(/routes\[0\]: needs servedName/);
    expect(await withRoute([route])).toMatch(/routes\[0\]: target 'a\/m' is not one of models/);
    const embedding = {
      servedName: 'a/m',
      account: 'a',
      name: 'm',
      modelId: 'amazon.titan-embed-text-v2:0',
      region: 'us-east-1',
      type: 'embedding',
      family: 'titan-embed',
    };
    expect(await withRoute([route], [embedding])).toMatch(/routes\[0\]: target 'a\/m' is not of the route's type chat/);
    expect(store.current?.revision).toBe(one.config.revision);
    // The same route over a chat model of the file loads, and the snapshot resolves it.
    const chat = { ...embedding, modelId: 'amazon.nova-lite-v1:0', type: 'chat', family: 'amazon-nova' };
    await writeFile(
      join(dir, 'config.json'),
      JSON.stringify({ ...one.config, revision: 'r2', models: [chat], routes: [route] }),
    );
    await writeFile(join(dir, 'credentials.json'), JSON.stringify({ ...one.credentials, revision: 'r2' }));
    expect(await store.reload()).toMatchObject({ result: 'loaded', revision: 'r2' });
    expect(store.current?.routes.get('route/r')?.targets.map((t) => t.served.model.modelId)).toEqual([
      'amazon.nova-lite-v1:0',
    ]);
  });
});
