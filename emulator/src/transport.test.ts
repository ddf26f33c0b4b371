import http2 from 'node:http2';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DualServer, listenDual } from './transport.js';

let server: DualServer;

beforeAll(async () => {
  server = await listenDual(
    (req, res) => {
      const protocol = req.httpVersion;
      res.writeHead(200, { 'content-type': 'text/plain', 'x-protocol': protocol });
      res.end(`hello over ${protocol}`);
    },
    0,
    '127.0.0.1',
  );
});

afterAll(async () => {
  await server.close();
});

describe('one port, HTTP/1.1 and h2c', () => {
  it('answers HTTP/1.1', async () => {
    const response = await fetch(`http://127.0.0.1:${server.port}/x`);
    expect(await response.text()).toBe('hello over 1.1');
  });

  it('waits for enough bytes when the first packet is shorter than the preface check', async () => {
    const socket = net.connect(server.port, '127.0.0.1');
    const reply = await new Promise<string>((resolve, reject) => {
      let text = '';
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString('latin1');
        if (text.includes('hello over 1.1')) resolve(text);
      });
      socket.on('error', reject);
      socket.write('P');
      setTimeout(() => socket.write('OST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n'), 30);
    });
    socket.destroy();
    expect(reply.startsWith('HTTP/1.1 200')).toBe(true);
  });

  it('answers HTTP/2 with prior knowledge on the same port', async () => {
    const session = http2.connect(`http://127.0.0.1:${server.port}`);
    try {
      const body = await new Promise<string>((resolve, reject) => {
        const request = session.request({ ':path': '/x', ':method': 'GET' });
        let text = '';
        request.setEncoding('utf8');
        request.on('data', (chunk: string) => {
          text += chunk;
        });
        request.on('end', () => resolve(text));
        request.on('error', reject);
        request.end();
      });
      expect(body).toBe('hello over 2.0');
    } finally {
      session.close();
    }
  });
});
