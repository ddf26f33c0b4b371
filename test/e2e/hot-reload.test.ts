/**
 * Editing the config directory while requests run: every reload swaps the config atomically, so no
 * request fails; an invalid edit is rejected and the last good config keeps serving.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReloadOutcome } from '../../gateway/src/config/index.js';
import { NOVA_LITE } from '../helpers/config-dir.js';
import { type Stack, startStack } from '../helpers/stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

function nextReload(want: ReloadOutcome['result']): Promise<ReloadOutcome> {
  return new Promise((resolve) => stack.gateway.store.onReload((o) => o.result === want && resolve(o)));
}

/** A Model file whose content changes per version (an extra model appears and moves around). */
function extraModel(version: number): string {
  return `apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: reload-probe-${version}, namespace: default }
spec: { account: demo, modelId: amazon.nova-lite-v1:0, pricing: { inputPerMillionTokens: ${version} } }
`;
}

describe('hot reload', () => {
  it('serves without a single failed request through 10 reloads under load', async () => {
    const client = stack.client();
    let stop = false;
    let ok = 0;
    const failures: string[] = [];
    const worker = async (n: number) => {
      let i = 0;
      while (!stop) {
        i++;
        try {
          if (i % 3 === 0) {
            const stream = await client.chat.completions.create({
              model: NOVA_LITE,
              stream: true,
              messages: [{ role: 'user', content: `w${n} s${i}` }],
            });
            let text = '';
            for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
            if (text !== `Echo: w${n} s${i}`) failures.push(`stream w${n}/${i}: ${text}`);
          } else {
            const res = await client.chat.completions.create({
              model: NOVA_LITE,
              messages: [{ role: 'user', content: `w${n} r${i}` }],
            });
            if (res.choices[0]?.message.content !== `Echo: w${n} r${i}`)
              failures.push(`w${n}/${i}: ${res.choices[0]?.message.content}`);
          }
          ok++;
        } catch (err) {
          failures.push(`w${n}/${i}: ${(err as Error).message}`);
        }
      }
    };
    const workers = Array.from({ length: 8 }, (_, n) => worker(n));
    const revisions = new Set<string>([stack.gateway.store.current!.revision]);
    for (let version = 1; version <= 10; version++) {
      const loaded = nextReload('loaded');
      await stack.config.write('reload-probe.yaml', extraModel(version));
      const outcome = await loaded;
      if (outcome.result === 'loaded') revisions.add(outcome.revision);
      expect(stack.gateway.store.current?.models.has(`demo/reload-probe-${version}`)).toBe(true);
      await new Promise((r) => setTimeout(r, 30));
    }
    stop = true;
    await Promise.all(workers);
    expect(failures).toEqual([]);
    expect(revisions.size).toBe(11);
    expect(ok).toBeGreaterThan(50);
    const models = await stack.client().models.list();
    expect(models.data.map((m) => m.id)).toContain('demo/reload-probe-10');
    expect(models.data.map((m) => m.id)).not.toContain('demo/reload-probe-9');
  });

  it('keeps each model created time across reloads (it is not the reload time)', async () => {
    const before = await stack.client().models.retrieve(NOVA_LITE);
    await new Promise((r) => setTimeout(r, 1_100)); // a reload a second later would show a new time
    const loaded = nextReload('loaded');
    await stack.config.write('created-probe.yaml', extraModel(42));
    await loaded;
    const after = await stack.client().models.retrieve(NOVA_LITE);
    expect(after.created).toBe(before.created);
    const listed = (await stack.client().models.list()).data.find((m) => m.id === NOVA_LITE);
    expect(listed?.created).toBe(before.created);
  });

  it('rejects an invalid edit and keeps serving the last good config', async () => {
    const before = stack.gateway.store.current!.revision;
    const rejected = nextReload('rejected');
    await stack.config.write(
      'broken.yaml',
      'apiVersion: aigateway.dev/v1alpha1\nkind: Model\nmetadata: { name: broken }\nspec: { account: demo, modelId: "not a model id" }\n',
    );
    const outcome = await rejected;
    expect(outcome.result === 'rejected' && outcome.error).toMatch(
      /broken\.yaml#1 spec\.modelId: must be a Bedrock model id/,
    );
    expect(stack.gateway.store.current!.revision).toBe(before);
    const res = await stack
      .client()
      .chat.completions.create({ model: NOVA_LITE, messages: [{ role: 'user', content: 'still here' }] });
    expect(res.choices[0]?.message.content).toBe('Echo: still here');
    const ready = await fetch(`${stack.gateway.admin!.url}/readyz`);
    expect(ready.status).toBe(200);
    const metrics = await (await fetch(`${stack.gateway.admin!.url}/metrics`)).text();
    expect(metrics).toMatch(/aigw_config_reload_total\{result="rejected"\} [1-9]/);

    // Fixing the file brings the next revision in.
    const loaded = nextReload('loaded');
    await stack.config.write(
      'broken.yaml',
      'apiVersion: aigateway.dev/v1alpha1\nkind: Model\nmetadata: { name: fixed, namespace: default }\nspec: { account: demo, modelId: amazon.nova-lite-v1:0 }\n',
    );
    await loaded;
    const fixed = await stack
      .client()
      .chat.completions.create({ model: 'demo/fixed', messages: [{ role: 'user', content: 'fixed' }] });
    expect(fixed.choices[0]?.message.content).toBe('Echo: fixed');
  });

  it('lets a request that started before a reload finish on its snapshot, even if the reload removed its model', async () => {
    const added = nextReload('loaded');
    await stack.config.write(
      'doomed.yaml',
      'apiVersion: aigateway.dev/v1alpha1\nkind: Model\nmetadata: { name: doomed, namespace: default }\nspec: { account: demo, modelId: amazon.nova-lite-v1:0 }\n',
    );
    await added;
    stack.emulator.state.latency = { fixedMs: 600, timeToFirstTokenMs: 0, interTokenDelayMs: 0 };
    try {
      const inFlight = stack
        .client()
        .chat.completions.create({ model: 'demo/doomed', messages: [{ role: 'user', content: 'last words' }] });
      await new Promise((r) => setTimeout(r, 100));
      const removed = nextReload('loaded');
      await stack.config.write('doomed.yaml', '# removed\n');
      await removed;
      expect(stack.gateway.store.current?.models.has('demo/doomed')).toBe(false);
      expect((await inFlight).choices[0]?.message.content).toBe('Echo: last words');
    } finally {
      stack.emulator.state.latency = { fixedMs: 0, timeToFirstTokenMs: 0, interTokenDelayMs: 0 };
    }
    await expect(
      stack.client().chat.completions.create({ model: 'demo/doomed', messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toMatchObject({ status: 404 });
  });

  it('keeps assumed-role credentials across reloads (no STS call per reload)', async () => {
    const roleModel = 'demo-role/us-anthropic-claude-3-5-haiku-20241022-v1-0';
    await stack.client().chat.completions.create({ model: roleModel, messages: [{ role: 'user', content: 'warm' }] });
    const before = stack.emulator.state.stats.sts.AssumeRole ?? 0;
    for (let version = 20; version < 23; version++) {
      const loaded = nextReload('loaded');
      await stack.config.write('reload-probe.yaml', extraModel(version));
      await loaded;
      const res = await stack
        .client()
        .chat.completions.create({ model: roleModel, messages: [{ role: 'user', content: `v${version}` }] });
      expect(res.choices[0]?.message.content).toBe(`Echo: v${version}`);
    }
    expect(stack.emulator.state.stats.sts.AssumeRole ?? 0).toBe(before);
  });

  it('removing a caller key takes effect on the next request', async () => {
    const loaded = nextReload('loaded');
    await stack.config.write(
      'api-keys.yaml',
      (await stack.config.read('api-keys.yaml')).replace(
        'sk-aigw-demo-0000000000000000',
        'sk-aigw-rotated-00000000000000',
      ),
    );
    await loaded;
    await expect(stack.client().models.list()).rejects.toMatchObject({ status: 401 });
    expect((await stack.client('sk-aigw-rotated-00000000000000').models.list()).data.length).toBeGreaterThan(0);
  });
});
