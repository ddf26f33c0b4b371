/**
 * A caller that goes away mid-request or mid-stream aborts the upstream call: the gateway destroys its
 * Bedrock request instead of paying for tokens nobody reads (DESIGN.md, Upstream behaviour).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_KEY, NOVA_LITE } from '../helpers/config-dir.js';
import { type Stack, startStack } from '../helpers/stack.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';

let stack: Stack;
let proxy: TcpProxy;
const LONG_REPLY = Array.from({ length: 200 }, (_, i) => `word${i}`).join(' ');

beforeAll(async () => {
  stack = await startStack({
    endpointUrl: async (emulatorUrl) => {
      proxy = await startTcpProxy(emulatorUrl);
      return proxy.url;
    },
  });
});
afterAll(async () => {
  await stack?.close();
  await proxy?.close();
});

function post(body: unknown, signal: AbortSignal): Promise<Response> {
  return fetch(`${stack.gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${DEMO_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal,
  });
}

async function inflight(): Promise<number> {
  const text = await (await fetch(`${stack.gateway.admin!.url}/metrics`)).text();
  const match = /aigw_inflight_requests\{route="chat"\} (\d+)/.exec(text);
  return Number(match?.[1] ?? 0);
}

describe('client disconnect', () => {
  it('aborts the upstream stream when the caller disconnects mid-stream', async () => {
    stack.emulator.state.latency = { fixedMs: 0, timeToFirstTokenMs: 0, interTokenDelayMs: 25 };
    const controller = new AbortController();
    const res = await post(
      { model: NOVA_LITE, stream: true, messages: [{ role: 'user', content: `[[reply:${LONG_REPLY}]]` }] },
      controller.signal,
    );
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toContain('data: ');
    const closedBefore = proxy.closedByGateway;
    const upstreamClosed = proxy.nextGatewayClose();
    const startedAt = Date.now();
    controller.abort();
    await upstreamClosed;
    // The full reply would take 200 × 25 ms = 5 s; the upstream connection went away at once.
    expect(Date.now() - startedAt).toBeLessThan(1500);
    expect(proxy.closedByGateway).toBe(closedBefore + 1);
    await expect.poll(inflight, { timeout: 2000 }).toBe(0);
  });

  it('aborts a non-streaming upstream call when the caller gives up waiting', async () => {
    stack.emulator.state.latency = { fixedMs: 3000, timeToFirstTokenMs: 0, interTokenDelayMs: 0 };
    try {
      const controller = new AbortController();
      const pending = post(
        { model: NOVA_LITE, messages: [{ role: 'user', content: 'slow one' }] },
        controller.signal,
      ).catch((e: unknown) => e);
      await new Promise((r) => setTimeout(r, 200));
      const upstreamClosed = proxy.nextGatewayClose();
      const startedAt = Date.now();
      controller.abort();
      await upstreamClosed;
      expect(Date.now() - startedAt).toBeLessThan(1500);
      expect(await pending).toBeInstanceOf(Error);
      await expect.poll(inflight, { timeout: 2000 }).toBe(0);
    } finally {
      stack.emulator.state.latency = { fixedMs: 0, timeToFirstTokenMs: 0, interTokenDelayMs: 0 };
    }
  });

  it('keeps serving after disconnects', async () => {
    const res = await stack
      .client()
      .chat.completions.create({ model: NOVA_LITE, messages: [{ role: 'user', content: 'ok?' }] });
    expect(res.choices[0]?.message.content).toBe('Echo: ok?');
  });
});
