/**
 * Access through a route follows the accounts: a caller uses a route only through targets whose account
 * lists it as a collaborator. A caller of one account is routed only there (whatever the weights say) and
 * sees the route in /v1/models; a caller of none gets 404 `model_not_found`, as for a model that does not
 * exist, and does not see the route listed.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  inParallel,
  ROUTE_KEYS,
  type RouteStack,
  routeManifest,
  startRouteStack,
  TARGET_HEADER,
} from '../helpers/route-stack.js';

const NOVA = 'amazon.nova-lite-v1:0';

let stack: RouteStack;
beforeAll(async () => {
  stack = await startRouteStack({
    accounts: 2,
    models: [
      { name: 'nova-a', account: 0, modelId: NOVA },
      { name: 'nova-b', account: 1, modelId: NOVA },
    ],
    manifests: [
      // Weighted towards B, the account the one-account caller may not use.
      routeManifest('shared', [
        { model: 'nova-a', weight: 1 },
        { model: 'nova-b', weight: 9 },
      ]),
      routeManifest('b-only', [{ model: 'nova-b' }]),
    ].join('---\n'),
  });
});
afterAll(async () => {
  await stack?.close();
});

async function listed(key: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const model of stack.client(key).models.list()) ids.push(model.id);
  return ids;
}

async function notFound(promise: Promise<unknown>): Promise<void> {
  const err = await promise.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(OpenAI.NotFoundError);
  expect((err as InstanceType<typeof OpenAI.APIError>).code).toBe('model_not_found');
}

describe('a caller who may use one of the accounts', () => {
  it('is routed only to that account', async () => {
    const [a, b] = stack.accounts as [RouteStack['accounts'][number], RouteStack['accounts'][number]];
    const client = stack.client(ROUTE_KEYS.firstOnly);
    const targets = await inParallel(40, 8, async (i) => {
      const { data, response } = await client.chat.completions
        .create({ model: 'route/shared', messages: [{ role: 'user', content: `mine ${i}` }] })
        .withResponse();
      expect(data.choices[0]?.message.content).toBe(`Echo: mine ${i}`);
      return response.headers.get(TARGET_HEADER);
    });
    expect(new Set(targets)).toEqual(new Set(['acct-a/nova-a']));
    expect(await a.calls('Converse')).toBe(40);
    expect(await b.calls()).toBe(0);
  });

  it('sees the routes it can use in /v1/models and not the others', async () => {
    const ids = await listed(ROUTE_KEYS.firstOnly);
    expect(ids).toContain('route/shared');
    expect(ids).toContain('acct-a/nova-a');
    expect(ids).not.toContain('route/b-only');
    expect(ids).not.toContain('acct-b/nova-b');
    const route = await stack.client(ROUTE_KEYS.firstOnly).models.retrieve('route/shared');
    expect(route.id).toBe('route/shared');
    await notFound(stack.client(ROUTE_KEYS.firstOnly).models.retrieve('route/b-only'));
  });

  it('gets 404 for a route whose targets are all in accounts it may not use', async () => {
    await notFound(
      stack
        .client(ROUTE_KEYS.firstOnly)
        .chat.completions.create({ model: 'route/b-only', messages: [{ role: 'user', content: 'not mine' }] }),
    );
    expect(await stack.accounts[1]?.calls()).toBe(0);
  });
});

describe('a caller who may use none of the accounts', () => {
  it('gets 404 model_not_found for the route, as for an unknown model, and no account is called', async () => {
    const client = stack.client(ROUTE_KEYS.none);
    const before = await Promise.all(stack.accounts.map((a) => a.calls()));
    await notFound(
      client.chat.completions.create({ model: 'route/shared', messages: [{ role: 'user', content: 'x' }] }),
    );
    await notFound(client.models.retrieve('route/shared'));
    expect(await listed(ROUTE_KEYS.none)).toEqual([]);
    expect(await Promise.all(stack.accounts.map((a) => a.calls()))).toEqual(before);
  });
});

describe('a caller of every account', () => {
  it('sees both routes and is spread over both accounts', async () => {
    const ids = await listed(ROUTE_KEYS.all);
    expect(ids).toEqual(expect.arrayContaining(['route/shared', 'route/b-only', 'acct-a/nova-a', 'acct-b/nova-b']));
    const targets = await inParallel(40, 8, async (i) => {
      const { response } = await stack
        .client()
        .chat.completions.create({ model: 'route/shared', messages: [{ role: 'user', content: `all ${i}` }] })
        .withResponse();
      return response.headers.get(TARGET_HEADER);
    });
    // Weight 9 of 10 on B: 40 requests all landing on A has probability 10^-40.
    expect(targets).toContain('acct-b/nova-b');
  });
});
