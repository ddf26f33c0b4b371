import { describe, expect, it } from 'vitest';
import { parseChatCompletionRequest } from './parse-request.js';
import { remoteMediaTargets } from './plan.js';

describe('remoteMediaTargets', () => {
  it('names the message part of each distinct URL so a refused download points at it', () => {
    const request = parseChatCompletionRequest({
      model: 'm',
      messages: [
        { role: 'system', content: 'x' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'look' },
            { type: 'image_url', image_url: { url: 'https://a.example/1.png' } },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
          ],
        },
        {
          role: 'assistant',
          tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }],
        },
        {
          role: 'tool',
          tool_call_id: 'c',
          content: [
            { type: 'image_url', image_url: { url: 'https://a.example/1.png' } },
            { type: 'image_url', image_url: { url: 'http://b.example/2.gif' } },
          ],
        },
      ],
    });
    expect(remoteMediaTargets(request)).toEqual([
      { url: 'https://a.example/1.png', param: 'messages[1].content[1].image_url.url' },
      { url: 'http://b.example/2.gif', param: 'messages[3].content[1].image_url.url' },
    ]);
  });
});
