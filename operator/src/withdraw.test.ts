import { describe, expect, it } from 'vitest';
import {
  compileConfig,
  type Model,
  type ModelRoute,
  type ProviderAccount,
  ROUTE_REASONS,
  type Secret,
} from '../../gateway/src/config/index.js';
import type { CredentialCheck } from './status.js';
import { isRefused, withdrawRefusedAccounts } from './withdraw.js';

const NS = 'ai';
const account = (name: string, secret: string): ProviderAccount => ({
  apiVersion: 'aigateway.dev/v1alpha1',
  kind: 'ProviderAccount',
  metadata: { name, namespace: NS },
  spec: {
    provider: 'aws-bedrock',
    region: 'us-east-1',
    auth: { type: 'accessKey', accessKey: { secretRef: { name: secret } } },
  },
});
const model = (name: string, accountName: string): Model => ({
  apiVersion: 'aigateway.dev/v1alpha1',
  kind: 'Model',
  metadata: { name, namespace: NS },
  spec: { account: accountName, modelId: 'anthropic.claude-3-haiku-20240307-v1:0' },
});
const keys = (name: string, secretKey: string): Secret => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, namespace: NS },
  stringData: { AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE', AWS_SECRET_ACCESS_KEY: secretKey },
});

const accounts = [account('good', 'good-keys'), account('bad', 'bad-keys')];
const models = [model('haiku', 'good'), model('haiku-2', 'bad'), model('other', 'bad')];
const compiled = compileConfig(
  { accounts, models, secrets: [keys('good-keys', 'good-secret'), keys('bad-keys', 'refused-secret')] },
  { namespace: NS },
);
const check = (status: CredentialCheck['status'], reason: string): CredentialCheck => ({
  status,
  reason,
  message: `${reason}: from AWS`,
});

describe('withdrawRefusedAccounts', () => {
  it('removes a refused account, its models and its credentials, and changes the revision', () => {
    const out = withdrawRefusedAccounts(compiled, new Map([['bad', check('False', 'AccessDenied')]]), models);
    expect(out.config.accounts.map((a) => a.name)).toEqual(['good']);
    expect(out.config.models.map((m) => m.servedName)).toEqual(['good/haiku']);
    expect(Object.keys(out.credentials.accounts)).toEqual(['good']);
    expect(JSON.stringify(out)).not.toContain('refused-secret');
    expect(out.config.revision).not.toBe(compiled.config.revision);
    expect(out.credentials.revision).toBe(out.config.revision);
    expect(out.problems.filter((p) => p.kind === 'Model').map((p) => [p.name, p.path])).toEqual([
      ['haiku-2', 'spec.account'],
      ['other', 'spec.account'],
    ]);
    expect(out.problems[0]?.message).toContain("ProviderAccount 'bad' is out of service");
    expect(out.problems[0]?.object).toBe(models[1]);
  });

  it('skips route targets on a refused account, and drops a route left without targets', () => {
    const route = (name: string, targets: string[]): ModelRoute => ({
      apiVersion: 'aigateway.dev/v1alpha1',
      kind: 'ModelRoute',
      metadata: { name, namespace: NS },
      spec: { targets: targets.map((model) => ({ model })) },
    });
    const routes = [route('mixed', ['haiku-2', 'haiku', 'other']), route('bad-only', ['other'])];
    const withRoutes = compileConfig(
      {
        accounts,
        models,
        secrets: [keys('good-keys', 'good-secret'), keys('bad-keys', 'refused-secret')],
        modelRoutes: routes,
      },
      { namespace: NS },
    );
    expect(withRoutes.config.routes?.map((r) => r.name)).toEqual(['bad-only', 'mixed']);
    const out = withdrawRefusedAccounts(withRoutes, new Map([['bad', check('False', 'AccessDenied')]]), models, routes);
    expect(out.config.routes).toEqual([
      {
        ...withRoutes.config.routes?.[1],
        targets: [{ servedName: 'good/haiku', weight: 1, priority: 0 }],
        maxAttempts: 1,
      },
    ]);
    expect(
      out.problems
        .filter((p) => p.kind === 'ModelRoute')
        .map((p) => [p.name, p.path, p.reason, p.object === routes[0] || p.object === routes[1]]),
    ).toEqual([
      ['bad-only', 'spec.targets[0].model', ROUTE_REASONS.modelNotReady, true],
      ['bad-only', 'spec.targets', ROUTE_REASONS.noTargets, true],
      ['mixed', 'spec.targets[0].model', ROUTE_REASONS.modelNotReady, true],
      ['mixed', 'spec.targets[2].model', ROUTE_REASONS.modelNotReady, true],
    ]);
    expect(out.problems.find((p) => p.name === 'mixed')?.message).toContain(
      "Model 'haiku-2' is not served: ProviderAccount 'bad' is out of service",
    );
  });

  it.each([
    ['Timeout', check('False', 'Timeout')],
    ['CheckFailed', check('False', 'CheckFailed')],
    ['NotVerifiable', check('Unknown', 'NotVerifiable')],
    ['Verified', check('True', 'Verified')],
  ])('keeps an account whose check ended in %s in service', (_reason, c) => {
    expect(withdrawRefusedAccounts(compiled, new Map([['bad', c]]), models)).toBe(compiled);
    expect(isRefused(c)).toBe(false);
  });

  it('keeps a role assumed from the default chain in service: the operator checked with its own identity', () => {
    const role = (name: string, sourceSecretRef?: { name: string }): ProviderAccount => ({
      apiVersion: 'aigateway.dev/v1alpha1',
      kind: 'ProviderAccount',
      metadata: { name, namespace: NS },
      spec: {
        provider: 'aws-bedrock',
        region: 'us-east-1',
        auth: {
          type: 'assumeRole',
          assumeRole: {
            roleArn: 'arn:aws:iam::111122223333:role/Bedrock',
            ...(sourceSecretRef ? { sourceSecretRef } : {}),
          },
        },
      },
    });
    const roles = compileConfig(
      {
        accounts: [role('ambient-role'), role('keyed-role', { name: 'good-keys' })],
        models: [model('a', 'ambient-role'), model('k', 'keyed-role')],
        secrets: [keys('good-keys', 'good-secret')],
      },
      { namespace: NS },
    );
    const refused = check('False', 'AccessDenied');
    const out = withdrawRefusedAccounts(
      roles,
      new Map([
        ['ambient-role', refused],
        ['keyed-role', refused],
      ]),
      [],
    );
    expect(out.config.accounts.map((a) => a.name)).toEqual(['ambient-role']);
    expect(out.config.models.map((m) => m.servedName)).toEqual(['ambient-role/a']);
  });

  it('keeps an account in service while its check runs (no result yet)', () => {
    expect(withdrawRefusedAccounts(compiled, new Map(), models)).toBe(compiled);
  });

  it('yields the same revision as a compile without the account, so gateways see one config', () => {
    const out = withdrawRefusedAccounts(compiled, new Map([['bad', check('False', 'AccessDenied')]]), models);
    const without = compileConfig(
      {
        accounts: [accounts[0] as ProviderAccount],
        models: [models[0] as Model],
        secrets: [keys('good-keys', 'good-secret')],
      },
      { namespace: NS },
    );
    expect(out.config).toEqual(without.config);
  });
});
