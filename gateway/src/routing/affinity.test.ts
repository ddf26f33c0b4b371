import { describe, expect, it } from 'vitest';
import type { ConverseRequest } from '../wire/bedrock/index.js';
import { affinityKey } from './affinity.js';

const CACHE = { cachePoint: { type: 'default' } } as const;
const tool = (name: string) => ({
  toolSpec: { name, description: `${name} tool`, inputSchema: { json: { type: 'object', properties: {} } } },
});

function request(system: string, question: string, extra: Partial<ConverseRequest> = {}): ConverseRequest {
  return {
    system: [{ text: system }, CACHE],
    messages: [{ role: 'user', content: [{ text: question }] }],
    ...extra,
  } as ConverseRequest;
}

describe('affinityKey', () => {
  it('has no key without a cache point', () => {
    expect(affinityKey({ system: [{ text: 'x' }], messages: [{ role: 'user', content: [{ text: 'q' }] }] })).toBe(
      undefined,
    );
    expect(affinityKey({ messages: [] })).toBeUndefined();
  });

  it('is equal for equal prefixes whatever follows the last cache point', () => {
    const a = affinityKey(request('You are a careful assistant.', 'What is 2+2?'));
    const b = affinityKey(request('You are a careful assistant.', 'Name a colour.'));
    expect(a).toBeDefined();
    expect(a).toEqual(b);
    // Inference settings are not part of the cached prefix.
    const c = affinityKey(request('You are a careful assistant.', 'x', { inferenceConfig: { maxTokens: 5 } }));
    expect(c).toEqual(a);
  });

  it('differs when anything in the prefix differs: system, tools, earlier messages', () => {
    const base = affinityKey(request('You are a careful assistant.', 'q'));
    expect(affinityKey(request('You are a careful assistant!', 'q'))).not.toEqual(base);
    const withTools = (names: string[]) =>
      affinityKey(request('S', 'q', { toolConfig: { tools: names.map(tool) } } as Partial<ConverseRequest>));
    expect(withTools(['a'])).not.toEqual(withTools(['b']));
    expect(withTools(['a'])).not.toEqual(affinityKey(request('S', 'q')));
    // A cache point in the messages: the conversation up to it is the prefix.
    const convo = (first: string, last: string) =>
      affinityKey({
        system: [{ text: 'S' }],
        messages: [
          { role: 'user', content: [{ text: first }] },
          { role: 'assistant', content: [{ text: 'ok' }] },
          { role: 'user', content: [{ text: 'long document' }, CACHE, { text: last }] },
        ],
      });
    expect(convo('hello', 'x')).toEqual(convo('hello', 'y'));
    expect(convo('hello', 'x')).not.toEqual(convo('hullo', 'x'));
  });

  it('cuts at the last cache point in Bedrock order: messages after system after tools', () => {
    const onlyTools = (second: string) =>
      affinityKey({
        toolConfig: { tools: [tool('a'), CACHE, tool(second)] },
        system: [{ text: 'changes freely' }],
        messages: [{ role: 'user', content: [{ text: second }] }],
      });
    expect(onlyTools('b')).toEqual(onlyTools('c'));
    const systemCut = (tools: string) =>
      affinityKey({ toolConfig: { tools: [tool(tools)] }, system: [{ text: 'S' }, CACHE], messages: [] });
    expect(systemCut('a')).not.toEqual(systemCut('b'));
  });

  it('cannot be fooled by text that imitates the structure around it', () => {
    const one = affinityKey({ system: [{ text: 'ab' }, { text: 'c' }, CACHE], messages: [] });
    const two = affinityKey({ system: [{ text: 'a' }, { text: 'bc' }, CACHE], messages: [] });
    expect(one).not.toEqual(two);
  });
});
