/**
 * The admin listener (`--admin-port`): `/healthz` (the process is alive), `/readyz` (config loaded and
 * not draining: what a Kubernetes readiness probe and load balancers watch) and `/metrics` (Prometheus).
 * Plain node:http: three fixed routes need no framework, and the probe path stays independent of the
 * API server's state.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Registry } from 'prom-client';
import { createServer, STATUS_CODES } from '../node-http.js';

export interface AdminServerOptions {
  host: string;
  port: number;
  registry: Registry;
  /** Why the gateway is not ready, or undefined when it is. */
  notReadyReason: () => string | undefined;
  /** Extra fields for /readyz (e.g. the config revision). */
  readyInfo?: () => Record<string, unknown>;
}

export interface AdminServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Starts the admin server; resolves once it listens. */
export async function startAdminServer(options: AdminServerOptions): Promise<AdminServer> {
  // Probes and scrapers that omit Host (HTTP/1.1 requires it) are still served: refusing them helps no one.
  const server: Server = createServer({ requireHostHeader: false }, (req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    switch (path) {
      case '/healthz':
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
        return;
      case '/readyz': {
        const reason = options.notReadyReason();
        const body = JSON.stringify({
          ready: reason === undefined,
          ...(reason ? { reason } : {}),
          ...options.readyInfo?.(),
        });
        res.writeHead(reason === undefined ? 200 : 503, { 'content-type': 'application/json' }).end(`${body}\n`);
        return;
      }
      case '/metrics':
        options.registry.metrics().then(
          (text) => res.writeHead(200, { 'content-type': options.registry.contentType }).end(text),
          () => res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n'),
        );
        return;
      default:
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /healthz, /readyz or /metrics\n');
    }
  });
  // Requests Node's parser refuses get a short plain-text answer like the routes above, not an empty 400.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    const body = `${STATUS_CODES[status]?.toLowerCase()}: the admin port serves GET /healthz, /readyz and /metrics\n`;
    if (socket.writable)
      socket.write(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${formatHost(options.host)}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** `host:port` needs brackets around IPv6 literals. */
export function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
