import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadManifests, ManifestError, sourceOf } from './load.js';
import { ConfigRejectedError, ManifestDirSource } from './sources.js';

let dir: string;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});
async function withFiles(files: Record<string, string>): Promise<string> {
  dir = await mkdtemp(join(tmpdir(), 'aigw-load-'));
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

const ACCOUNT = `apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: a }
spec: { provider: aws-bedrock, region: us-east-1, auth: { type: default }, collaborators: [{ subject: "team:t", role: User }] }
`;

describe('loadManifests', () => {
  it('reads multi-document YAML and JSON, sorted by file, skipping other kinds and dot-files', async () => {
    const d = await withFiles({
      'b.yaml': `${ACCOUNT}---\napiVersion: v1\nkind: ConfigMap\nmetadata: { name: cm }\n---\n`,
      'a.json': JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, stringData: { k: 'v' } }),
      '.hidden.yaml': 'not: [valid',
      'notes.txt': 'ignored',
    });
    const { resources, ignored } = await loadManifests(d);
    expect(resources.accounts.map((a) => a.metadata.name)).toEqual(['a']);
    expect(resources.secrets.map((s) => s.metadata.name)).toEqual(['s']);
    expect(ignored).toEqual([
      { file: join(d, 'b.yaml'), document: 2, apiVersion: 'v1', kind: 'ConfigMap', name: 'cm' },
    ]);
    expect(sourceOf(resources.accounts[0] as object)).toEqual({ file: join(d, 'b.yaml'), document: 1 });
  });

  it('flattens List objects', async () => {
    const d = await withFiles({
      'list.yaml': `apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Secret\n    metadata: { name: x }\n`,
    });
    expect((await loadManifests(d)).resources.secrets).toHaveLength(1);
  });

  it.each([
    ['bad.yaml', 'a: [1, 2', /bad\.yaml#1: /],
    ['dup.yaml', 'a: 1\na: 2\n', /dup\.yaml#1: .*(unique|Map keys)/i],
    ['nokind.yaml', 'apiVersion: v1\nmetadata: { name: x }\n', /nokind\.yaml#1 kind: is required/],
    [
      'noname.yaml',
      `${ACCOUNT}---\napiVersion: v1\nkind: Secret\nmetadata: {}\n`,
      /noname\.yaml#2 metadata\.name: is required/,
    ],
    ['scalar.yaml', 'just a string', /scalar\.yaml#1 \.: must be an object/],
  ])('names file, document and field for %s', async (file, text, pattern) => {
    const d = await withFiles({ [file]: text });
    const err = await loadManifests(d).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ManifestError);
    expect((err as Error).message).toMatch(pattern);
  });
});

describe('ManifestDirSource', () => {
  it('reports compile problems as file#document path: message', async () => {
    const d = await withFiles({
      'accounts.yaml': `${ACCOUNT}---\n${ACCOUNT.replace('name: a', 'name: b').replace('type: default', 'type: magic')}`,
    });
    const err = await new ManifestDirSource(d).load().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigRejectedError);
    expect((err as Error).message).toBe(
      `${join(d, 'accounts.yaml')}#2 spec.auth.type: must be one of accessKey, assumeRole, apiKey, default`,
    );
  });

  it('serves the single namespace of the manifests and rejects a mix unless one is chosen', async () => {
    const d = await withFiles({
      'a.yaml': ACCOUNT.replace('name: a }', 'name: a, namespace: ai }'),
      'b.yaml': ACCOUNT.replace('name: a }', 'name: b, namespace: other }'),
    });
    await expect(new ManifestDirSource(d).load()).rejects.toThrow(/several namespaces \(ai, other\)/);
    const loaded = await new ManifestDirSource(d, { namespace: 'ai' }).load();
    expect(loaded.status === 'ready' && loaded.config.accounts.map((a) => a.name)).toEqual(['a']);
  });

  it('compiles the shipped examples without problems', async () => {
    const loaded = await new ManifestDirSource('examples').load();
    if (loaded.status !== 'ready') throw new Error('examples did not load');
    expect(loaded.config.namespace).toBe('default');
    expect(loaded.config.accounts.map((a) => `${a.name}:${a.auth.type}`)).toEqual([
      'demo:accessKey',
      'demo-apikey:apiKey',
      'demo-role:assumeRole',
    ]);
    expect(loaded.config.models.map((m) => m.servedName)).toContain(
      'demo/global-anthropic-claude-sonnet-4-5-20250929-v1-0',
    );
    expect(loaded.config.apiKeys[0]).toMatchObject({ subject: 'user:demo@example.com', teams: ['demo'] });
  });
});
