// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these tests write the ${NAME} manifest syntax.
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

  it('loads ModelRoutes and serves them as route/<name>; a route naming a missing Model refuses the config', async () => {
    const model = `apiVersion: aigateway.dev/v1alpha1\nkind: Model\nmetadata: { name: m }\nspec: { account: a, modelId: amazon.nova-lite-v1:0 }\n`;
    const route = (target: string) =>
      `apiVersion: aigateway.dev/v1alpha1\nkind: ModelRoute\nmetadata: { name: r }\nspec: { targets: [{ model: ${target} }] }\n`;
    const d = await withFiles({ 'a.yaml': `${ACCOUNT}---\n${model}`, 'routes.yaml': route('m') });
    const loaded = await new ManifestDirSource(d).load();
    if (loaded.status !== 'ready') throw new Error('did not load');
    expect(loaded.config.routes?.map((r) => [r.servedName, r.targets.map((t) => t.servedName)])).toEqual([
      ['route/r', ['a/m']],
    ]);
    expect(loaded.notes.join('\n')).not.toContain('ModelRoute');
    await writeFile(join(d, 'routes.yaml'), route('ghost'));
    const err = (await new ManifestDirSource(d).load().catch((e: unknown) => e)) as ConfigRejectedError;
    expect(err).toBeInstanceOf(ConfigRejectedError);
    expect(err.problems.join('\n')).toContain('routes.yaml#1 spec.targets[0].model');
    expect(err.problems.join('\n')).toContain("Model 'ghost' not found");
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
    expect(
      loaded.config.routes?.map((r) => [r.servedName, r.targets.map((t) => `${t.servedName} ${t.priority}`)]),
    ).toEqual([
      [
        'route/haiku',
        [
          'demo/us-anthropic-claude-haiku-4-5-20251001-v1-0 0',
          'demo-role/us-anthropic-claude-3-5-haiku-20241022-v1-0 1',
        ],
      ],
    ]);
  });

  it('the examples point at the emulator on EMULATOR_PORT, 4566 when it is unset or empty', async () => {
    const endpoints = async (env: Record<string, string>) => {
      const loaded = await new ManifestDirSource('examples', { env }).load();
      if (loaded.status !== 'ready') throw new Error('examples did not load');
      return [...new Set(loaded.config.accounts.map((a) => a.endpoint))];
    };
    expect(await endpoints({})).toEqual(['http://127.0.0.1:4566']);
    expect(await endpoints({ EMULATOR_PORT: '' })).toEqual(['http://127.0.0.1:4566']);
    expect(await endpoints({ EMULATOR_PORT: '4567' })).toEqual(['http://127.0.0.1:4567']);
  });
});

describe('problems reported for people', () => {
  const model = (i: number, account: string) =>
    `apiVersion: aigateway.dev/v1alpha1\nkind: Model\nmetadata: { name: m${i} }\nspec: { account: ${account}, modelId: amazon.nova-lite-v1:0 }\n`;

  it('the targets of a route on a broken account are not listed either, nor the route left without targets', async () => {
    const broken = ACCOUNT.replace('metadata: { name: a }', 'metadata: { name: b }').replace(
      'type: default',
      'type: nope',
    );
    const route = `apiVersion: aigateway.dev/v1alpha1\nkind: ModelRoute\nmetadata: { name: r }\nspec: { targets: [{ model: m1 }, { model: m2 }] }\n`;
    const d = await withFiles({ 'a.yaml': `${broken}---\n${model(1, 'b')}---\n${model(2, 'b')}---\n${route}` });
    const err = (await new ManifestDirSource(d).load().catch((e: unknown) => e)) as ConfigRejectedError;
    expect(err).toBeInstanceOf(ConfigRejectedError);
    expect(err.problems).toEqual([
      `${d}/a.yaml#1 spec.auth.type: must be one of accessKey, assumeRole, apiKey, default`,
    ]);
  });

  it('many references to one missing account are one line; the models of a broken account are not listed', async () => {
    const models = [1, 2, 3, 4, 5].map((i) => model(i, 'ghost')).join('---\n');
    const broken = ACCOUNT.replace('metadata: { name: a }', 'metadata: { name: b }').replace(
      'type: default',
      'type: nope',
    );
    const d = await withFiles({ 'a.yaml': `${models}---\n${broken}---\n${model(6, 'b')}` });
    const err = (await new ManifestDirSource(d).load().catch((e: unknown) => e)) as ConfigRejectedError;
    expect(err).toBeInstanceOf(ConfigRejectedError);
    expect(err.problems).toHaveLength(2);
    expect(err.problems[0]).toMatch(/a\.yaml#6 spec\.auth\.type/);
    expect(err.problems[1]).toBe(
      `ProviderAccount 'ghost' not found: referenced by ${d}/a.yaml#1 spec.account, ${d}/a.yaml#2 spec.account, ${d}/a.yaml#3 spec.account and 2 more`,
    );
    expect(err.problems.join('\n')).not.toContain('has problems');
  });
});

describe('environment variables in manifests', () => {
  const account = (region: string) =>
    `apiVersion: aigateway.dev/v1alpha1\nkind: ProviderAccount\nmetadata: { name: a }\nspec: { region: "${region}", tags: ["\${TAG:-none}"] }\n`;
  const load = async (text: string, env: Record<string, string | undefined>) => {
    const d = await withFiles({ 'a.yaml': text });
    return loadManifests(d, { env });
  };
  const specOf = (loaded: Awaited<ReturnType<typeof loadManifests>>) =>
    (loaded.resources.accounts[0] as unknown as { spec: Record<string, unknown> }).spec;

  it('expands ${NAME} and ${NAME:-default} in string values, nested ones included', async () => {
    const loaded = await load(account('${REGION}'), { REGION: 'eu-west-1' });
    expect(specOf(loaded)).toEqual({ region: 'eu-west-1', tags: ['none'] });
    const tagged = await load(account('x-${REGION}-y'), { REGION: 'r', TAG: 'blue' });
    expect(specOf(tagged)).toEqual({ region: 'x-r-y', tags: ['blue'] });
  });

  it('keeps $${ as a literal ${ and leaves text without ${ alone', async () => {
    const loaded = await load(account('$${REGION} costs $5'), { REGION: 'no' });
    expect(specOf(loaded).region).toBe('${REGION} costs $5');
  });

  it('expands nothing without an environment (the compiler then sees the text as written)', async () => {
    const d = await withFiles({ 'a.yaml': account('${REGION}') });
    expect(specOf(await loadManifests(d)).region).toBe('${REGION}');
  });

  it('a value expands to text only: YAML in a variable cannot add fields', async () => {
    const loaded = await load(account('${REGION}'), { REGION: 'us-east-1", evil: "x' });
    expect(specOf(loaded).region).toBe('us-east-1", evil: "x');
    expect(specOf(loaded)).not.toHaveProperty('evil');
  });

  it('an unset variable without default, or a malformed ${, names the file, document and field but not the value', async () => {
    const err = await load(account('${REGION}'), {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ManifestError);
    expect((err as Error).message).toMatch(
      /a\.yaml#1 spec\.region: uses \$\{REGION\}, but the environment variable REGION is not set/,
    );
    const bad = await load(account('sk-${not valid'), {}).catch((e: unknown) => e);
    expect((bad as Error).message).toMatch(/a\.yaml#1 spec\.region: has a malformed \$\{\.\.\.\}/);
    expect((bad as Error).message).not.toContain('sk-');
  });
});
