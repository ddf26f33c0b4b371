import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { compileConfig } from './compile.js';
import { parseManifestText } from './load.js';
import { MODEL_ROUTE_DEFAULTS, MODEL_ROUTE_LIMITS, ROUTE_REASONS, routeEjectionKey } from './model-route.js';
import { buildSnapshot, type Caller, mayUseRoute, usableTargets } from './snapshot.js';
import type { ResourceSet } from './types.js';

const account = (name: string, region: string, collaborator: string) => `apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: ${name} }
spec:
  provider: aws-bedrock
  region: ${region}
  auth: { type: default }
  collaborators: [{ subject: "${collaborator}", role: User }]
`;
const model = (name: string, accountName: string, modelId: string) => `apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: ${name} }
spec: { account: ${accountName}, modelId: "${modelId}" }
`;
const route = (name: string, spec: string, extra = '') => `apiVersion: aigateway.dev/v1alpha1
kind: ModelRoute
metadata: { name: ${name}${extra} }
spec: ${spec}
`;

const BASE = [
  account('east', 'us-east-1', 'team:a'),
  account('west', 'us-west-2', 'team:b'),
  model('haiku', 'east', 'anthropic.claude-3-haiku-20240307-v1:0'),
  model('haiku-west', 'west', 'anthropic.claude-3-haiku-20240307-v1:0'),
  model('titan', 'east', 'amazon.titan-embed-text-v2:0'),
  // A Model of an account that does not exist: declared, never served.
  model('orphan', 'nowhere', 'anthropic.claude-3-haiku-20240307-v1:0'),
];

function compile(...docs: string[]) {
  const resources: ResourceSet = { accounts: [], models: [], secrets: [] };
  parseManifestText([...BASE, ...docs].join('---\n'), 'test.yaml', resources);
  return compileConfig(resources, { namespace: 'default' });
}
const routeProblems = (r: ReturnType<typeof compile>) =>
  r.problems
    .filter((p) => p.kind === 'ModelRoute')
    .map((p) => ({ name: p.name, path: p.path, reason: p.reason, message: p.message }));

describe('ModelRoute compilation', () => {
  it('serves route/<name> over the targets resolved to account/model, with every default', () => {
    const r = compile(
      route(
        'claude',
        '{ targets: [{ model: haiku }, { model: haiku-west }] }',
        ', creationTimestamp: "2026-01-02T03:04:05Z"',
      ),
    );
    expect(routeProblems(r)).toEqual([]);
    expect(r.config.routes).toEqual([
      {
        servedName: 'route/claude',
        name: 'claude',
        type: 'chat',
        targets: [
          { servedName: 'east/haiku', weight: 1, priority: 0 },
          { servedName: 'west/haiku-west', weight: 1, priority: 0 },
        ],
        retryOn: ['throttle', '5xx', 'timeout', 'connect'],
        maxAttempts: 2,
        ejection: { consecutiveFailures: 3, baseSeconds: 10, maxSeconds: 300 },
        promptCacheAffinity: true,
        created: Date.parse('2026-01-02T03:04:05Z') / 1000,
      },
    ]);
    expect(MODEL_ROUTE_DEFAULTS).toMatchObject({ weight: 1, priority: 0, consecutiveFailures: 3 });
  });

  it('keeps every field given, in the documented order of retryOn', () => {
    const r = compile(
      route(
        'claude',
        `{ targets: [{ model: haiku, weight: 3, priority: 1 }, { model: haiku-west, weight: 0, priority: 0 }],
           policy: { retryOn: [timeout, throttle], maxAttempts: 2, promptCacheAffinity: false,
                     ejection: { consecutiveFailures: 5, baseEjectionSeconds: 30, maxEjectionSeconds: 600 } } }`,
      ),
    );
    expect(routeProblems(r)).toEqual([]);
    expect(r.config.routes?.[0]).toMatchObject({
      targets: [
        { servedName: 'east/haiku', weight: 3, priority: 1 },
        { servedName: 'west/haiku-west', weight: 0, priority: 0 },
      ],
      retryOn: ['throttle', 'timeout'],
      maxAttempts: 2,
      ejection: { consecutiveFailures: 5, baseSeconds: 30, maxSeconds: 600 },
      promptCacheAffinity: false,
    });
  });

  it('skips an unknown target Model and a Model that is not served, naming each, and serves the rest', () => {
    const r = compile(
      route(
        'claude',
        '{ targets: [{ model: haiku }, { model: ghost }, { model: orphan }], policy: { maxAttempts: 3 } }',
      ),
    );
    expect(routeProblems(r)).toEqual([
      {
        name: 'claude',
        path: 'spec.targets[1].model',
        reason: ROUTE_REASONS.unknownModel,
        message: "Model 'ghost' not found in this namespace; the route skips it",
      },
      {
        name: 'claude',
        path: 'spec.targets[2].model',
        reason: ROUTE_REASONS.modelNotReady,
        message: "Model 'orphan' has problems and is not served; the route skips it",
      },
    ]);
    expect(r.config.routes?.[0]?.targets.map((t) => t.servedName)).toEqual(['east/haiku']);
    expect(r.config.routes?.[0]?.maxAttempts).toBe(1);
  });

  it('refuses a route whose targets differ in type, naming the types and their Models', () => {
    const r = compile(route('mixed', '{ targets: [{ model: haiku }, { model: titan }, { model: haiku-west }] }'));
    expect(r.config.routes).toBeUndefined();
    expect(routeProblems(r)).toEqual([
      {
        name: 'mixed',
        path: 'spec.targets',
        reason: ROUTE_REASONS.typeMismatch,
        message:
          'targets differ in type: chat (haiku, haiku-west), embedding (titan); every target of a route must be of one type (chat, embedding or image)',
      },
    ]);
  });

  it('does not compile a route with no served target left', () => {
    const r = compile(route('empty', '{ targets: [{ model: ghost }] }'));
    expect(r.config.routes).toBeUndefined();
    expect(routeProblems(r).map((p) => p.reason)).toEqual([ROUTE_REASONS.unknownModel, ROUTE_REASONS.noTargets]);
    expect(routeProblems(r)[1]?.message).toContain('no target is served');
  });

  it('reports a repeated target and keeps the first', () => {
    const r = compile(route('claude', '{ targets: [{ model: haiku, weight: 2 }, { model: haiku, weight: 5 }] }'));
    expect(routeProblems(r)).toEqual([
      {
        name: 'claude',
        path: 'spec.targets[1].model',
        reason: ROUTE_REASONS.duplicateTarget,
        message: "Model 'haiku' is already a target of this route",
      },
    ]);
    expect(r.config.routes?.[0]?.targets).toEqual([{ servedName: 'east/haiku', weight: 2, priority: 0 }]);
  });

  it("refuses route/<name> when a ProviderAccount named 'route' already serves that name; the Model keeps it", () => {
    const r = compile(
      account('route', 'us-east-1', 'team:a'),
      model('claude', 'route', 'anthropic.claude-3-haiku-20240307-v1:0'),
      route('claude', '{ targets: [{ model: haiku }] }'),
      route('other', '{ targets: [{ model: haiku }] }'),
    );
    expect(r.config.models.map((m) => m.servedName)).toContain('route/claude');
    expect(r.config.routes?.map((x) => x.servedName)).toEqual(['route/other']);
    const [clash] = routeProblems(r);
    expect(clash).toMatchObject({ name: 'claude', path: 'metadata.name', reason: ROUTE_REASONS.nameClash });
    expect(clash?.message).toContain("served name 'route/claude' is already served by Model 'claude'");
    expect(clash?.message).toContain('the Model keeps it');
  });

  it('rejects wrong fields with their paths, and never half-compiles a route', () => {
    const cases: [string, string, string][] = [
      ['{ targets: [] }', 'spec.targets', 'at least one target'],
      ['{ targets: [{ model: haiku, weight: 1001 }] }', 'spec.targets[0].weight', 'from 0 to 1000'],
      ['{ targets: [{ model: haiku, weight: 1.5 }] }', 'spec.targets[0].weight', 'integer'],
      ['{ targets: [{ model: haiku, priority: -1 }] }', 'spec.targets[0].priority', 'from 0 to 100'],
      ['{ targets: [{ model: haiku, wieght: 2 }] }', 'spec.targets[0].wieght', 'unknown field'],
      ['{ targets: [{ model: haiku, weight: 0 }] }', 'spec.targets', 'weight above 0'],
      [
        '{ targets: [{ model: haiku }], policy: { retryOn: [throttle, 4xx] } }',
        'spec.policy.retryOn[1]',
        'must be one of',
      ],
      ['{ targets: [{ model: haiku }], policy: { retryOn: [5xx, 5xx] } }', 'spec.policy.retryOn[1]', 'listed twice'],
      ['{ targets: [{ model: haiku }], policy: { maxAttempts: 0 } }', 'spec.policy.maxAttempts', 'from 1 to 16'],
      [
        '{ targets: [{ model: haiku }, { model: haiku-west }], policy: { maxAttempts: 3 } }',
        'spec.policy.maxAttempts',
        'must not exceed the number of targets (2)',
      ],
      [
        '{ targets: [{ model: haiku }], policy: { ejection: { baseEjectionSeconds: 600 } } }',
        'spec.policy.ejection.baseEjectionSeconds',
        'must not exceed maxEjectionSeconds (300, the default)',
      ],
      [
        '{ targets: [{ model: haiku }], policy: { ejection: { consecutiveFailures: 0 } } }',
        'spec.policy.ejection.consecutiveFailures',
        'from 1 to 100',
      ],
      [
        '{ targets: [{ model: haiku }], policy: { promptCacheAffinity: "yes" } }',
        'spec.policy.promptCacheAffinity',
        'true or false',
      ],
      ['{ targets: [{ model: haiku }], routing: {} }', 'spec.routing', 'unknown field'],
    ];
    for (const [spec, path, words] of cases) {
      const r = compile(route('bad', spec));
      expect(r.config.routes, spec).toBeUndefined();
      const found = routeProblems(r).find((p) => p.path === path);
      expect(found?.message, spec).toContain(words);
    }
  });

  it('reports a repeated route name once and serves the first', () => {
    const r = compile(
      route('claude', '{ targets: [{ model: haiku }] }'),
      route('claude', '{ targets: [{ model: titan }] }'),
    );
    expect(r.config.routes?.map((x) => x.type)).toEqual(['chat']);
    expect(routeProblems(r)).toMatchObject([{ path: 'metadata.name', reason: ROUTE_REASONS.nameClash }]);
  });

  it('leaves configs without routes (and their revisions) as they were', () => {
    const without = compile();
    expect(without.config.routes).toBeUndefined();
    expect(Object.keys(without.config)).not.toContain('routes');
    const withRoute = compile(route('claude', '{ targets: [{ model: haiku }] }'));
    expect(withRoute.config.revision).not.toBe(without.config.revision);
  });

  it('names the shared-store hash of a route’s ejections', () => {
    expect(routeEjectionKey('ai', 'claude')).toBe('aigw:route:{ai/claude}:ejected');
  });
});

describe('route index of the snapshot', () => {
  const r = compile(route('claude', '{ targets: [{ model: haiku, weight: 2 }, { model: haiku-west, priority: 1 }] }'));
  const snapshot = buildSnapshot(r.config, r.credentials);
  const caller = (...accounts: string[]) => ({ accounts: new Set(accounts) }) as unknown as Caller;

  it('resolves each target to its served model, frozen', () => {
    const served = snapshot.routes.get('route/claude');
    expect(served?.route.type).toBe('chat');
    expect(served?.targets.map((t) => [t.servedName, t.weight, t.priority, t.served.model.region])).toEqual([
      ['east/haiku', 2, 0, 'us-east-1'],
      ['west/haiku-west', 1, 1, 'us-west-2'],
    ]);
    expect(served?.targets[0]?.served).toBe(snapshot.models.get('east/haiku'));
    expect(Object.isFrozen(served)).toBe(true);
    expect(Object.isFrozen(served?.targets)).toBe(true);
    expect(Object.isFrozen(served?.route.targets)).toBe(true);
  });

  it('gives a caller only the targets of accounts that list it, and none to a stranger', () => {
    const served = snapshot.routes.get('route/claude');
    if (!served) throw new Error('route missing');
    expect(usableTargets(served, caller('east', 'west'))).toBe(served.targets);
    expect(usableTargets(served, caller('west')).map((t) => t.servedName)).toEqual(['west/haiku-west']);
    expect(usableTargets(served, caller('east')).map((t) => t.servedName)).toEqual(['east/haiku']);
    expect(usableTargets(served, caller('elsewhere'))).toEqual([]);
    expect(mayUseRoute(served, caller('west'))).toBe(true);
    expect(mayUseRoute(served, caller())).toBe(false);
  });

  it('drops targets a hand-written compiled config names without a model', () => {
    const config = structuredClone(r.config);
    config.routes?.[0]?.targets.push({ servedName: 'east/missing', weight: 1, priority: 0 });
    const s = buildSnapshot(config, r.credentials);
    expect(s.routes.get('route/claude')?.targets.map((t) => t.servedName)).toEqual(['east/haiku', 'west/haiku-west']);
  });
});

describe('the ModelRoute CRD and the compiler', () => {
  type Node = {
    default?: unknown;
    minimum?: number;
    maximum?: number;
    maxItems?: number;
    properties?: Record<string, Node>;
    items?: Node;
  };
  const crd = parse(readFileSync(new URL('../../../crds/modelroutes.aigateway.dev.yaml', import.meta.url), 'utf8')) as {
    spec: { versions: { schema: { openAPIV3Schema: Node } }[] };
  };
  const spec = crd.spec.versions[0]?.schema.openAPIV3Schema.properties?.spec as Node;
  const at = (path: string) =>
    path.split('.').reduce<Node | undefined>((n, key) => (key === '[]' ? n?.items : n?.properties?.[key]), spec);

  it('default the same values', () => {
    expect(at('targets.[].weight')?.default).toBe(MODEL_ROUTE_DEFAULTS.weight);
    expect(at('targets.[].priority')?.default).toBe(MODEL_ROUTE_DEFAULTS.priority);
    expect(at('policy.retryOn')?.default).toEqual([...MODEL_ROUTE_DEFAULTS.retryOn]);
    expect(at('policy.ejection.consecutiveFailures')?.default).toBe(MODEL_ROUTE_DEFAULTS.consecutiveFailures);
    expect(at('policy.ejection.baseEjectionSeconds')?.default).toBe(MODEL_ROUTE_DEFAULTS.baseEjectionSeconds);
    expect(at('policy.ejection.maxEjectionSeconds')?.default).toBe(MODEL_ROUTE_DEFAULTS.maxEjectionSeconds);
    expect(at('policy.promptCacheAffinity')?.default).toBe(MODEL_ROUTE_DEFAULTS.promptCacheAffinity);
  });

  it('bound the same fields', () => {
    expect(at('targets')?.maxItems).toBe(MODEL_ROUTE_LIMITS.maxTargets);
    expect(at('targets.[].weight')?.maximum).toBe(MODEL_ROUTE_LIMITS.maxWeight);
    expect(at('targets.[].priority')?.maximum).toBe(MODEL_ROUTE_LIMITS.maxPriority);
    expect(at('policy.maxAttempts')?.maximum).toBe(MODEL_ROUTE_LIMITS.maxTargets);
    expect(at('policy.ejection.consecutiveFailures')?.maximum).toBe(MODEL_ROUTE_LIMITS.maxConsecutiveFailures);
    expect(at('policy.ejection.baseEjectionSeconds')?.maximum).toBe(MODEL_ROUTE_LIMITS.maxBaseEjectionSeconds);
    expect(at('policy.ejection.maxEjectionSeconds')?.maximum).toBe(MODEL_ROUTE_LIMITS.maxMaxEjectionSeconds);
  });
});
