import { describe, expect, it } from 'vitest';
import { compileConfig } from './compile.js';
import { parseManifestText } from './load.js';
import type { ResourceSet } from './types.js';

const BASE = `apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: prod }
spec: { provider: aws-bedrock, region: us-east-1, auth: { type: default } }
---
apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: lab }
spec: { provider: aws-bedrock, region: us-east-1, auth: { type: default } }
---
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: claude, labels: { tier: premium } }
spec: { account: prod, modelId: anthropic.claude-3-haiku-20240307-v1:0 }
---
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: nova }
spec: { account: prod, modelId: amazon.nova-lite-v1:0 }
---
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: nova-lab, labels: { tier: cheap } }
spec: { account: lab, modelId: amazon.nova-lite-v1:0 }
`;

function compile(policies: string) {
  const resources: ResourceSet = { accounts: [], models: [], secrets: [], usagePolicies: [] };
  parseManifestText(`${BASE}---\n${policies}`, 'test.yaml', resources);
  return compileConfig(resources, { namespace: 'default' });
}

const policy = (name: string, spec: string) =>
  `apiVersion: aigateway.dev/v1alpha1\nkind: UsagePolicy\nmetadata: { name: ${name} }\nspec: ${spec}\n`;

describe('UsagePolicy compilation', () => {
  it('applies defaults and resolves accounts, names and label selectors to served models (their union)', () => {
    const { config, problems } = compile(
      [
        policy('everyone', '{ limits: { requestsPerMinute: 10 } }'),
        policy(
          'premium',
          '{ subjects: ["team:ml", "user:bob"], per: subject, accounts: [lab], modelSelector: { matchLabels: { tier: premium } }, limits: { usdPerDay: 5, tokensPerMinute: 1000, tokenCount: output }, timeZone: Europe/Berlin, failureMode: closed }',
        ),
        policy('by-name', '{ models: [nova], guardrail: { guardrailIdentifier: abc123, guardrailVersion: "2" } }'),
        policy(
          'expr',
          '{ modelSelector: { matchExpressions: [{ key: tier, operator: NotIn, values: [premium] }] }, limits: { concurrentRequests: 2 } }',
        ),
      ].join('---\n'),
    );
    expect(problems).toEqual([]);
    const byName = Object.fromEntries((config.usagePolicies ?? []).map((p) => [p.name, p]));
    expect(byName.everyone).toEqual({
      id: 'default/everyone',
      name: 'everyone',
      subjects: [],
      per: 'shared',
      limits: { requestsPerMinute: 10, tokenCount: 'total' },
      timeZone: 'UTC',
      failureMode: 'open',
    });
    expect(byName.premium?.models).toEqual(['lab/nova-lab', 'prod/claude']);
    expect(byName.premium?.per).toBe('subject');
    expect(byName.premium?.subjects).toEqual(['team:ml', 'user:bob']);
    expect(byName.premium?.limits).toEqual({ usdPerDay: 5, tokensPerMinute: 1000, tokenCount: 'output' });
    expect(byName.premium?.timeZone).toBe('Europe/Berlin');
    expect(byName['by-name']?.models).toEqual(['prod/nova']);
    expect(byName['by-name']?.guardrail).toEqual({ guardrailIdentifier: 'abc123', guardrailVersion: '2' });
    expect(byName.expr?.models).toEqual(['lab/nova-lab', 'prod/nova']);
  });

  it('reports every wrong field with its path and leaves the policy out', () => {
    const { config, problems } = compile(
      policy(
        'bad',
        '{ subjects: ["bob"], per: each, limits: { requestsPerMinute: 0, usdPerDay: -1, tokenCount: words, rpm: 3 }, timeZone: Mars/Olympus, failureMode: maybe, guardrail: { guardrailIdentifier: "x y", guardrailVersion: "v1" } }',
      ),
    );
    expect(config.usagePolicies).toBeUndefined();
    expect(problems.map((p) => `${p.kind} ${p.path}`).sort()).toEqual(
      [
        'UsagePolicy spec.failureMode',
        'UsagePolicy spec.guardrail.guardrailIdentifier',
        'UsagePolicy spec.guardrail.guardrailVersion',
        'UsagePolicy spec.limits.requestsPerMinute',
        'UsagePolicy spec.limits.rpm',
        'UsagePolicy spec.limits.tokenCount',
        'UsagePolicy spec.limits.usdPerDay',
        'UsagePolicy spec.per',
        'UsagePolicy spec.subjects[0]',
        'UsagePolicy spec.timeZone',
      ].sort(),
    );
  });

  it('requires a limit or a guardrail, and unique names', () => {
    const { problems } = compile(
      [
        policy('empty', '{ subjects: ["user:a"] }'),
        policy('dup', '{ limits: { requestsPerMinute: 1 } }'),
        policy('dup', '{ limits: { requestsPerMinute: 2 } }'),
      ].join('---\n'),
    );
    expect(problems.map((p) => [p.name, p.path, p.message])).toEqual([
      ['empty', 'spec', 'must set at least one limit in spec.limits or a spec.guardrail'],
      ['dup', 'metadata.name', "duplicate UsagePolicy 'dup'"],
    ]);
  });

  it('leaves configs without policies (and their revisions) as they were', () => {
    const a = compile('');
    expect(a.config.usagePolicies).toBeUndefined();
    const b = compile(policy('p', '{ limits: { requestsPerMinute: 1 } }'));
    expect(b.config.revision).not.toBe(a.config.revision);
  });
});

describe('the README example', () => {
  it('compiles without problems', async () => {
    const { readFileSync } = await import('node:fs');
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const block = /## Limits and budgets[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    const { config, problems } = compile(block as string);
    expect(problems).toEqual([]);
    expect(config.usagePolicies?.map((p) => [p.name, p.per, p.subjects, p.limits])).toEqual([
      ['ml-budget', 'shared', ['team:ml'], { usdPerDay: 50, tokenCount: 'total' }],
      ['user-rpm', 'subject', [], { requestsPerMinute: 60, tokenCount: 'total' }],
    ]);
  });
});
