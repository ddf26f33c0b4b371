import { describe, expect, it } from 'vitest';
import { compileConfig, type Model, type ProviderAccount, type Secret } from '../../gateway/src/config/index.js';
import { computeStatuses, mergeConditions, sameStatus } from './status.js';
import { withdrawRefusedAccounts } from './withdraw.js';

const NS = 'ai';
const account = (name: string, spec: Partial<ProviderAccount['spec']> = {}): ProviderAccount => ({
  apiVersion: 'aigateway.dev/v1alpha1',
  kind: 'ProviderAccount',
  metadata: { name, namespace: NS, generation: 2 },
  spec: {
    provider: 'aws-bedrock',
    region: 'us-east-1',
    auth: { type: 'accessKey', accessKey: { secretRef: { name: 'keys' } } },
    ...spec,
  },
});
const model = (name: string, spec: Partial<Model['spec']>): Model => ({
  apiVersion: 'aigateway.dev/v1alpha1',
  kind: 'Model',
  metadata: { name, namespace: NS, generation: 1 },
  spec: { account: 'bedrock', modelId: 'anthropic.claude-3-haiku-20240307-v1:0', ...spec },
});
const keys: Secret = {
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'keys', namespace: NS },
  stringData: { AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret' },
};

function statuses(accounts: ProviderAccount[], models: Model[], secrets: Secret[] = [keys]) {
  const result = compileConfig({ accounts, models, secrets }, { namespace: NS });
  return computeStatuses({ accounts, models, result, checks: new Map(), now: '2026-01-01T00:00:00Z' });
}

describe('model status reasons', () => {
  it('reports a served model with its served name, region, family and type', () => {
    const s = statuses([account('bedrock')], [model('haiku', { region: 'us-west-2' })]).models.get('haiku');
    expect(s).toMatchObject({
      servedName: 'bedrock/haiku',
      resolvedRegion: 'us-west-2',
      family: 'anthropic',
      type: 'chat',
      observedGeneration: 1,
    });
    // Ready only (DESIGN.md): the account's CredentialsReady is not repeated on every Model.
    expect(s?.conditions).toEqual([
      expect.objectContaining({ type: 'Ready', status: 'True', reason: 'Served', observedGeneration: 1 }),
    ]);
  });

  it.each([
    ['AccountMissing', [], model('m', { account: 'nope' }), "ProviderAccount 'nope' not found"],
    [
      'RegionUnsupported',
      [account('bedrock')],
      model('m', { modelId: 'eu.amazon.nova-pro-v1:0' }),
      'cannot be called from region us-east-1',
    ],
    [
      'InvalidModelId',
      [account('bedrock')],
      model('m', { modelId: 'amazon.titan-embed-text-v2:0', type: 'chat' }),
      'embedding model',
    ],
    ['InvalidModelId', [account('bedrock')], model('m', { modelId: 'not an id' }), 'spec.modelId'],
  ] as const)('says %s when the model cannot be served', (reason, accounts, m, text) => {
    const ready = statuses([...accounts], [m]).models.get('m')?.conditions[0];
    expect(ready).toMatchObject({ type: 'Ready', status: 'False', reason });
    expect(ready?.message).toContain(text);
  });

  it('says AccountNotReady when the account itself is broken, and the account says why', () => {
    const out = statuses([account('bedrock')], [model('m', {})], []);
    expect(out.models.get('m')?.conditions[0]).toMatchObject({ status: 'False', reason: 'AccountNotReady' });
    const conditions = out.accounts.get('bedrock')?.conditions;
    expect(conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'SecretMissing' });
    expect(conditions?.find((c) => c.type === 'Ready')?.message).toContain("Secret 'keys' not found");
    expect(conditions?.find((c) => c.type === 'CredentialsReady')).toMatchObject({
      status: 'False',
      reason: 'SecretMissing',
    });
  });
});

describe('account status', () => {
  it.each(['Timeout', 'CheckFailed'])(
    'keeps the account Ready when the check ended in %s (nothing was refused)',
    (reason) => {
      const accounts = [account('bedrock')];
      const models = [model('a', {})];
      const result = compileConfig({ accounts, models, secrets: [keys] }, { namespace: NS });
      const checks = new Map([['bedrock', { status: 'False' as const, reason, message: 'TimeoutError: no answer' }]]);
      const s = computeStatuses({ accounts, models, result, checks, now: 'now' }).accounts.get('bedrock');
      expect(s?.conditions.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', reason: 'Compiled' });
      expect(s?.conditions.find((c) => c.type === 'CredentialsReady')).toMatchObject({ status: 'False', reason });
    },
  );

  it('counts served models and carries the credential check', () => {
    const accounts = [account('bedrock')];
    const models = [model('a', {}), model('b', { modelId: 'amazon.nova-pro-v1:0' }), model('c', { account: 'other' })];
    const result = compileConfig({ accounts, models, secrets: [keys] }, { namespace: NS });
    const checks = new Map([['bedrock', { status: 'True' as const, reason: 'Verified', message: 'STS: arn' }]]);
    const s = computeStatuses({ accounts, models, result, checks, now: 'now' }).accounts.get('bedrock');
    expect(s?.models).toBe(2);
    expect(s?.conditions).toEqual([
      expect.objectContaining({
        type: 'Ready',
        status: 'True',
        reason: 'Compiled',
        message: expect.stringContaining('2 models'),
      }),
      expect.objectContaining({ type: 'CredentialsReady', status: 'True', reason: 'Verified', observedGeneration: 2 }),
    ]);
  });

  it('takes an account whose credentials AWS refused out of service, with its models', () => {
    const accounts = [account('bedrock')];
    const models = [model('a', {}), model('b', { modelId: 'amazon.nova-pro-v1:0' })];
    const compiled = compileConfig({ accounts, models, secrets: [keys] }, { namespace: NS });
    const checks = new Map([
      ['bedrock', { status: 'False' as const, reason: 'AccessDenied', message: 'InvalidClientTokenId: bad key' }],
    ]);
    const result = withdrawRefusedAccounts(compiled, checks, models);
    const out = computeStatuses({ accounts, models, result, checks, now: 'now' });
    const s = out.accounts.get('bedrock');
    expect(s?.models).toBe(0);
    expect(s?.conditions).toEqual([
      expect.objectContaining({
        type: 'Ready',
        status: 'False',
        reason: 'CredentialsInvalid',
        message: expect.stringContaining('InvalidClientTokenId: bad key'),
      }),
      expect.objectContaining({
        type: 'CredentialsReady',
        status: 'False',
        reason: 'AccessDenied',
        observedGeneration: 2,
      }),
    ]);
    for (const name of ['a', 'b']) {
      const ready = out.models.get(name)?.conditions[0];
      expect(ready).toMatchObject({ type: 'Ready', status: 'False', reason: 'AccountNotReady' });
      expect(ready?.message).toContain('refused');
      expect(out.models.get(name)?.servedName).toBeUndefined();
    }
  });
});

describe('mergeConditions', () => {
  it('keeps lastTransitionTime while the status holds, and moves it on a flip', () => {
    const prev = [
      { type: 'Ready', status: 'True' as const, reason: 'Served', message: 'x', lastTransitionTime: 'then' },
    ];
    expect(
      mergeConditions(prev, [{ type: 'Ready', status: 'True', reason: 'Served', message: 'y' }], 'now')[0]
        ?.lastTransitionTime,
    ).toBe('then');
    expect(
      mergeConditions(prev, [{ type: 'Ready', status: 'False', reason: 'AccountMissing', message: 'z' }], 'now')[0]
        ?.lastTransitionTime,
    ).toBe('now');
  });

  it('compares statuses regardless of key order and undefined fields', () => {
    expect(sameStatus({ a: 1, b: { c: 2, d: undefined } }, { b: { c: 2 }, a: 1 })).toBe(true);
    expect(sameStatus({ a: 1 }, { a: 2 })).toBe(false);
  });
});
