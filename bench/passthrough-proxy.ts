/**
 * The benchmark floor: a bare HTTP pass-through proxy on undici, the least any gateway must do. It forwards each
 * request unchanged (method, path, headers, body: for the bench, a SigV4-signed Converse or ConverseStream call)
 * to one upstream origin over a keep-alive pool and pipes the response bytes back as they arrive (for a stream,
 * the AWS event-stream frames), with no parsing, auth or translation. Whatever a gateway adds beyond this is the
 * cost of its features.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' }, target: { type: 'string' } } });
if (!values.target) throw new Error('usage: passthrough-proxy --target http://host:port [--port N]');
const pool = new Pool(values.target, { connections: 4096, pipelining: 1, keepAliveTimeout: 30_000 });

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection']);

const server = createServer(async (req, res) => {
  try {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(k) && typeof v === 'string') headers[k] = v;
    const upstream = await pool.request({ method: req.method as 'POST', path: req.url ?? '/', headers, body: req });
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(upstream.headers)) if (!HOP_BY_HOP.has(k) && v !== undefined) out[k] = v;
    res.writeHead(upstream.statusCode, out);
    for await (const chunk of upstream.body) if (!res.write(chunk)) await once(res, 'drain');
    res.end();
  } catch {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  }
});
server.keepAliveTimeout = 30_000;
server.listen(Number(values.port), '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stdout.write(`listening ${port}\n`);
});
// Exit normally on SIGTERM, so a run under `node --cpu-prof` writes its profile.
process.on('SIGTERM', () => process.exit(0));
