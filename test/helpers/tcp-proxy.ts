/**
 * A TCP pass-through placed between the gateway and the emulator so a test can see what the gateway
 * does to its upstream connections (e.g. that a caller's disconnect tears the upstream request down).
 */

import type { AddressInfo } from 'node:net';
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  readonly url: string;
  /** Connections the gateway opened. */
  readonly opened: number;
  /** Connections the gateway closed or reset (an aborted request destroys its keep-alive socket). */
  readonly closedByGateway: number;
  /** Resolves when the gateway closes a connection. */
  nextGatewayClose(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(targetUrl: string): Promise<TcpProxy> {
  const target = new URL(targetUrl);
  let opened = 0;
  let closedByGateway = 0;
  let waiters: (() => void)[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((inbound) => {
    opened++;
    const outbound = connect(Number(target.port), target.hostname);
    sockets.add(inbound);
    sockets.add(outbound);
    let upstreamEnded = false;
    outbound.on('close', () => {
      upstreamEnded = true;
      inbound.destroy();
    });
    inbound.on('close', () => {
      if (!upstreamEnded) {
        closedByGateway++;
        const w = waiters;
        waiters = [];
        for (const resolve of w) resolve();
      }
      outbound.destroy();
    });
    inbound.on('error', () => outbound.destroy());
    outbound.on('error', () => inbound.destroy());
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get opened() {
      return opened;
    },
    get closedByGateway() {
      return closedByGateway;
    },
    nextGatewayClose: () => new Promise((resolve) => waiters.push(resolve)),
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
