/**
 * What a user sees from `kubectl apply` of ProviderAccounts and Models: the real API server accepts
 * valid objects (filling defaults), every field and id form of DESIGN.md included, rejects invalid
 * ones with messages that say what to fix, and prints the documented columns.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeApiError, type KubeClient, type KubeObject, pathFor, RESOURCES } from '../../operator/src/kube/index.js';
import { type Cluster, kubeSuiteAvailability } from './harness.js';
import { sharedCluster } from './helpers.js';

const availability = kubeSuiteAvailability();
const NS = 'default';

function account(name: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion: 'aigateway.dev/v1alpha1', kind: 'ProviderAccount', metadata: { name, namespace: NS }, spec };
}
function model(name: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion: 'aigateway.dev/v1alpha1', kind: 'Model', metadata: { name, namespace: NS }, spec };
}

describe.skipIf(!availability.run)('CRD validation on a real kube-apiserver', () => {
  let cluster: Cluster;
  let admin: KubeClient;
  beforeAll(async () => {
    cluster = await sharedCluster('crds');
    admin = await cluster.client('admin');
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  const create = (obj: KubeObject) =>
    admin.create<KubeObject>(pathFor(obj.kind === 'Model' ? RESOURCES.models : RESOURCES.provideraccounts, NS), obj);
  async function rejection(obj: KubeObject): Promise<string> {
    try {
      await create(obj);
    } catch (err) {
      expect(err).toBeInstanceOf(KubeApiError);
      expect((err as KubeApiError).status).toBe(422);
      return (err as KubeApiError).message;
    }
    throw new Error(`${obj.kind} ${obj.metadata.name} was accepted`);
  }

  it('accepts a valid access-key account and fills the documented defaults', async () => {
    const created = await create(
      account('acct-keys', {
        region: 'us-east-1',
        auth: { type: 'accessKey', accessKey: { secretRef: { name: 'aws-keys' } } },
      }),
    );
    const spec = created.spec as { provider: string; auth: { accessKey: { secretRef: Record<string, string> } } };
    expect(spec.provider).toBe('aws-bedrock');
    expect(spec.auth.accessKey.secretRef).toEqual({
      name: 'aws-keys',
      accessKeyIdKey: 'AWS_ACCESS_KEY_ID',
      secretAccessKeyKey: 'AWS_SECRET_ACCESS_KEY',
    });
  });

  it('rejects an auth type without its block, and a block that does not match the type', async () => {
    expect(await rejection(account('a1', { region: 'us-east-1', auth: { type: 'accessKey' } }))).toContain(
      'auth.type is accessKey, so auth.accessKey.secretRef must name the Secret holding the keys',
    );
    expect(
      await rejection(
        account('a2', {
          region: 'us-east-1',
          auth: {
            type: 'apiKey',
            apiKey: { secretRef: { name: 'k' } },
            assumeRole: { roleArn: 'arn:aws:iam::111122223333:role/x' },
          },
        }),
      ),
    ).toContain('auth.assumeRole is only allowed when auth.type is assumeRole (auth.type is apiKey)');
    expect(await rejection(account('a3', { region: 'us-east-1', auth: { type: 'iam' } }))).toMatch(
      /supported values: "accessKey", "assumeRole", "apiKey", "default"/,
    );
  });

  it('rejects bad regions, role ARNs, external ids, endpoints and durations with readable messages', async () => {
    expect(await rejection(account('r1', { region: 'US East', auth: { type: 'default' } }))).toContain(
      'region must be an AWS region name such as us-east-1, not US East',
    );
    expect(
      await rejection(
        account('r2', {
          region: 'us-east-1',
          auth: { type: 'assumeRole', assumeRole: { roleArn: 'arn:aws:iam::123:user/bob' } },
        }),
      ),
    ).toContain('roleArn must be an IAM role ARN such as arn:aws:iam::111122223333:role/BedrockAccess');
    expect(
      await rejection(
        account('r3', {
          region: 'us-east-1',
          auth: {
            type: 'assumeRole',
            assumeRole: { roleArn: 'arn:aws:iam::111122223333:role/x', externalId: 'has space' },
          },
        }),
      ),
    ).toContain('externalId must be 2 to 1224 characters');
    expect(
      await rejection(account('r4', { region: 'us-east-1', endpoint: 'ftp://example.com', auth: { type: 'default' } })),
    ).toContain('must be an absolute http(s) URL');
    expect(
      await rejection(
        account('r5', {
          region: 'us-east-1',
          auth: {
            type: 'assumeRole',
            assumeRole: { roleArn: 'arn:aws:iam::111122223333:role/x', durationSeconds: 60 },
          },
        }),
      ),
    ).toMatch(/durationSeconds.*should be greater than or equal to 900/);
  });

  it('rejects malformed and duplicated collaborators', async () => {
    expect(
      await rejection(
        account('c1', {
          region: 'us-east-1',
          auth: { type: 'default' },
          collaborators: [{ subject: 'alice', role: 'User' }],
        }),
      ),
    ).toContain('collaborator subject must be user:NAME, team:GROUP or serviceaccount:NAMESPACE:NAME, not alice');
    expect(
      await rejection(
        account('c2', {
          region: 'us-east-1',
          auth: { type: 'default' },
          collaborators: [{ subject: 'user:a', role: 'Owner' }],
        }),
      ),
    ).toMatch(/supported values: "Manager", "User"/);
    expect(
      await rejection(
        account('c3', {
          region: 'us-east-1',
          auth: { type: 'default' },
          collaborators: [
            { subject: 'user:a', role: 'User' },
            { subject: 'user:a', role: 'Manager' },
          ],
        }),
      ),
    ).toMatch(/Duplicate value/);
  });

  it('rejects an account name that cannot prefix a served model name', async () => {
    expect(await rejection(account('bedrock.prod', { region: 'us-east-1', auth: { type: 'default' } }))).toContain(
      'metadata.name must be a DNS label',
    );
  });

  it('accepts foundation ids, inference profiles and ARNs as model ids', async () => {
    for (const [name, modelId, region] of [
      ['m-foundation', 'anthropic.claude-3-haiku-20240307-v1:0', undefined],
      ['m-profile', 'global.anthropic.claude-sonnet-4-5-20250929-v1:0', 'us-west-2'],
      ['m-eu', 'eu.amazon.nova-pro-v1:0', 'eu-west-1'],
      ['m-arn', 'arn:aws:bedrock:us-west-2:111122223333:application-inference-profile/abc123', 'us-west-2'],
      ['m-fm-arn', 'arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-embed-text-v2:0', undefined],
    ] as const) {
      const created = await create(model(name, { account: 'acct-keys', modelId, ...(region ? { region } : {}) }));
      expect(created.metadata.name).toBe(name);
    }
  });

  it('rejects invalid model ids, region contradictions and negative prices', async () => {
    expect(await rejection(model('bad-id', { account: 'acct-keys', modelId: 'claude sonnet' }))).toContain(
      'modelId must be a Bedrock model id (anthropic.claude-3-haiku-20240307-v1:0), an inference profile id',
    );
    expect(
      await rejection(
        model('bad-arn-region', {
          account: 'acct-keys',
          modelId: 'arn:aws:bedrock:us-west-2:111122223333:application-inference-profile/abc123',
          region: 'eu-west-1',
        }),
      ),
    ).toContain('region must match the region inside the model ARN');
    expect(
      await rejection(
        model('bad-geo', { account: 'acct-keys', modelId: 'eu.amazon.nova-pro-v1:0', region: 'us-east-1' }),
      ),
    ).toContain('an eu. inference profile can only be called from an eu-* region');
    expect(
      await rejection(
        model('bad-price', {
          account: 'acct-keys',
          modelId: 'amazon.nova-pro-v1:0',
          pricing: { inputPerMillionTokens: -1 },
        }),
      ),
    ).toMatch(/inputPerMillionTokens.*should be greater than or equal to 0/);
    expect(
      await rejection(model('bad-type', { account: 'acct-keys', modelId: 'amazon.nova-pro-v1:0', type: 'audio' })),
    ).toMatch(/supported values: "chat", "embedding", "image"/);
    expect(await rejection(model('no-account', { modelId: 'amazon.nova-pro-v1:0' }))).toMatch(
      /spec.account: Required value/,
    );
  });

  it('keeps status behind its subresource', async () => {
    const path = pathFor(RESOURCES.models, NS, 'm-foundation');
    const current = await admin.get<KubeObject>(path);
    await admin.replace(path, { ...current, status: { resolvedRegion: 'nowhere' } });
    expect((await admin.get<KubeObject>(path)).status).toBeUndefined();
    await admin.mergePatch(`${path}/status`, { status: { resolvedRegion: 'us-east-1', type: 'chat' } });
    expect((await admin.get<KubeObject>(path)).status).toEqual({ resolvedRegion: 'us-east-1', type: 'chat' });
  });

  it('serves printer columns, short names and the aigateway category', async () => {
    const asTable = await admin.request<{ columnDefinitions: Array<{ name: string; priority: number }> }>(
      'GET',
      pathFor(RESOURCES.provideraccounts, NS),
      { headers: { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' } },
    );
    expect(asTable.columnDefinitions.filter((c) => c.priority === 0).map((c) => c.name)).toEqual([
      'Name',
      'Provider',
      'Region',
      'Auth',
      'Models',
      'Ready',
      'Age',
    ]);
    const modelTable = await admin.request<{
      columnDefinitions: Array<{ name: string; priority: number }>;
      rows: Array<{ cells: unknown[] }>;
    }>('GET', pathFor(RESOURCES.models, NS), { headers: { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' } });
    expect(modelTable.columnDefinitions.filter((c) => c.priority === 0).map((c) => c.name)).toEqual([
      'Name',
      'Account',
      'Model ID',
      'Region',
      'Type',
      'Ready',
      'Age',
    ]);
    const discovery = await admin.request<{
      resources: Array<{ name: string; shortNames?: string[]; categories?: string[] }>;
    }>('GET', '/apis/aigateway.dev/v1alpha1');
    const byName = new Map(discovery.resources.map((r) => [r.name, r]));
    expect(byName.get('provideraccounts')).toMatchObject({
      shortNames: ['pa', 'aiaccount'],
      categories: ['aigateway'],
    });
    expect(byName.get('models')).toMatchObject({ shortNames: ['aimodel', 'aim'], categories: ['aigateway'] });
  });

  // ------------------------------------------------------------------ as DESIGN.md writes them
  describe('as DESIGN.md writes them (server-side dry runs)', () => {
    const dryRunCreate = async (obj: unknown): Promise<string | undefined> => {
      const o = obj as { kind: string };
      try {
        await admin.request('POST', pathFor(o.kind === 'Model' ? RESOURCES.models : RESOURCES.provideraccounts, NS), {
          body: obj,
          query: { dryRun: 'All' },
        });
        return undefined;
      } catch (err) {
        if (err instanceof KubeApiError) return `${err.status} ${err.message}`;
        throw err;
      }
    };
    const designAccount = (auth: Record<string, unknown>) => ({
      apiVersion: 'aigateway.dev/v1alpha1',
      kind: 'ProviderAccount',
      metadata: { name: 'design-example', namespace: NS },
      spec: {
        provider: 'aws-bedrock',
        region: 'us-east-1',
        endpoint: 'https://bedrock-runtime.us-east-1.amazonaws.com',
        controlPlaneEndpoint: 'https://bedrock.us-east-1.amazonaws.com',
        stsEndpoint: 'https://sts.us-east-1.amazonaws.com',
        s3Endpoint: 'https://s3.us-east-1.amazonaws.com',
        auth,
        batch: {
          s3Bucket: 'my-bucket',
          s3Prefix: 'aigateway/',
          roleArn: 'arn:aws:iam::111122223333:role/BedrockBatch',
        },
        collaborators: [
          { subject: 'user:alice@example.com', role: 'Manager' },
          { subject: 'team:ml-platform', role: 'User' },
          { subject: 'serviceaccount:apps:checkout', role: 'User' },
        ],
      },
    });
    const designModel = (spec: Record<string, unknown> = {}, name = 'design-model') => ({
      apiVersion: 'aigateway.dev/v1alpha1',
      kind: 'Model',
      metadata: { name, namespace: NS },
      spec: {
        account: 'tfy-ai-bedrock',
        modelId: 'global.anthropic.claude-sonnet-4-5-20250929-v1:0',
        region: 'us-west-2',
        type: 'chat',
        pricing: {
          inputPerMillionTokens: 3,
          outputPerMillionTokens: 15,
          cacheReadPerMillionTokens: 0.3,
          cacheWritePerMillionTokens: 3.75,
          perImage: 0.04,
        },
        ...spec,
      },
    });

    it('accepts every field of the DESIGN.md ProviderAccount, for each auth type', async () => {
      const variants: Array<Record<string, unknown>> = [
        {
          type: 'accessKey',
          accessKey: {
            secretRef: {
              name: 'aws-keys',
              accessKeyIdKey: 'AWS_ACCESS_KEY_ID',
              secretAccessKeyKey: 'AWS_SECRET_ACCESS_KEY',
              sessionTokenKey: 'AWS_SESSION_TOKEN',
            },
          },
        },
        {
          type: 'assumeRole',
          assumeRole: {
            roleArn: 'arn:aws:iam::111122223333:role/bedrock',
            externalId: 'tenant-42',
            sessionName: 'aigateway',
            durationSeconds: 3600,
            sourceSecretRef: { name: 'aws-keys' },
          },
        },
        { type: 'assumeRole', assumeRole: { roleArn: 'arn:aws:iam::111122223333:role/bedrock' } },
        { type: 'apiKey', apiKey: { secretRef: { name: 'bedrock-api-key', key: 'apiKey' } } },
        { type: 'apiKey', apiKey: { secretRef: { name: 'bedrock-api-key' } } },
        { type: 'accessKey', accessKey: { secretRef: { name: 'x' } } },
        { type: 'default' },
      ];
      for (const auth of variants) {
        expect(await dryRunCreate(designAccount(auth)), JSON.stringify(auth)).toBeUndefined();
      }
    });

    it('accepts every AWS region form', async () => {
      for (const region of [
        'us-gov-west-1',
        'ap-southeast-3',
        'eu-central-2',
        'il-central-1',
        'ca-west-1',
        'mx-central-1',
        'cn-north-1',
      ]) {
        const a = designAccount({ type: 'default' });
        a.spec.region = region;
        expect(await dryRunCreate(a), region).toBeUndefined();
      }
      const profiles: Array<[string, string]> = [
        ['us-gov.anthropic.claude-3-5-sonnet-20240620-v1:0', 'us-gov-west-1'],
        ['jp.anthropic.claude-sonnet-4-5-20250929-v1:0', 'ap-northeast-1'],
        ['au.anthropic.claude-sonnet-4-5-20250929-v1:0', 'ap-southeast-2'],
        ['ca.anthropic.claude-sonnet-4-5-20250929-v1:0', 'ca-central-1'],
        ['apac.anthropic.claude-sonnet-4-20250514-v1:0', 'ap-south-1'],
        ['us.anthropic.claude-sonnet-4-20250514-v1:0', 'us-east-2'],
      ];
      for (const [modelId, region] of profiles) {
        expect(
          await dryRunCreate(designModel({ modelId, region, pricing: undefined }, 'm-geo')),
          modelId,
        ).toBeUndefined();
      }
    });

    it('accepts every field of the DESIGN.md Model, and ids of every documented form', async () => {
      expect(await dryRunCreate(designModel())).toBeUndefined();
      const ids: Array<[string, Record<string, unknown>]> = [
        ['anthropic.claude-3-haiku-20240307-v1:0', { region: undefined, type: undefined }],
        ['us.anthropic.claude-3-5-haiku-20241022-v1:0', { region: 'us-east-2' }],
        ['eu.anthropic.claude-3-7-sonnet-20250219-v1:0', { region: 'eu-central-1' }],
        ['apac.amazon.nova-lite-v1:0', { region: 'ap-southeast-1', type: undefined }],
        ['arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/abc123xyz', { region: undefined }],
        [
          'arn:aws:bedrock:us-west-2::foundation-model/amazon.titan-embed-text-v2:0',
          { region: 'us-west-2', type: 'embedding' },
        ],
        ['amazon.nova-canvas-v1:0', { region: undefined, type: 'image', pricing: { perImage: 0.04 } }],
      ];
      for (const [modelId, extra] of ids) {
        const spec: Record<string, unknown> = { modelId, ...extra };
        for (const k of Object.keys(spec)) if (spec[k] === undefined) delete spec[k];
        const m = designModel(spec, 'm-ok');
        for (const k of Object.keys(extra)) if (extra[k] === undefined) delete (m.spec as Record<string, unknown>)[k];
        expect(await dryRunCreate(m), modelId).toBeUndefined();
      }
    });

    it('fills the documented defaults', async () => {
      const created = await admin.request<KubeObject>('POST', pathFor(RESOURCES.provideraccounts, NS), {
        query: { dryRun: 'All' },
        body: {
          apiVersion: 'aigateway.dev/v1alpha1',
          kind: 'ProviderAccount',
          metadata: { name: 'defaults', namespace: NS },
          spec: {
            region: 'us-east-1',
            auth: {
              type: 'assumeRole',
              assumeRole: { roleArn: 'arn:aws:iam::111122223333:role/r', sourceSecretRef: { name: 'k' } },
            },
          },
        },
      });
      expect(created.spec).toMatchObject({
        provider: 'aws-bedrock',
        auth: {
          assumeRole: {
            sessionName: 'aigateway',
            durationSeconds: 3600,
            sourceSecretRef: {
              name: 'k',
              accessKeyIdKey: 'AWS_ACCESS_KEY_ID',
              secretAccessKeyKey: 'AWS_SECRET_ACCESS_KEY',
            },
          },
        },
      });
      const key = await admin.request<KubeObject>('POST', pathFor(RESOURCES.provideraccounts, NS), {
        query: { dryRun: 'All' },
        body: {
          apiVersion: 'aigateway.dev/v1alpha1',
          kind: 'ProviderAccount',
          metadata: { name: 'defaults', namespace: NS },
          spec: { region: 'us-east-1', auth: { type: 'apiKey', apiKey: { secretRef: { name: 'k' } } } },
        },
      });
      expect(key.spec).toMatchObject({ auth: { apiKey: { secretRef: { name: 'k', key: 'apiKey' } } } });
    });

    it('rejects invalid ProviderAccounts with messages that name the problem', async () => {
      const cases: Array<[string, (a: ReturnType<typeof designAccount>) => void, RegExp]> = [
        ['unknown provider', (a) => (a.spec.provider = 'openai'), /provider/],
        ['upper-case name', (a) => (a.metadata.name = 'Prod'), /name/],
        ['bad batch role', (a) => (a.spec.batch.roleArn = 'BedrockBatch'), /roleArn/],
        ['bad bucket name', (a) => (a.spec.batch.s3Bucket = 'My_Bucket'), /s3Bucket/],
        [
          'service account without a name',
          (a) => (a.spec.collaborators = [{ subject: 'serviceaccount:apps', role: 'User' }]),
          /subject/,
        ],
        [
          'session name too long',
          (a) =>
            (a.spec.auth = {
              type: 'assumeRole',
              assumeRole: { roleArn: 'arn:aws:iam::111122223333:role/r', sessionName: 'x'.repeat(65) },
            }),
          /sessionName/,
        ],
        [
          'secretRef without a name',
          (a) => (a.spec.auth = { type: 'apiKey', apiKey: { secretRef: { key: 'apiKey' } } }),
          /name/,
        ],
        [
          'too many collaborators',
          (a) =>
            (a.spec.collaborators = Array.from({ length: 257 }, (_, i) => ({ subject: `user:u${i}`, role: 'User' }))),
          /collaborators/,
        ],
      ];
      for (const [what, mutate, pattern] of cases) {
        const a = designAccount({ type: 'default' });
        mutate(a);
        const msg = await dryRunCreate(a);
        expect(msg, what).toBeDefined();
        expect(msg, what).toMatch(/^422 /);
        expect(msg, what).toMatch(pattern);
      }
    });

    it('rejects invalid Models with messages that name the problem', async () => {
      const cases: Array<[string, Record<string, unknown>, RegExp]> = [
        ['model id that is no Bedrock id', { modelId: 'gpt-4o', region: undefined }, /modelId/],
        ['empty pricing', { pricing: {} }, /pricing/],
        [
          'ARN whose region contradicts spec.region',
          {
            modelId: 'arn:aws:bedrock:eu-west-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0',
            region: 'us-east-1',
          },
          /region/,
        ],
        ['bad region', { region: 'west' }, /region/],
        [
          'us profile in GovCloud',
          { modelId: 'us.anthropic.claude-sonnet-4-20250514-v1:0', region: 'us-gov-west-1' },
          /region/,
        ],
        [
          'jp profile outside Japan',
          { modelId: 'jp.anthropic.claude-sonnet-4-5-20250929-v1:0', region: 'us-east-1' },
          /region/,
        ],
        ['an ARN of another service', { modelId: 'arn:aws:s3:::my-bucket/model', region: undefined }, /modelId/],
      ];
      for (const [what, spec, pattern] of cases) {
        const m = designModel({}, 'm-bad');
        Object.assign(m.spec, spec);
        for (const k of Object.keys(spec)) if (spec[k] === undefined) delete (m.spec as Record<string, unknown>)[k];
        const msg = await dryRunCreate(m);
        expect(msg, what).toBeDefined();
        expect(msg, what).toMatch(/^422 /);
        expect(msg, what).toMatch(pattern);
      }
    });
  });
});
