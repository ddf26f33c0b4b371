/**
 * Hostile input that once crashed a request with 500 or got an answer in someone else's shape: JSON nested
 * thousands of levels deep (in the body, in tool-call `arguments`, in schemas, on every JSON surface),
 * multipart bodies the parser chokes on (a 300-character boundary), a request without Host, a broken
 * percent-encoding, an over-long path segment, and a 1 MB model name. Each gets a 4xx in OpenAI's error
 * shape with `x-request-id` and a message that says what is wrong; the gateway stays healthy.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JSON_DEFAULTS } from '../../gateway/src/json/index.js';
import { DEMO_KEY, NOVA_LITE } from '../helpers/config-dir.js';
import { type Stack, startStack } from '../helpers/stack.js';

const LIMIT = JSON_DEFAULTS.maxNestingDepth;
const TITAN_EMBED = 'demo/amazon-titan-embed-text-v2-0';
const NOVA_CANVAS = 'demo/amazon-nova-canvas-v1-0';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string };
}

async function post(path: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${stack.gateway.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${DEMO_KEY}`, 'content-type': 'application/json', ...headers },
    body,
  });
}

/** Asserts the OpenAI error envelope with a request id, and returns the error. */
async function openaiError(res: Response, status: number): Promise<OpenAIErrorBody['error']> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get('x-request-id')).toBeTruthy();
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const body = JSON.parse(text) as OpenAIErrorBody;
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  return body.error;
}

const nestedArray = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const nestedObject = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

describe('one JSON nesting limit for every field of every body', () => {
  const chatWith = (field: string) => `{"model":"${NOVA_LITE}","messages":[{"role":"user","content":"hi"}],${field}}`;
  const cases: Array<[string, string, string]> = [
    ['a chat body 1,000,000 levels deep', '/v1/chat/completions', nestedArray(1_000_000)],
    ['an unknown chat field 5,000 levels deep', '/v1/chat/completions', chatWith(`"x":${nestedArray(5000)}`)],
    [
      'a tool schema 5,000 levels deep',
      '/v1/chat/completions',
      chatWith(`"tools":[{"type":"function","function":{"name":"f","parameters":${nestedObject(5000)}}}]`),
    ],
    [
      'a response_format schema 200 levels deep',
      '/v1/chat/completions',
      chatWith(`"response_format":{"type":"json_schema","json_schema":{"name":"s","schema":${nestedObject(200)}}}`),
    ],
    ['embeddings input 5,000 levels deep', '/v1/embeddings', `{"model":"${TITAN_EMBED}","input":${nestedArray(5000)}}`],
    [
      'an image generation field 5,000 levels deep',
      '/v1/images/generations',
      `{"model":"${NOVA_CANVAS}","prompt":"a cat","extra":${nestedArray(5000)}}`,
    ],
  ];

  it.each(cases)('refuses %s with 400 naming the limit', async (_name, path, body) => {
    const error = await openaiError(await post(path, body), 400);
    expect(error.message).toContain(`nesting deeper than ${LIMIT}`);
    expect(error.code).toBe('invalid_json');
    expect(error.type).toBe('invalid_request_error');
  });

  it('refuses tool-call arguments (a JSON string) 5,000 levels deep, naming the field', async () => {
    const args = nestedObject(5000);
    const body = JSON.stringify({
      model: NOVA_LITE,
      messages: [
        { role: 'user', content: 'call f' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: args } }],
        },
        { role: 'tool', tool_call_id: 'call_1', content: 'done' },
      ],
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
    });
    const error = await openaiError(await post('/v1/chat/completions', body), 400);
    expect(error.message).toContain(`nesting deeper than ${LIMIT}`);
    expect(error.param).toBe('messages[1].tool_calls[0].function.arguments');
  });

  it('passes a tool result holding deeply nested JSON text through as text', async () => {
    const res = await stack.client().chat.completions.create({
      model: NOVA_LITE,
      messages: [
        { role: 'user', content: 'call f' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}' } }],
        },
        { role: 'tool', tool_call_id: 'call_1', content: nestedObject(5000) },
      ],
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
    });
    expect(res.choices[0]?.message).toBeDefined();
  });

  it('accepts nesting up to the limit', async () => {
    // The body itself adds four levels (body, tools[], tool, function) around the schema.
    const schema = nestedObject(LIMIT - 5);
    const res = await post(
      '/v1/chat/completions',
      JSON.stringify({
        model: NOVA_LITE,
        messages: [{ role: 'user', content: 'hi' }],
        tools: [
          { type: 'function', function: { name: 'f', parameters: { type: 'object', properties: JSON.parse(schema) } } },
        ],
      }),
    );
    expect(res.status, await res.text()).toBe(200);
  });
});

describe('multipart failures are 400s', () => {
  const form = (boundary: string, body: string) =>
    post('/v1/images/edits', body, { 'content-type': `multipart/form-data; boundary=${boundary}` });
  const field = (b: string, name: string, value: string) =>
    `--${b}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;

  it.each([
    ['a 300-character boundary', 'b'.repeat(300), /boundary is 300 characters long; RFC 2046 allows at most 70/],
    ['a 256-character boundary', 'b'.repeat(256), /at most 70/],
    ['a 71-character boundary', 'b'.repeat(71), /at most 70/],
    ['an empty boundary', '', /no boundary/],
    ['a quoted empty boundary', '""', /no boundary/],
  ])('%s', async (_name, boundary, message) => {
    const error = await openaiError(await form(boundary, field('x', 'model', NOVA_CANVAS)), 400);
    expect(error.message).toMatch(message);
  });

  it('a body cut before its closing boundary', async () => {
    const error = await openaiError(
      await form(
        'B',
        `${field('B', 'model', NOVA_CANVAS)}--B\r\nContent-Disposition: form-data; name="prompt"\r\n\r\nhal`,
      ),
      400,
    );
    expect(error.message).toMatch(/malformed or incomplete/);
  });

  it('a field declared as JSON that is not', async () => {
    const body = `--B\r\nContent-Disposition: form-data; name="prompt"\r\nContent-Type: application/json\r\n\r\n{not json\r\n--B--\r\n`;
    const error = await openaiError(await form('B', body), 400);
    expect(error.message).toMatch(/application\/json/);
  });

  it('a field declared as JSON and nested 30,000 levels deep', async () => {
    const body = `${field('B', 'model', NOVA_CANVAS)}--B\r\nContent-Disposition: form-data; name="prompt"\r\nContent-Type: application/json\r\n\r\n${nestedArray(30_000)}\r\n--B--\r\n`;
    const error = await openaiError(await form('B', body), 400);
    expect(error.message).toContain(`nesting deeper than ${LIMIT}`);
    expect(error.param).toBe('prompt');
  });

  it('a field named __proto__', async () => {
    const error = await openaiError(await form('B', `${field('B', '__proto__', 'x')}--B--\r\n`), 400);
    expect(error.message).toMatch(/field name is not allowed/);
  });

  it('too many fields', async () => {
    let body = '';
    for (let i = 0; i < 40; i++) body += field('B', `f${i}`, 'v');
    const error = await openaiError(await form('B', `${body}--B--\r\n`), 400);
    expect(error.message).toMatch(/Too many form fields/);
  });

  it('a file with an over-long content type is named without echoing all of it', async () => {
    const type = `image/${'x'.repeat(5000)}`;
    const body = `--B\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\nContent-Type: ${type}\r\n\r\nabc\r\n--B--\r\n`;
    const error = await openaiError(await form('B', body), 400);
    expect(error.message).toContain('(5006 characters)');
    expect(error.message.length).toBeLessThan(700);
  });
});

/** Sends raw bytes and returns the whole answer once the server closes or `idleMs` passes. */
async function raw(bytes: string, idleMs = 1500): Promise<string> {
  const port = Number(new URL(stack.gateway.url).port);
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    let data = '';
    const timer = setTimeout(() => socket.destroy(), idleMs);
    socket.on('data', (d) => {
      data += d.toString();
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(data);
    });
    socket.on('error', reject);
  });
}

function parseRaw(reply: string): { status: number; headers: string; body: OpenAIErrorBody } {
  const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(reply)?.[1]);
  const split = reply.indexOf('\r\n\r\n');
  let body = reply.slice(split + 4);
  if (/transfer-encoding: chunked/i.test(reply.slice(0, split)))
    body = body.replace(/^[0-9a-f]+\r\n|\r\n0\r\n\r\n$/gi, '');
  return { status, headers: reply.slice(0, split), body: JSON.parse(body) as OpenAIErrorBody };
}

describe('answers that used to skip the OpenAI shape', () => {
  it('an HTTP/1.1 request without Host', async () => {
    const reply = parseRaw(await raw('GET /v1/models HTTP/1.1\r\nAuthorization: Bearer x\r\n\r\n'));
    expect(reply.status).toBe(400);
    expect(reply.headers).toMatch(/x-request-id: \S+/i);
    expect(reply.body.error.message).toMatch(/Host header/);
    expect(reply.body.error.type).toBe('invalid_request_error');
  });

  it('an Expect header other than 100-continue', async () => {
    const reply = parseRaw(
      await raw(
        `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${DEMO_KEY}\r\nExpect: 200-ok\r\nContent-Length: 2\r\n\r\n{}`,
      ),
    );
    expect(reply.status).toBe(417);
    expect(reply.headers).toMatch(/x-request-id: \S+/i);
    expect(reply.body.error.message).toMatch(/100-continue/);
    expect(reply.body.error.code).toBe('expectation_failed');
  });

  it('an HTTP/1.0 request without Host is still served', async () => {
    const reply = await raw(`GET /v1/models HTTP/1.0\r\nAuthorization: Bearer ${DEMO_KEY}\r\n\r\n`);
    expect(reply).toMatch(/^HTTP\/1\.1 200 /);
  });

  it.each([
    ['a malformed percent-encoding in the path', '/v1/models/%E0%A4%A', 400, /malformed/],
    ['a lone % in the path', '/v1/chat/%', 400, /malformed/],
  ])('%s', async (_name, path, status, message) => {
    const res = await fetch(`${stack.gateway.url}${path}`, { headers: { authorization: `Bearer ${DEMO_KEY}` } });
    const error = await openaiError(res, status);
    expect(error.message).toMatch(message);
    expect(JSON.stringify(error)).not.toContain('m'.repeat(300));
  });

  it('a 1 MB model name is not echoed back whole', async () => {
    const model = 'x'.repeat(1024 * 1024);
    const res = await post(
      '/v1/chat/completions',
      JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
    );
    const text = await res.clone().text();
    const error = await openaiError(res, 404);
    expect(text.length).toBeLessThan(1024);
    expect(error.message).toContain('(1048576 characters)');
  });

  it('a 1 MB model id in the path of /v1/models/{id} is not echoed back whole', async () => {
    const res = await fetch(`${stack.gateway.url}/v1/models/${'y'.repeat(2000)}`, {
      headers: { authorization: `Bearer ${DEMO_KEY}` },
    });
    const text = await res.clone().text();
    await openaiError(res, 404);
    expect(text.length).toBeLessThan(1024);
  });

  it('stays healthy afterwards, with no 5xx recorded', async () => {
    const res = await stack
      .client()
      .chat.completions.create({ model: NOVA_LITE, messages: [{ role: 'user', content: 'fine' }] });
    expect(res.choices[0]?.message.content).toBe('Echo: fine');
    const metrics = await (await fetch(`${stack.gateway.admin!.url}/metrics`)).text();
    expect(metrics).not.toMatch(/aigw_requests_total\{[^}]*status="5\d\d"\}/);
  });
});

describe('the admin port', () => {
  it('answers unknown paths, other methods and Host-less requests sensibly', async () => {
    const admin = stack.gateway.admin!.url;
    const notFound = await fetch(`${admin}/nope`);
    expect(notFound.status).toBe(404);
    expect(await notFound.text()).toMatch(/healthz/);
    expect((await fetch(`${admin}/healthz`, { method: 'POST' })).status).toBe(405);
    const port = Number(new URL(admin).port);
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () =>
        socket.write('GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n'),
      );
      let data = '';
      socket.on('data', (d) => {
        data += d.toString();
      });
      socket.on('close', () => resolve(data));
      socket.on('error', reject);
    });
    // A probe that omits Host is still a probe: the admin port serves it.
    expect(reply).toMatch(/^HTTP\/1\.1 200 /);
    const broken = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.write('BROKEN\r\n\r\n'));
      let data = '';
      socket.on('data', (d) => {
        data += d.toString();
      });
      socket.on('close', () => resolve(data));
      socket.on('error', reject);
    });
    expect(broken).toMatch(/^HTTP\/1\.1 400 /);
    expect(broken).toMatch(/\/healthz/);
  });
});
