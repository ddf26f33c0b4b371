/**
 * A stream is committed to its target once its first byte reached the caller: when that account fails
 * mid-stream, the caller gets what was sent so far and then the SSE error event (no `[DONE]`), and the
 * other account never hears of the request. A resend is the caller's decision.
 */
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  ROUTE_KEYS,
  type RouteStack,
  routeManifest,
  startRouteStack,
  TARGET_HEADER,
} from '../helpers/route-stack.js';

const NOVA = 'amazon.nova-lite-v1:0';
const TEXT = 'this answer breaks after a few words have already reached the caller';

let stack: RouteStack;
let a: RouteStack['accounts'][number];
let b: RouteStack['accounts'][number];
beforeAll(async () => {
  stack = await startRouteStack({
    accounts: 2,
    models: [
      { name: 'nova-a', account: 0, modelId: NOVA },
      { name: 'nova-b', account: 1, modelId: NOVA },
    ],
    // A first, B as the fallback a switch would go to.
    manifests: [
      routeManifest('committed', [
        { model: 'nova-a', priority: 0 },
        { model: 'nova-b', priority: 1 },
      ]),
      routeManifest(
        'breaks-midway',
        [
          { model: 'nova-a', priority: 0 },
          { model: 'nova-b', priority: 1 },
        ],
        { ejection: { consecutiveFailures: 2, baseEjectionSeconds: 60, maxEjectionSeconds: 60 } },
      ),
    ].join('---\n'),
  });
  [a, b] = stack.accounts as [typeof a, typeof b];
});
afterEach(async () => {
  await stack.resetAccounts();
});
afterAll(async () => {
  await stack?.close();
});

describe('a stream that fails after its first byte', () => {
  it('ends with the error through the openai SDK; the other account got no request', async () => {
    // messageStart, then text deltas: the exception comes after content reached the caller.
    await a.addFaults({ type: 'stream-error', afterEvents: 4, count: 1 });
    const { data: stream, response } = await stack
      .client()
      .chat.completions.create({ model: 'route/committed', stream: true, messages: [{ role: 'user', content: TEXT }] })
      .withResponse();
    expect(response.status).toBe(200);
    expect(response.headers.get(TARGET_HEADER)).toBe('acct-a/nova-a');
    let text = '';
    const err = await (async () => {
      try {
        for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(text.length).toBeGreaterThan(0);
    expect(`Echo: ${TEXT}`.startsWith(text)).toBe(true);
    expect(text).not.toBe(`Echo: ${TEXT}`);
    expect((await a.stats()).streams).toMatchObject({ started: 1, failed: 1 });
    expect(await b.calls()).toBe(0);
  });

  it('on the wire: the content chunks, then one error event in OpenAI shape, no [DONE]', async () => {
    await a.addFaults({ type: 'stream-error', afterEvents: 4, exception: 'throttlingException', count: 1 });
    const res = await fetch(`${stack.gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ROUTE_KEYS.all}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'route/committed', stream: true, messages: [{ role: 'user', content: TEXT }] }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const events = (await res.text())
      .trim()
      .split('\n\n')
      .map((e) => e.replace(/^data: /, ''));
    expect(events).not.toContain('[DONE]');
    const content = events
      .slice(0, -1)
      .map((e) => (JSON.parse(e) as { choices: { delta: { content?: string } }[] }).choices[0]?.delta.content ?? '')
      .join('');
    expect(content.length).toBeGreaterThan(0);
    const last = JSON.parse(events.at(-1) ?? '{}') as { error?: Record<string, unknown> };
    // A throttle mid-stream is still the caller's error: the stream cannot be resumed elsewhere.
    expect(last.error).toMatchObject({ code: 'rate_limit_exceeded' });
    expect(Object.keys(last.error ?? {}).sort()).toEqual(['code', 'message', 'param', 'type']);
    expect(await b.calls()).toBe(0);
  });

  // A stream is judged when it ends: breaking after its first event is a failure of its target.
  it('an account whose streams keep breaking mid-way is ejected: later streams start on the other one', async () => {
    // Every stream from A fails after content went out (a 5xx-class exception): each caller gets the
    // error, and the failures count towards A's ejection as failures before the first byte do.
    await a.addFaults({ type: 'stream-error', afterEvents: 4, exception: 'internalServerException' });
    const stream = async (): Promise<string | null> => {
      const { data, response } = await stack
        .client()
        .chat.completions.create({
          model: 'route/breaks-midway',
          stream: true,
          messages: [{ role: 'user', content: TEXT }],
        })
        .withResponse();
      try {
        for await (const _ of data) {
          // drain
        }
      } catch {
        // the mid-stream error of A's streams
      }
      return response.headers.get(TARGET_HEADER);
    };
    const targets: (string | null)[] = [];
    await eventually(async () => {
      targets.push(await stream());
      return targets.at(-1) === 'acct-b/nova-b' || targets.length >= 10;
    }, 'a stream to start on B');
    expect(targets.at(-1)).toBe('acct-b/nova-b');
    expect(await stack.metric('aigw_route_ejections_total', { route: 'breaks-midway', target: 'acct-a/nova-a' })).toBe(
      1,
    );
    // Never switched: every stream A started failed on A; B only ever got the ones that started there.
    expect((await a.stats()).streams).toMatchObject({ started: targets.length - 1, failed: targets.length - 1 });
    expect(await b.calls('ConverseStream')).toBe(1);
  });
});
