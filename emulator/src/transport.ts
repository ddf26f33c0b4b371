/**
 * One TCP port serving HTTP/1.1 and cleartext HTTP/2 with prior knowledge (h2c). The first bytes of each
 * connection decide: the HTTP/2 client preface (`PRI * HTTP/2.0`) goes to a `node:http2` server,
 * anything else to `node:http`. The AWS SDK for JavaScript v3's Bedrock runtime client uses an HTTP/2
 * handler by default, which speaks h2c to `http://` endpoints, so it works against this port unchanged.
 */

import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';

/** The first bytes of the HTTP/2 client connection preface (`PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`). */
const PREFACE_START = 'PRI ';

/** The incoming request, whichever protocol carried it. */
export type IncomingRequest = http.IncomingMessage | http2.Http2ServerRequest;

/** The subset of the HTTP/1 and HTTP/2 compatibility response APIs the emulator writes with. */
export interface OutgoingResponse {
  writeHead(status: number, headers: Record<string, string | number>): unknown;
  write(chunk: Uint8Array | string): boolean;
  end(chunk?: Uint8Array | string): unknown;
  /** Sends the status line and headers now instead of with the first body write. */
  flushHeaders?(): void;
  once(event: 'drain' | 'close', listener: () => void): unknown;
  on(event: 'drain' | 'close', listener: () => void): unknown;
  off(event: 'drain' | 'close', listener: () => void): unknown;
  readonly writableEnded: boolean;
  readonly destroyed?: boolean;
}

export type RequestListener = (req: IncomingRequest, res: OutgoingResponse) => void;

/** A listening dual-protocol server. */
export interface DualServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Aborts the connection under a request without a response (used by the `drop` fault). */
export function dropConnection(req: IncomingRequest): void {
  if ('stream' in req && req.stream) {
    // HTTP/2: tear down the whole session, as a reset connection would.
    req.stream.session?.destroy();
  } else {
    req.socket.destroy();
  }
}

/** Starts listening on host:port (0 = any free port). */
export async function listenDual(listener: RequestListener, port: number, host: string): Promise<DualServer> {
  const h1 = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => listener(req, res));
  const h2 = http2.createServer({}, (req, res) => listener(req, res as unknown as OutgoingResponse));
  const sockets = new Set<net.Socket>();
  const sessions = new Set<http2.Http2Session>();
  h2.on('session', (session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  // Sockets accepted here never pass through http.Server's accept path, so its default noDelay does not
  // apply: without it, an event written right after the flushed 200 headers waits ~40 ms for a delayed ACK.
  const tcp = net.createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.once('error', () => socket.destroy());
    let seen = Buffer.alloc(0);
    const route = (): void => {
      const chunk: Buffer | null = socket.read();
      if (chunk !== null) seen = Buffer.concat([seen, chunk]);
      // Wait until four bytes decide, unless what arrived already cannot be the HTTP/2 preface.
      if (chunk === null || (seen.length < 4 && PREFACE_START.startsWith(seen.toString('latin1')))) {
        socket.once('readable', route);
        return;
      }
      socket.unshift(seen);
      const target = seen.subarray(0, 4).toString('latin1') === PREFACE_START ? h2 : h1;
      target.emit('connection', socket);
    };
    socket.once('readable', route);
  });
  await new Promise<void>((resolve, reject) => {
    tcp.once('error', reject);
    tcp.listen(port, host, () => {
      tcp.off('error', reject);
      resolve();
    });
  });
  const address = tcp.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  return {
    port: actualPort,
    close: async () => {
      const closed = new Promise<void>((resolve) => tcp.close(() => resolve()));
      for (const session of sessions) session.destroy();
      for (const socket of sockets) socket.destroy();
      h1.closeAllConnections();
      await closed;
    },
  };
}

/**
 * Starts an HTTPS listener on host:port (0 = any free port): HTTP/2 or HTTP/1.1 as the client's ALPN
 * offer decides, so the SDKs' default handlers (HTTP/2 for the Bedrock runtime client, HTTP/1.1 for
 * botocore) both work.
 */
export async function listenTls(
  listener: RequestListener,
  port: number,
  host: string,
  credentials: { cert: string; key: string },
): Promise<DualServer> {
  const server = http2.createSecureServer({ ...credentials, allowHTTP1: true }, (req, res) =>
    listener(req, res as unknown as OutgoingResponse),
  );
  const sockets = new Set<net.Socket>();
  const sessions = new Set<http2.Http2Session>();
  server.on('session', (session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
    // A reset connection ends its session; it is never the process's problem.
    session.on('error', () => session.destroy());
  });
  server.on('secureConnection', (socket: net.Socket) => {
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  });
  // A client that gives up on the handshake (an untrusted certificate) is not the server's error.
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  return {
    port: actualPort,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const session of sessions) session.destroy();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
