import { describe, expect, it } from 'vitest';
import { compileConfig, hashApiKey } from './compile.js';
import type { ResourceSet } from './types.js';

const NS = 'ai';

function account(name: string, spec: Record<string, unknown>): ResourceSet['accounts'][number] {
  return {
    apiVersion: 'aigateway.dev/v1alpha1',
    kind: 'ProviderAccount',
    metadata: { name, namespace: NS },
    spec: { provider: 'aws-bedrock', region: 'us-east-1', auth: { type: 'default' }, ...spec },
  } as unknown as ResourceSet['accounts'][number];
}
function model(name: string, spec: Record<string, unknown>): ResourceSet['models'][number] {
  return {
    apiVersion: 'aigateway.dev/v1alpha1',
    kind: 'Model',
    metadata: { name, namespace: NS },
    spec,
  } as unknown as ResourceSet['models'][number];
}
function secret(name: string, body: Record<string, unknown>): ResourceSet['secrets'][number] {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: NS },
    ...body,
  } as ResourceSet['secrets'][number];
}
const keys = secret('aws-keys', { stringData: { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret' } });

function compile(set: Partial<ResourceSet>) {
  return compileConfig({ accounts: [], models: [], secrets: [], ...set }, { namespace: NS });
}
function problemText(set: Partial<ResourceSet>): string[] {
  return compile(set).problems.map((p) => `${p.kind}/${p.name} ${p.path}: ${p.message}`);
}

describe('compileConfig', () => {
  it('carries a Model creationTimestamp as its created time (Unix seconds), and none without one', () => {
    const stamped = model('stamped', { account: 'acct', modelId: 'amazon.nova-lite-v1:0' });
    stamped.metadata.creationTimestamp = '2026-01-02T03:04:05Z';
    const { config, problems } = compile({
      accounts: [account('acct', {})],
      models: [stamped, model('plain', { account: 'acct', modelId: 'amazon.nova-pro-v1:0' })],
    });
    expect(problems).toEqual([]);
    const byName = Object.fromEntries(config.models.map((m) => [m.name, m]));
    expect(byName.stamped?.created).toBe(Date.UTC(2026, 0, 2, 3, 4, 5) / 1000);
    expect(byName.plain?.created).toBeUndefined();
  });

  it('compiles an access-key account with default key names and reads credentials from data or stringData', () => {
    const b64 = secret('aws-keys', {
      data: {
        AWS_ACCESS_KEY_ID: Buffer.from('AKIDB64').toString('base64'),
        AWS_SECRET_ACCESS_KEY: Buffer.from('from-data').toString('base64'),
      },
      stringData: { AWS_SECRET_ACCESS_KEY: 'from-stringData' },
    });
    const { config, credentials, problems } = compile({
      accounts: [account('acct', { auth: { type: 'accessKey', accessKey: { secretRef: { name: 'aws-keys' } } } })],
      secrets: [b64],
    });
    expect(problems).toEqual([]);
    expect(config.accounts[0]?.auth).toEqual({ type: 'accessKey' });
    // stringData wins over data, as in Kubernetes.
    expect(credentials.accounts.acct).toEqual({ accessKeyId: 'AKIDB64', secretAccessKey: 'from-stringData' });
    expect(JSON.stringify(config)).not.toContain('from-stringData');
  });

  it('applies assumeRole defaults and keeps source credentials out of the config', () => {
    const { config, credentials, problems } = compile({
      accounts: [
        account('role', {
          auth: {
            type: 'assumeRole',
            assumeRole: {
              roleArn: 'arn:aws:iam::111122223333:role/R',
              externalId: 'ext-1',
              sourceSecretRef: { name: 'aws-keys' },
            },
          },
        }),
      ],
      secrets: [keys],
    });
    expect(problems).toEqual([]);
    expect(config.accounts[0]?.auth).toEqual({
      type: 'assumeRole',
      roleArn: 'arn:aws:iam::111122223333:role/R',
      externalId: 'ext-1',
      sessionName: 'aigateway',
      durationSeconds: 3600,
      hasSourceCredentials: true,
    });
    expect(credentials.accounts.role?.accessKeyId).toBe('AKIDEXAMPLE');
  });

  it('reads a Bedrock API key from the default key name', () => {
    const { credentials, problems } = compile({
      accounts: [account('k', { auth: { type: 'apiKey', apiKey: { secretRef: { name: 'bk' } } } })],
      secrets: [secret('bk', { stringData: { apiKey: 'ABSKexample' } })],
    });
    expect(problems).toEqual([]);
    expect(credentials.accounts.k).toEqual({ apiKey: 'ABSKexample' });
  });

  it('resolves region by precedence ARN > Model.region > account.region and infers type and family', () => {
    const { config, problems } = compile({
      accounts: [account('a', {})],
      models: [
        model('plain', { account: 'a', modelId: 'amazon.nova-lite-v1:0' }),
        model('override', { account: 'a', modelId: 'mistral.mistral-large-2407-v1:0', region: 'us-west-2' }),
        model('arn', {
          account: 'a',
          modelId: 'arn:aws:bedrock:eu-west-1::foundation-model/amazon.titan-embed-text-v2:0',
        }),
      ],
    });
    expect(problems).toEqual([]);
    const byName = Object.fromEntries(config.models.map((m) => [m.name, m]));
    expect(byName.plain).toMatchObject({
      servedName: 'a/plain',
      region: 'us-east-1',
      type: 'chat',
      family: 'amazon-nova',
    });
    expect(byName.override).toMatchObject({ region: 'us-west-2', family: 'mistral' });
    expect(byName.arn).toMatchObject({ region: 'eu-west-1', type: 'embedding', family: 'titan-embed' });
  });

  it('hashes api keys, splits teams and never puts the token in the config', () => {
    const { config, problems } = compile({
      secrets: [
        secret('alice', {
          type: 'aigateway.dev/api-key',
          stringData: { token: 'sk-alice-123456', subject: 'user:alice@example.com', teams: 'ml, research ,' },
        }),
      ],
    });
    expect(problems).toEqual([]);
    expect(config.apiKeys).toEqual([
      {
        sha256: hashApiKey('sk-alice-123456'),
        subject: 'user:alice@example.com',
        teams: ['ml', 'research'],
        source: 'ai/alice',
      },
    ]);
    expect(JSON.stringify(config)).not.toContain('sk-alice-123456');
  });

  it('keeps a reused token with the oldest api-key Secret, whatever the names', () => {
    const apiKey = (name: string, created: string, subject: string) => {
      const s = secret(name, { type: 'aigateway.dev/api-key', stringData: { token: 'sk-shared-123456', subject } });
      return { ...s, metadata: { ...s.metadata, creationTimestamp: created } } as typeof s;
    };
    // Listed by name, as the API server lists them: the newer copy comes first.
    const { config, problems } = compile({
      secrets: [
        apiKey('a-copy', '2026-02-01T00:00:00Z', 'user:mallory@example.com'),
        apiKey('alice-key', '2026-01-01T00:00:00Z', 'user:alice@example.com'),
      ],
    });
    expect(config.apiKeys.map((k) => k.subject)).toEqual(['user:alice@example.com']);
    expect(problems.map((p) => `${p.name} ${p.message}`)).toEqual([
      expect.stringMatching(/^a-copy .*same token is already used/),
    ]);
  });
  it('revision changes with credentials and stays stable for the same input', () => {
    const set = {
      accounts: [account('acct', { auth: { type: 'accessKey', accessKey: { secretRef: { name: 'aws-keys' } } } })],
      secrets: [keys],
    };
    const a = compile(set);
    expect(compile(set).config.revision).toBe(a.config.revision);
    expect(a.credentials.revision).toBe(a.config.revision);
    const rotated = compile({
      ...set,
      secrets: [
        secret('aws-keys', { stringData: { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'rotated' } }),
      ],
    });
    expect(rotated.config.revision).not.toBe(a.config.revision);
  });

  it.each([
    [
      { accounts: [account('a', { auth: { type: 'password' } })] },
      'ProviderAccount/a spec.auth.type: must be one of accessKey, assumeRole, apiKey, default',
    ],
    [{ accounts: [account('a', { region: 'mars-1' })] }, 'ProviderAccount/a spec.region: must be an AWS region'],
    [{ accounts: [account('a', { provider: 'openai' })] }, 'ProviderAccount/a spec.provider: must be aws-bedrock'],
    [{ accounts: [account('a', { endpoint: 'ftp://x' })] }, 'ProviderAccount/a spec.endpoint: must be an http(s) URL'],
    [
      { accounts: [account('a', { stsEndpoint: 'https://user:hunter2@sts.example' })] },
      'spec.stsEndpoint: must be an http(s) URL without credentials',
    ],
    [
      { accounts: [account('a', { auth: { type: 'accessKey' } })] },
      'spec.auth.accessKey: is required when spec.auth.type is accessKey',
    ],
    [
      { accounts: [account('a', { auth: { type: 'default', apiKey: { secretRef: { name: 'x' } } } })] },
      'spec.auth.apiKey: must not be set when spec.auth.type is default',
    ],
    [
      { accounts: [account('a', { auth: { type: 'accessKey', accessKey: { secretRef: { name: 'nope' } } } })] },
      "spec.auth.accessKey.secretRef.name: Secret 'nope' not found",
    ],
    [
      {
        accounts: [account('a', { auth: { type: 'accessKey', accessKey: { secretRef: { name: 's' } } } })],
        secrets: [secret('s', { stringData: { AWS_ACCESS_KEY_ID: 'x' } })],
      },
      "spec.auth.accessKey.secretRef.secretAccessKeyKey: Secret 's' has no key 'AWS_SECRET_ACCESS_KEY'",
    ],
    [
      { accounts: [account('a', { auth: { type: 'assumeRole', assumeRole: { roleArn: 'role/x' } } })] },
      'spec.auth.assumeRole.roleArn: must be an IAM role ARN',
    ],
    [
      {
        accounts: [
          account('a', {
            auth: {
              type: 'assumeRole',
              assumeRole: { roleArn: 'arn:aws:iam::111122223333:role/R', durationSeconds: 60 },
            },
          }),
        ],
      },
      'spec.auth.assumeRole.durationSeconds: must be an integer from 900 to 43200',
    ],
    [
      { accounts: [account('a', { collaborators: [{ subject: 'alice', role: 'User' }] })] },
      'spec.collaborators[0].subject',
    ],
    [
      { accounts: [account('a', { collaborators: [{ subject: 'user:a', role: 'Owner' }] })] },
      'spec.collaborators[0].role',
    ],
    [{ accounts: [account('Bad/Name', {})] }, 'metadata.name: must be a DNS label'],
    [{ accounts: [account('a', {}), account('a', {})] }, "duplicate ProviderAccount 'a'"],
    [
      { models: [model('m', { account: 'ghost', modelId: 'amazon.nova-lite-v1:0' })] },
      "Model/m spec.account: ProviderAccount 'ghost' not found",
    ],
    [
      { accounts: [account('a', {})], models: [model('m', { account: 'a', modelId: 'not a model' })] },
      'Model/m spec.modelId: must be a Bedrock model id',
    ],
    [
      {
        accounts: [account('a', {})],
        models: [model('m', { account: 'a', modelId: 'amazon.titan-embed-text-v2:0', type: 'chat' })],
      },
      "Model/m spec.type: 'chat' does not match model id amazon.titan-embed-text-v2:0, which is a embedding model",
    ],
    [
      {
        accounts: [account('a', {})],
        models: [model('m', { account: 'a', modelId: 'eu.anthropic.claude-sonnet-4-20250514-v1:0' })],
      },
      "inference profile 'eu.' cannot be called from region us-east-1",
    ],
    [
      {
        accounts: [account('a', {})],
        models: [
          model('m', {
            account: 'a',
            modelId: 'arn:aws:bedrock:us-west-2::foundation-model/amazon.nova-lite-v1:0',
            region: 'us-east-1',
          }),
        ],
      },
      'spec.region: conflicts with the region us-west-2',
    ],
    [
      {
        accounts: [account('a', {})],
        models: [
          model('m', { account: 'a', modelId: 'amazon.nova-lite-v1:0' }),
          model('m', { account: 'a', modelId: 'amazon.nova-pro-v1:0' }),
        ],
      },
      "duplicate Model 'm'",
    ],
    [
      {
        accounts: [account('a', {})],
        models: [model('m', { account: 'a', modelId: 'amazon.nova-lite-v1:0', pricing: { input: 1 } })],
      },
      'spec.pricing.input: unknown field',
    ],
    [
      { secrets: [secret('k', { type: 'aigateway.dev/api-key', stringData: { subject: 'user:x' } })] },
      'Secret/k stringData.token: is required',
    ],
    [
      {
        secrets: [
          secret('k', { type: 'aigateway.dev/api-key', stringData: { token: 'sk-12345678', subject: 'alice' } }),
        ],
      },
      'stringData.subject: must look like user:NAME',
    ],
    [
      {
        secrets: [
          secret('k1', { type: 'aigateway.dev/api-key', stringData: { token: 'sk-12345678', subject: 'user:a' } }),
          secret('k2', { type: 'aigateway.dev/api-key', stringData: { token: 'sk-12345678', subject: 'user:b' } }),
        ],
      },
      'Secret/k2 stringData.token: the same token is already used',
    ],
    [{ secrets: [secret('s', { data: { k: 'not base64!' } })] }, 'Secret/s data.k: must be a base64 string'],
    [
      { accounts: [account('a', { endpont: 'http://x' })] },
      'ProviderAccount/a spec.endpont: unknown field (did you mean endpoint?)',
    ],
    [
      {
        accounts: [
          account('a', {
            auth: { type: 'accessKey', accessKey: { secretRef: { name: 'aws-keys', accesKeyIdKey: 'X' } } },
          }),
        ],
        secrets: [keys],
      },
      'spec.auth.accessKey.secretRef.accesKeyIdKey: unknown field (did you mean accessKeyIdKey?)',
    ],
    [
      {
        accounts: [
          account('a', {
            auth: { type: 'assumeRole', assumeRole: { roleArn: 'arn:aws:iam::111122223333:role/R', externalID: 'x' } },
          }),
        ],
      },
      'spec.auth.assumeRole.externalID: unknown field (did you mean externalId?)',
    ],
    [
      { accounts: [account('a', { collaborators: [{ subject: 'user:a', role: 'User', expires: 'never' }] })] },
      'spec.collaborators[0].expires: unknown field',
    ],
    [
      {
        accounts: [account('a', {})],
        models: [model('m', { account: 'a', modelId: 'amazon.nova-lite-v1:0', regoin: 'us-west-2' })],
      },
      'Model/m spec.regoin: unknown field (did you mean region?)',
    ],
  ])('reports %#: %s', (set, expected) => {
    const problems = problemText(set as Partial<ResourceSet>);
    expect(problems.join('\n')).toContain(expected);
    expect(problems.join('\n')).not.toContain('hunter2');
  });

  it('leaves a broken account and its models out but keeps the rest (operator mode)', () => {
    const { config, problems } = compile({
      accounts: [account('good', {}), account('bad', { region: 'nowhere' })],
      models: [
        model('m1', { account: 'good', modelId: 'amazon.nova-lite-v1:0' }),
        model('m2', { account: 'bad', modelId: 'amazon.nova-lite-v1:0' }),
      ],
    });
    expect(config.accounts.map((a) => a.name)).toEqual(['good']);
    expect(config.models.map((m) => m.servedName)).toEqual(['good/m1']);
    expect(problems.map((p) => `${p.kind}/${p.name} ${p.path}`)).toEqual([
      'ProviderAccount/bad spec.region',
      'Model/m2 spec.account',
    ]);
  });

  it('skips objects of other namespaces', () => {
    const other = {
      ...account('x', {}),
      metadata: { name: 'x', namespace: 'elsewhere' },
    } as ResourceSet['accounts'][number];
    expect(compile({ accounts: [other] }).config.accounts).toEqual([]);
  });
});
