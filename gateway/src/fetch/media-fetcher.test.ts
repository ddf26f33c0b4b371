import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../errors/index.js';
import { MediaFetcher } from './media-fetcher.js';

// A 1×1 PNG.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=',
  'base64',
);

let server: Server;
let base: string;
let port: number;
const hits: string[] = [];
let oversizedStreamCompleted = false;

function route(path: string, res: ServerResponse): void {
  switch (path) {
    case '/cat.png':
      res.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
      return;
    case '/blob':
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(PNG);
      return;
    case '/page.html':
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<html></html>');
      return;
    case '/missing':
      res.writeHead(404, { 'content-type': 'text/plain' }).end('nope');
      return;
    case '/huge-declared':
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(50 * 1024 * 1024) });
      res.write(PNG);
      return;
    case '/huge-streamed': {
      // No content-length: the fetcher has to count while reading and hang up.
      res.writeHead(200, { 'content-type': 'image/png' });
      const chunk = Buffer.alloc(64 * 1024, 1);
      let sent = 0;
      const pump = (): void => {
        while (sent < 64 * 1024 * 1024) {
          sent += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        oversizedStreamCompleted = true;
        res.end();
      };
      pump();
      return;
    }
    case '/stall':
      res.writeHead(200, { 'content-type': 'image/png' });
      res.write(PNG.subarray(0, 4));
      return;
    case '/to-cat':
      res.writeHead(302, { location: '/cat.png' }).end();
      return;
    case '/to-private':
      res.writeHead(302, { location: 'http://10.0.0.1/cat.png' }).end();
      return;
    case '/to-metadata':
      res.writeHead(307, { location: 'http://169.254.169.254/latest/meta-data/iam/security-credentials/' }).end();
      return;
    case '/to-ftp':
      res.writeHead(301, { location: 'ftp://example.com/cat.png' }).end();
      return;
    case '/loop':
      res.writeHead(302, { location: '/loop' }).end();
      return;
    default:
      res.writeHead(500).end();
  }
}

beforeAll(async () => {
  server = createServer((req, res) => {
    hits.push(req.url ?? '');
    route(req.url ?? '', res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** A fetcher that may reach the test server, and only through the explicit allow-private option. */
function localFetcher(extra: ConstructorParameters<typeof MediaFetcher>[0] = {}): MediaFetcher {
  return new MediaFetcher({ allowHttp: true, allowPrivateHosts: ['127.0.0.1'], ...extra });
}

async function failure(promise: Promise<unknown>): Promise<GatewayError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayError);
    return error as GatewayError;
  }
  throw new Error('expected the fetch to fail');
}

describe('MediaFetcher', () => {
  it('downloads an image and reports its content type', async () => {
    const fetcher = localFetcher();
    const result = await fetcher.fetchAll([`${base}/cat.png`]);
    expect(result.get(`${base}/cat.png`)).toEqual({ bytes: new Uint8Array(PNG), contentType: 'image/png' });
    await fetcher.close();
  });

  it('recognises an image served as application/octet-stream by its bytes', async () => {
    const fetcher = localFetcher();
    const result = await fetcher.fetchAll([`${base}/blob`]);
    expect(result.get(`${base}/blob`)?.contentType).toBe('image/png');
    await fetcher.close();
  });

  it('fetches each distinct URL once', async () => {
    const fetcher = localFetcher();
    const before = hits.filter((h) => h === '/cat.png').length;
    const result = await fetcher.fetchAll([`${base}/cat.png`, `${base}/cat.png`, `${base}/blob`]);
    expect(result.size).toBe(2);
    expect(hits.filter((h) => h === '/cat.png').length).toBe(before + 1);
    await fetcher.close();
  });

  it.each([
    ['http://127.0.0.1:{port}/cat.png', 'loopback'],
    ['http://169.254.169.254/latest/meta-data/', 'link-local'],
    ['http://10.0.0.1/cat.png', 'private'],
    ['http://[::1]:{port}/cat.png', 'loopback'],
    ['http://[fd00:ec2::254]/latest/meta-data/', 'private'],
    ['http://[::ffff:127.0.0.1]:{port}/cat.png', 'loopback'],
    ['http://2130706433:{port}/cat.png', 'loopback'],
  ])('refuses %s by default without connecting', async (template, kind) => {
    const fetcher = new MediaFetcher({ allowHttp: true });
    const count = hits.length;
    const started = Date.now();
    const error = await failure(fetcher.fetchAll([template.replace('{port}', String(port))]));
    expect(error.code).toBe('invalid_value');
    expect(error.status).toBe(400);
    expect(error.message).toContain(`${kind} address`);
    expect(hits.length).toBe(count);
    // A connection attempt to 10.0.0.1 or the metadata address would hang until the timeout.
    expect(Date.now() - started).toBeLessThan(1000);
    await fetcher.close();
  });

  it('refuses a host name that resolves to a private address, before connecting', async () => {
    const fetcher = new MediaFetcher({
      allowHttp: true,
      resolve: async () => [{ address: '127.0.0.1', family: 4 }],
    });
    const count = hits.length;
    const error = await failure(fetcher.fetchAll([`http://images.example.test:${port}/cat.png`]));
    expect(error.message).toBe(
      "Image URL host 'images.example.test' is a loopback address; the gateway only fetches images from public addresses.",
    );
    expect(hits.length).toBe(count);
    await fetcher.close();
  });

  it('refuses a host name when any of its addresses is private (mixed DNS answers)', async () => {
    const fetcher = new MediaFetcher({
      allowHttp: true,
      resolve: async () => [
        { address: '93.184.216.34', family: 4 },
        { address: '169.254.169.254', family: 4 },
      ],
    });
    const error = await failure(fetcher.fetchAll([`http://rebind.example.test:${port}/cat.png`]));
    expect(error.message).toContain('link-local address');
    await fetcher.close();
  });

  it('connects to the address it checked for a host allowed to be private, resolving once', async () => {
    const lookups: string[] = [];
    const fetcher = new MediaFetcher({
      allowHttp: true,
      allowPrivateHosts: ['*.cluster.test'],
      resolve: async (host) => {
        lookups.push(host);
        return [{ address: '127.0.0.1', family: 4 }];
      },
    });
    const url = `http://assets.cluster.test:${port}/cat.png`;
    const result = await fetcher.fetchAll([url]);
    expect(result.get(url)?.bytes.length).toBe(PNG.length);
    // One resolution feeds both the check and the socket: no second answer a rebinding DNS could change.
    expect(lookups).toEqual(['assets.cluster.test']);
    await fetcher.close();
  });

  it('accepts only https unless http is allowed', async () => {
    const fetcher = new MediaFetcher({ allowPrivateHosts: ['127.0.0.1'] });
    const error = await failure(fetcher.fetchAll([`${base}/cat.png`]));
    expect(error.message).toBe("Image URL must use https; got 'http'.");
    await fetcher.close();
  });

  it('refuses URLs with credentials and hosts outside the allowlist', async () => {
    const fetcher = localFetcher({ allowedHosts: ['cdn.example.com', '*.images.example.com'] });
    expect((await failure(fetcher.fetchAll([`http://user:pw@127.0.0.1:${port}/cat.png`]))).message).toBe(
      'Image URL must not contain credentials.',
    );
    expect((await failure(fetcher.fetchAll([`${base}/cat.png`]))).message).toBe(
      "Image URL host '127.0.0.1' is not in the gateway's list of allowed media hosts.",
    );
    await fetcher.close();
  });

  it('follows a redirect to an allowed address', async () => {
    const fetcher = localFetcher();
    const result = await fetcher.fetchAll([`${base}/to-cat`]);
    expect(result.get(`${base}/to-cat`)?.contentType).toBe('image/png');
    await fetcher.close();
  });

  it.each([
    ['/to-private', 'private address'],
    ['/to-metadata', 'link-local address'],
    ['/to-ftp', "Image URL must use http or https; got 'ftp'."],
    ['/loop', 'redirected more than 3 times'],
  ])('refuses the redirect %s', async (path, message) => {
    const fetcher = localFetcher();
    const started = Date.now();
    const error = await failure(fetcher.fetchAll([`${base}${path}`]));
    expect(error.message).toContain(message);
    expect(Date.now() - started).toBeLessThan(1000);
    await fetcher.close();
  });

  it('aborts a download that exceeds the size limit while streaming', async () => {
    const fetcher = localFetcher({ maxBytes: 256 * 1024 });
    const error = await failure(fetcher.fetchAll([`${base}/huge-streamed`]));
    expect(error.message).toBe("Image at the URL is larger than the gateway's limit of 262144 bytes.");
    expect(oversizedStreamCompleted).toBe(false);
    await fetcher.close();
  });

  it('refuses a declared content-length above the limit before reading the body', async () => {
    const fetcher = localFetcher();
    const error = await failure(fetcher.fetchAll([`${base}/huge-declared`]));
    expect(error.message).toContain('larger than the gateway');
    await fetcher.close();
  });

  it('refuses a response that is not an image', async () => {
    const fetcher = localFetcher();
    const error = await failure(fetcher.fetchAll([`${base}/page.html`]));
    expect(error.message).toBe(
      "Image URL returned content type 'text/html'; expected one of image/png, image/jpeg, image/gif, image/webp.",
    );
    await fetcher.close();
  });

  it('reports an HTTP error status as unreachable, naming the parameter', async () => {
    const fetcher = localFetcher();
    const error = await failure(
      fetcher.fetchAll([{ url: `${base}/missing`, param: 'messages[1].content[2].image_url.url' }]),
    );
    expect(error.param).toBe('messages[1].content[2].image_url.url');
    expect(error.message).toBe("Image URL could not be fetched: host '127.0.0.1' answered HTTP 404.");
    await fetcher.close();
  });

  it('reports a connection failure as unreachable', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const fetcher = localFetcher();
    const error = await failure(fetcher.fetchAll([`http://127.0.0.1:${deadPort}/cat.png`]));
    expect(error.message).toBe("Image URL could not be fetched: host '127.0.0.1' is unreachable (ECONNREFUSED).");
    await fetcher.close();
  });

  it('gives up when the image does not arrive within the time limit', async () => {
    const fetcher = localFetcher({ timeoutMs: 300 });
    const started = Date.now();
    const error = await failure(fetcher.fetchAll([`${base}/stall`]));
    expect(error.message).toBe('Image URL did not deliver the image within 300 ms.');
    expect(Date.now() - started).toBeLessThan(2000);
    await fetcher.close();
  });

  it('stops when the caller goes away', async () => {
    const fetcher = localFetcher();
    const controller = new AbortController();
    const pending = fetcher.fetchAll([`${base}/stall`], controller.signal);
    setTimeout(() => controller.abort(), 50);
    const error = await failure(pending);
    expect(error.code).toBe('client_closed_request');
    await fetcher.close();
  });

  it('refuses every URL when fetching is disabled', async () => {
    const fetcher = new MediaFetcher({ enabled: false });
    const error = await failure(
      fetcher.fetchAll([{ url: 'https://cdn.example.com/a.png', param: 'messages[0].content[0].image_url.url' }]),
    );
    expect(error.message).toContain('send the image as a base64 data URL');
    expect(error.param).toBe('messages[0].content[0].image_url.url');
    await fetcher.close();
  });
});
