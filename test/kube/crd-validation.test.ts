/**
 * What a user sees from `kubectl apply` of ProviderAccounts and Models: the real API server accepts
 * valid objects (filling defaults), rejects invalid ones with messages that say what to fix, and
 * prints the documented columns.
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

  it('fills assumeRole defaults (session name, duration) and accepts collaborators', async () => {
    const created = await create(
      account('acct-role', {
        region: 'eu-central-1',
        auth: {
          type: 'assumeRole',
          assumeRole: { roleArn: 'arn:aws:iam::111122223333:role/BedrockAccess', externalId: 'tenant-42' },
        },
        collaborators: [
          { subject: 'user:alice@example.com', role: 'Manager' },
          { subject: 'team:ml-platform', role: 'User' },
          { subject: 'serviceaccount:apps:checkout', role: 'User' },
        ],
      }),
    );
    const role = (created.spec as { auth: { assumeRole: Record<string, unknown> } }).auth.assumeRole;
    expect(role).toMatchObject({ sessionName: 'aigateway', durationSeconds: 3600 });
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
});
