import { it } from 'vitest';
import { DEMO_KEY, NOVA_LITE } from './helpers/config-dir.js';
import { startStack } from './helpers/stack.js';
it('probe', async () => {
  const stack = await startStack({ gateway: { server: { bodyLimitBytes: 50 * 1024 * 1024 } } });
  const msgs = Array.from({ length: 300_000 }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: 'a' }));
  const body = JSON.stringify({ model: NOVA_LITE, messages: [...msgs, { role: 'user', content: 'x' }], max_tokens: 10 });
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const r = await fetch(`${stack.gateway.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${DEMO_KEY}`, 'content-type': 'application/json' }, body });
    const text = await r.text();
    console.log('status', r.status, Math.round(performance.now() - t0), 'ms', text.slice(0, 100));
  }
  await stack.close();
}, 120000);
