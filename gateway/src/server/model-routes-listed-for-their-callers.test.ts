/**
 * A ModelRoute (`route/<name>`) is listed by `GET /v1/models` and retrieved by `GET /v1/models/{id}` for
 * a caller who may use at least one of its targets, and is a 404 like any model for everyone else. Seen
 * through the official openai SDK.
 */
import OpenAI, { NotFoundError } from 'openai';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ConfigDir,
  DEMO_KEY,
  makeConfigDir,
  NOVA_LITE,
  OUTSIDER_KEY,
  OUTSIDER_KEY_MANIFEST,
} from '../../../test/helpers/config-dir.js';
import { FakeUpstream } from '../../../test/helpers/fake-upstream.js';
import { ManifestDirSource } from '../config/index.js';
import { type RunningGateway, startGateway } from './index.js';

const STRANGER_KEY = 'sk-aigw-stranger-2222222222222222';
// A second account that only the outsider may use, one model on it, and routes over both accounts.
const ROUTES = `apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: partner, namespace: default }
spec:
  provider: aws-bedrock
  region: us-west-2
  auth: { type: default }
  collaborators: [{ subject: "user:outsider@example.com", role: User }]
---
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: nova-lite-west, namespace: default }
spec: { account: partner, modelId: "amazon.nova-lite-v1:0" }
---
apiVersion: aigateway.dev/v1alpha1
kind: ModelRoute
metadata: { name: nova, namespace: default, creationTimestamp: "2026-03-04T05:06:07Z" }
spec:
  targets:
    - { model: amazon-nova-lite-v1-0, weight: 3 }
    - { model: nova-lite-west, priority: 1 }
---
apiVersion: aigateway.dev/v1alpha1
kind: ModelRoute
metadata: { name: demo-only, namespace: default }
spec: { targets: [{ model: amazon-nova-lite-v1-0 }] }
---
apiVersion: v1
kind: Secret
type: aigateway.dev/api-key
metadata: { name: stranger-key, namespace: default }
stringData: { token: ${STRANGER_KEY}, subject: "user:stranger@example.com" }
`;

let config: ConfigDir;
let gateway: RunningGateway;
const client = (apiKey: string) => new OpenAI({ apiKey, baseURL: `${gateway.url}/v1`, maxRetries: 0 });

beforeAll(async () => {
  config = await makeConfigDir({ extraFiles: { 'outsider.yaml': OUTSIDER_KEY_MANIFEST, 'routes.yaml': ROUTES } });
  gateway = await startGateway({
    source: new ManifestDirSource(config.dir),
    port: 0,
    adminPort: 0,
    upstream: new FakeUpstream(),
    logger: pino({ level: 'silent' }),
    mediaFetcher: null,
    watch: false,
  });
});
afterAll(async () => {
  await gateway?.close();
  await config?.remove();
});

async function ids(apiKey: string): Promise<string[]> {
  const out: string[] = [];
  for await (const m of client(apiKey).models.list()) out.push(m.id);
  return out;
}

describe('ModelRoutes in /v1/models', () => {
  it('lists a route, after the models, to every caller who may use one of its targets', async () => {
    const demo = await ids(DEMO_KEY);
    expect(demo).toContain(NOVA_LITE);
    // examples/ has route/haiku too.
    expect(demo.slice(-3)).toEqual(['route/demo-only', 'route/haiku', 'route/nova']);
    expect(demo.slice(0, -3).some((id) => id.startsWith('route/'))).toBe(false);
    // The outsider may use only the partner account: it sees the route through its one target, not demo-only.
    expect(await ids(OUTSIDER_KEY)).toEqual(['partner/nova-lite-west', 'route/nova']);
    expect(await ids(STRANGER_KEY)).toEqual([]);
  });

  it('retrieves a route as a model object owned by `route`, with its creation time', async () => {
    const model = await client(OUTSIDER_KEY).models.retrieve('route/nova');
    expect(model).toEqual({
      id: 'route/nova',
      object: 'model',
      created: Date.parse('2026-03-04T05:06:07Z') / 1000,
      owned_by: 'route',
    });
    const demoOnly = await client(DEMO_KEY).models.retrieve('route/demo-only');
    expect(demoOnly.id).toBe('route/demo-only');
    expect(Number.isInteger(demoOnly.created)).toBe(true);
  });

  it('answers 404 as for a model to a caller who may use no target, and for a route that does not exist', async () => {
    for (const [key, id] of [
      [OUTSIDER_KEY, 'route/demo-only'],
      [STRANGER_KEY, 'route/nova'],
      [DEMO_KEY, 'route/nowhere'],
    ] as const) {
      const err = await client(key)
        .models.retrieve(id)
        .catch((e: unknown) => e);
      expect(err, `${key} ${id}`).toBeInstanceOf(NotFoundError);
      const body = (err as NotFoundError).error as { code: string; message: string; param: string };
      expect(body.code).toBe('model_not_found');
      expect(body.message).toBe(`The model '${id}' does not exist or you do not have access to it.`);
      expect(body.param).toBe('model');
    }
  });
});
