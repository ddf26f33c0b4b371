import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createEgressDispatcher,
  createSdkRequestHandler,
  describeProxySettings,
  proxySettingsFromEnv,
} from './proxy.js';

describe('proxy settings from the environment', () => {
  it('reads the lower-case variables first, as curl does, and treats blanks as unset', () => {
    expect(
      proxySettingsFromEnv({ https_proxy: 'http://lower:1', HTTPS_PROXY: 'http://upper:2', NO_PROXY: '.internal' }),
    ).toEqual({ httpProxy: '', httpsProxy: 'http://lower:1', noProxy: '.internal' });
    expect(proxySettingsFromEnv({ HTTP_PROXY: '  ' })).toEqual({ httpProxy: '', httpsProxy: '', noProxy: '' });
  });

  it('describes the proxy for logs without its password', () => {
    const text = describeProxySettings(
      proxySettingsFromEnv({ HTTPS_PROXY: 'http://user:s3cret@proxy.corp:3128', NO_PROXY: '10.0.0.1' }),
    );
    expect(text).toBe('egress through a proxy: https via http://proxy.corp:3128, except NO_PROXY 10.0.0.1');
    expect(text).not.toContain('s3cret');
    expect(describeProxySettings(proxySettingsFromEnv({}))).toBeUndefined();
  });
});

describe('the AWS SDK request handler', () => {
  const seen: { method?: string; url?: string; headers: Record<string, unknown>; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body });
      res.setHeader('x-amzn-requestid', 'req-1');
      res.end('<ok/>');
    });
  });
  let port = 0;
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('sends method, path, RFC 3986 query, headers and body, and drops the hop-by-hop headers undici frames itself', async () => {
    const dispatcher = createEgressDispatcher({}, {});
    const handler = createSdkRequestHandler({ dispatcher });
    const { response } = await handler.handle({
      protocol: 'http:',
      hostname: '127.0.0.1',
      port,
      path: '/bucket/a%20key',
      query: { 'list-type': '2', prefix: "it's (x)*", flag: null },
      method: 'PUT',
      headers: { 'content-type': 'text/plain', expect: '100-continue', 'x-amz-date': '20260101T000000Z' },
      body: 'hello',
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-amzn-requestid']).toBe('req-1');
    const chunks: Buffer[] = [];
    for await (const chunk of response.body) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('<ok/>');
    const [req] = seen;
    expect(req?.method).toBe('PUT');
    expect(req?.url).toBe('/bucket/a%20key?list-type=2&prefix=it%27s%20%28x%29%2A&flag');
    expect(req?.headers['x-amz-date']).toBe('20260101T000000Z');
    expect(req?.headers.expect).toBeUndefined();
    expect(req?.body).toBe('hello');
    await dispatcher.close();
  });
});
