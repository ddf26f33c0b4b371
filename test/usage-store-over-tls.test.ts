/**
 * A `rediss://` usage store signed by a private CA (the chart's `limits.redis.tls.caSecret`, read from
 * AIGW_REDIS_CA_FILE): a real redis-server with TLS, a CA and a server certificate made by openssl.
 * With the CA the store counts and reads use; without it the connection is refused (no silent fallback
 * to an unverified server).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompiledUsagePolicy } from '../gateway/src/config/index.js';
import { createUsageStore, type RedisUsageStore, readPolicyUsage } from '../gateway/src/limits/index.js';
import { findRedisServer, freePort, redisAvailability } from './helpers/redis.js';

const redis = redisAvailability();

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const POLICY: CompiledUsagePolicy = {
  id: 'tls/p',
  name: 'p',
  subjects: [],
  per: 'shared',
  limits: { tokenCount: 'total', requestsPerMinute: 10 },
  timeZone: 'UTC',
  failureMode: 'open',
};

describe.skipIf(!redis.run || !hasOpenssl())('the usage store over TLS with a private CA', () => {
  let dir: string;
  let port: number;
  let server: ReturnType<typeof spawn> | undefined;
  let ca: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'aigw-redis-tls-'));
    const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
    ssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '1',
      '-subj',
      '/CN=test-ca',
    );
    ssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'server.key',
      '-out',
      'server.csr',
      '-subj',
      '/CN=127.0.0.1',
    );
    writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
    ssl(
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'server.crt',
      '-days',
      '1',
      '-extfile',
      'san.ext',
    );
    ca = readFileSync(join(dir, 'ca.crt'), 'utf8');
    port = await freePort();
    server = spawn(
      findRedisServer() as string,
      [
        '--port',
        '0',
        '--tls-port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--tls-cert-file',
        join(dir, 'server.crt'),
        '--tls-key-file',
        join(dir, 'server.key'),
        '--tls-ca-cert-file',
        join(dir, 'ca.crt'),
        '--tls-auth-clients',
        'no',
        '--save',
        '',
        '--appendonly',
        'no',
      ],
      { stdio: 'ignore' },
    );
    // Ready once a verified client is connected.
    const deadline = Date.now() + 10_000;
    for (;;) {
      const probe = createUsageStore({ redisUrl: `rediss://127.0.0.1:${port}`, redisCa: ca }) as RedisUsageStore;
      const ok = await probe.ready(1000);
      await probe.close();
      if (ok) break;
      if (Date.now() > deadline) throw new Error('redis-server with TLS did not start');
    }
  }, 30_000);

  afterAll(() => {
    server?.kill('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('counts and reads use when the CA is given', async () => {
    const store = createUsageStore({ redisUrl: `rediss://127.0.0.1:${port}`, redisCa: ca }) as RedisUsageStore;
    try {
      expect(await store.ready(5000)).toBe(true);
      const now = Date.now();
      const minute = Math.floor(now / 60_000);
      const result = await store.admit(
        [{ key: `tls-test|${minute}`, kind: 'counter', limit: 10, need: 1, reserve: 1, ttlMs: 120_000 }],
        'lease-1',
        now,
      );
      expect(result.failed).toBe(-1);
      expect(result.used).toEqual([1]);
    } finally {
      await store.close();
    }
  });

  it('refuses a server its CA did not sign', async () => {
    const errors: string[] = [];
    const store = createUsageStore({ redisUrl: `rediss://127.0.0.1:${port}`, onError: (e) => errors.push(e.message) });
    try {
      expect(await (store as RedisUsageStore).ready(1500)).toBe(false);
      await expect(readPolicyUsage(store, POLICY)).rejects.toThrow();
      expect(errors.join('\n')).toMatch(/self[- ]signed|unable to (verify|get local issuer)/i);
    } finally {
      await store.close();
    }
  });
});
