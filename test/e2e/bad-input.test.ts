/**
 * Malformed requests of every kind: each gets a 4xx in OpenAI's error shape with a message that says
 * what is wrong, and the gateway stays healthy afterwards.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_KEY, NOVA_LITE, OUTSIDER_KEY, OUTSIDER_KEY_MANIFEST } from '../helpers/config-dir.js';
import { type Stack, startStack } from '../helpers/stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    extraFiles: { 'outsider.yaml': OUTSIDER_KEY_MANIFEST },
    gateway: { server: { bodyLimitBytes: 1024 * 1024 } },
  });
});
afterAll(async () => {
  await stack?.close();
});

interface Case {
  name: string;
  method?: string;
  path?: string;
  /** An object is sent as JSON; a string as is. */
  body?: unknown;
  headers?: Record<string, string>;
  /** undefined = demo key; null = no Authorization header. */
  key?: string | null;
  status: number;
  /** The message must match this. */
  message: RegExp;
  code?: string;
  param?: string;
}

const user = (content: unknown) => ({ role: 'user', content });
const chat = (extra: Record<string, unknown>) => ({ model: NOVA_LITE, messages: [user('hi')], ...extra });

const CASES: Case[] = [
  // --- the body is not a JSON object ---
  { name: 'truncated JSON', body: '{"model":', status: 400, code: 'invalid_json', message: /JSON/ },
  {
    name: 'trailing garbage after JSON',
    body: '{"model":"x"} trailing',
    status: 400,
    code: 'invalid_json',
    message: /JSON/,
  },
  { name: 'single quotes', body: "{'model':'x'}", status: 400, code: 'invalid_json', message: /JSON/ },
  { name: 'empty body with JSON content type', body: '', status: 400, code: 'invalid_json', message: /empty/ },
  { name: 'JSON array body', body: '[]', status: 400, message: /object/i },
  { name: 'JSON string body', body: '"hello"', status: 400, message: /object/i },
  { name: 'JSON null body', body: 'null', status: 400, message: /object|body/i },
  {
    name: '__proto__ key',
    body: '{"__proto__":{"admin":true},"model":"x","messages":[]}',
    status: 400,
    code: 'invalid_json',
    message: /JSON/,
  },
  {
    name: 'constructor.prototype key',
    body: '{"constructor":{"prototype":{"x":1}},"model":"x"}',
    status: 400,
    code: 'invalid_json',
    message: /JSON/,
  },
  // --- wrong or missing fields ---
  { name: 'missing model', body: { messages: [user('hi')] }, status: 400, param: 'model', message: /model/ },
  {
    name: 'model is a number',
    body: { model: 42, messages: [user('hi')] },
    status: 400,
    param: 'model',
    message: /model/,
  },
  {
    name: 'model is an empty string',
    body: { model: '', messages: [user('hi')] },
    status: 400,
    param: 'model',
    message: /model/,
  },
  { name: 'missing messages', body: { model: NOVA_LITE }, status: 400, param: 'messages', message: /messages/ },
  {
    name: 'messages is a string',
    body: { model: NOVA_LITE, messages: 'hi' },
    status: 400,
    param: 'messages',
    message: /messages/,
  },
  { name: 'messages is empty', body: { model: NOVA_LITE, messages: [] }, status: 400, message: /messages/ },
  {
    name: 'message without role',
    body: { model: NOVA_LITE, messages: [{ content: 'hi' }] },
    status: 400,
    message: /role/,
  },
  {
    name: 'unknown role',
    body: { model: NOVA_LITE, messages: [{ role: 'robot', content: 'hi' }] },
    status: 400,
    message: /role/,
  },
  {
    name: 'message is not an object',
    body: { model: NOVA_LITE, messages: ['hi'] },
    status: 400,
    message: /messages\[0\]/,
  },
  { name: 'content is a number', body: { model: NOVA_LITE, messages: [user(5)] }, status: 400, message: /content/ },
  {
    name: 'unknown content part type',
    body: { model: NOVA_LITE, messages: [user([{ type: 'video', video: {} }])] },
    status: 400,
    message: /type|video/,
  },
  {
    name: 'text part without text',
    body: { model: NOVA_LITE, messages: [user([{ type: 'text' }])] },
    status: 400,
    message: /text/,
  },
  {
    name: 'image_url that is not a URL',
    body: { model: NOVA_LITE, messages: [user([{ type: 'image_url', image_url: { url: 'not a url' } }])] },
    status: 400,
    message: /image|url/i,
  },
  {
    name: 'data URL with bad base64',
    body: {
      model: NOVA_LITE,
      messages: [user([{ type: 'image_url', image_url: { url: 'data:image/png;base64,@@@@' } }])],
    },
    status: 400,
    message: /image|base64/i,
  },
  {
    name: 'tool message without tool_call_id',
    body: chat({ messages: [user('hi'), { role: 'tool', content: 'r' }] }),
    status: 400,
    message: /tool_call_id/,
  },
  {
    name: 'assistant tool_calls not an array',
    body: chat({ messages: [user('hi'), { role: 'assistant', tool_calls: 'x' }, user('again')] }),
    status: 400,
    message: /tool_calls/,
  },
  {
    name: 'temperature is a string',
    body: chat({ temperature: 'hot' }),
    status: 400,
    param: 'temperature',
    message: /temperature/,
  },
  {
    name: 'temperature below 0',
    body: chat({ temperature: -1 }),
    status: 400,
    param: 'temperature',
    message: /temperature/,
  },
  { name: 'top_p above 1', body: chat({ top_p: 2 }), status: 400, param: 'top_p', message: /top_p/ },
  { name: 'max_tokens zero', body: chat({ max_tokens: 0 }), status: 400, param: 'max_tokens', message: /max_tokens/ },
  {
    name: 'max_tokens negative',
    body: chat({ max_tokens: -5 }),
    status: 400,
    param: 'max_tokens',
    message: /max_tokens/,
  },
  {
    name: 'max_tokens fractional',
    body: chat({ max_tokens: 1.5 }),
    status: 400,
    param: 'max_tokens',
    message: /max_tokens/,
  },
  {
    name: 'max_completion_tokens a string',
    body: chat({ max_completion_tokens: '100' }),
    status: 400,
    param: 'max_completion_tokens',
    message: /max_completion_tokens/,
  },
  { name: 'n greater than 1', body: chat({ n: 3 }), status: 400, param: 'n', message: /\bn\b/ },
  { name: 'stream is a string', body: chat({ stream: 'yes' }), status: 400, param: 'stream', message: /stream/ },
  { name: 'stop is a number', body: chat({ stop: 7 }), status: 400, param: 'stop', message: /stop/ },
  { name: 'tools is not an array', body: chat({ tools: {} }), status: 400, param: 'tools', message: /tools/ },
  {
    name: 'tool without a function name',
    body: chat({ tools: [{ type: 'function', function: {} }] }),
    status: 400,
    message: /name/,
  },
  {
    name: 'tool_choice names a missing tool',
    body: chat({
      tools: [{ type: 'function', function: { name: 'a', parameters: { type: 'object' } } }],
      tool_choice: { type: 'function', function: { name: 'b' } },
    }),
    status: 400,
    message: /tool_choice|b/,
  },
  {
    name: 'response_format of unknown type',
    body: chat({ response_format: { type: 'yaml' } }),
    status: 400,
    message: /response_format/,
  },
  { name: 'logit_bias is not an object', body: chat({ logit_bias: 'x' }), status: 400, message: /logit_bias/ },
  // --- models ---
  {
    name: 'unknown model',
    body: chat({ model: 'demo/does-not-exist' }),
    status: 404,
    code: 'model_not_found',
    message: /does not exist/,
  },
  {
    name: 'model of an unknown account',
    body: chat({ model: 'nobody/amazon-nova-lite-v1-0' }),
    status: 404,
    code: 'model_not_found',
    message: /does not exist/,
  },
  {
    name: 'model without account prefix',
    body: chat({ model: 'amazon.nova-lite-v1:0' }),
    status: 404,
    code: 'model_not_found',
    message: /does not exist/,
  },
  {
    name: 'embedding model on chat',
    body: chat({ model: 'demo/amazon-titan-embed-text-v2-0' }),
    status: 400,
    param: 'model',
    message: /embedding model/,
  },
  {
    name: 'model the caller may not use',
    body: chat({}),
    key: OUTSIDER_KEY,
    status: 403,
    code: 'model_access_denied',
    message: /not allowed/,
  },
  // --- auth ---
  {
    name: 'no Authorization header',
    body: chat({}),
    key: null,
    status: 401,
    code: 'missing_api_key',
    message: /API key/,
  },
  {
    name: 'unknown API key',
    body: chat({}),
    key: 'sk-unknown-key-123456',
    status: 401,
    code: 'invalid_api_key',
    message: /Incorrect API key/,
  },
  {
    name: 'Basic auth instead of Bearer',
    body: chat({}),
    key: null,
    headers: { authorization: 'Basic dXNlcjpwYXNz' },
    status: 401,
    code: 'invalid_api_key',
    message: /API key/,
  },
  {
    name: 'Bearer without a token',
    body: chat({}),
    key: null,
    headers: { authorization: 'Bearer ' },
    status: 401,
    message: /API key/,
  },
  {
    name: 'huge bearer token',
    body: chat({}),
    key: 'k'.repeat(6000),
    status: 401,
    code: 'invalid_api_key',
    message: /API key/,
  },
  {
    name: 'key with different case',
    body: chat({}),
    key: DEMO_KEY.toUpperCase(),
    status: 401,
    code: 'invalid_api_key',
    message: /API key/,
  },
  // --- transport ---
  {
    name: 'text/plain body',
    body: 'hello',
    headers: { 'content-type': 'text/plain' },
    status: 415,
    code: 'unsupported_media_type',
    message: /Content-Type/,
  },
  {
    name: 'form-encoded body',
    body: 'model=x',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    status: 415,
    code: 'unsupported_media_type',
    message: /Content-Type/,
  },
  {
    name: 'XML body',
    body: '<chat/>',
    headers: { 'content-type': 'application/xml' },
    status: 415,
    code: 'unsupported_media_type',
    message: /Content-Type/,
  },
  {
    name: 'body over the limit',
    body: chat({ messages: [user('x'.repeat(1100 * 1024))] }),
    status: 413,
    code: 'request_too_large',
    message: /1 MiB/,
  },
  { name: 'GET on chat completions', method: 'GET', status: 405, code: 'method_not_allowed', message: /POST/ },
  { name: 'DELETE on chat completions', method: 'DELETE', status: 405, code: 'method_not_allowed', message: /POST/ },
  {
    name: 'POST on models',
    method: 'POST',
    path: '/v1/models',
    body: {},
    status: 405,
    code: 'method_not_allowed',
    message: /GET/,
  },
  {
    name: 'unknown /v1 path',
    method: 'POST',
    path: '/v1/chat/complete',
    body: chat({}),
    status: 404,
    code: 'not_found',
    message: /Unknown request URL/,
  },
  {
    name: 'Responses API',
    method: 'POST',
    path: '/v1/responses',
    body: { model: NOVA_LITE, input: 'hi' },
    status: 404,
    code: 'unsupported_endpoint',
    message: /Responses API.*Bedrock/,
  },
  {
    name: 'Realtime API',
    method: 'GET',
    path: '/v1/realtime/sessions',
    status: 404,
    code: 'unsupported_endpoint',
    message: /Realtime/,
  },
  {
    name: 'fine-tuning jobs',
    method: 'POST',
    path: '/v1/fine_tuning/jobs',
    body: {},
    status: 404,
    code: 'unsupported_endpoint',
    message: /Fine-tuning/,
  },
];

async function send(c: Case): Promise<Response> {
  const headers: Record<string, string> = { ...c.headers };
  if (c.key !== null) headers.authorization = `Bearer ${c.key ?? DEMO_KEY}`;
  let body: string | undefined;
  if (c.body !== undefined) {
    body = typeof c.body === 'string' ? c.body : JSON.stringify(c.body);
    headers['content-type'] ??= 'application/json';
  }
  return fetch(`${stack.gateway.url}${c.path ?? '/v1/chat/completions'}`, {
    method: c.method ?? 'POST',
    headers,
    body,
  });
}

describe('bad input', () => {
  it('has at least 40 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
  });

  it.each(CASES)('$name → $status', async (c) => {
    const res = await send(c);
    const text = await res.text();
    expect(res.status, text).toBe(c.status);
    expect(res.headers.get('x-request-id')).toBeTruthy();
    const body = JSON.parse(text) as { error: { message: string; type: string; param: string | null; code: string } };
    expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
    expect(body.error.message).toMatch(c.message);
    expect(body.error.message.length).toBeGreaterThan(10);
    expect(body.error.type).toMatch(/_error$/);
    if (c.code) expect(body.error.code).toBe(c.code);
    if (c.param) expect(body.error.param).toBe(c.param);
  });

  it.each([
    ['a malformed request line', 'BROKEN\r\n\r\n', 400],
    [
      'a header with a newline in its name',
      'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n',
      400,
    ],
    [
      'a conflicting Content-Length',
      'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 9\r\n\r\nhello',
      400,
    ],
    [
      'headers larger than the server accepts',
      `GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(40_000)}\r\n\r\n`,
      431,
    ],
  ])('answers %s in OpenAI shape before closing', async (_name, raw, status) => {
    const port = new URL(stack.gateway.url).port;
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => socket.write(raw));
      let data = '';
      socket.on('data', (d) => {
        data += d.toString();
      });
      socket.on('close', () => resolve(data));
      socket.on('error', reject);
    });
    expect(reply).toMatch(new RegExp(`^HTTP/1.1 ${status} `));
    expect(reply).toMatch(/x-request-id: [0-9a-f-]{36}/i);
    const body = JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4)) as { error: { code: string; message: string } };
    expect(body.error.message.length).toBeGreaterThan(10);
  });

  it('stays healthy afterwards: probes pass, a valid request works, no 5xx was recorded', async () => {
    expect((await fetch(`${stack.gateway.admin!.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${stack.gateway.admin!.url}/readyz`)).status).toBe(200);
    const res = await stack
      .client()
      .chat.completions.create({ model: NOVA_LITE, messages: [{ role: 'user', content: 'fine' }] });
    expect(res.choices[0]?.message.content).toBe('Echo: fine');
    const metrics = await (await fetch(`${stack.gateway.admin!.url}/metrics`)).text();
    expect(metrics).not.toMatch(/aigw_requests_total\{[^}]*status="5\d\d"\}/);
  });
});
