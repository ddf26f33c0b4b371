import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { pino } from 'pino';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { makeConfigDir, SONNET } from '../../../test/helpers/config-dir.js';
import { FakeUpstream } from '../../../test/helpers/fake-upstream.js';
import { ManifestDirSource } from '../config/index.js';
import { GatewayError } from '../errors/index.js';
import { startGateway } from './gateway.js';
import {
  createTokenReviewer,
  jwtExpiry,
  TOKEN_REVIEW_PATH,
  TokenReviewer,
  type TokenReviewTransport,
} from './token-review.js';

/** A JWT-shaped token (the reviewer never parses more than the `exp` claim). */
function jwt(sub: string, claims: Record<string, unknown> = {}): string {
  const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'RS256' })}.${part({ sub, ...claims })}.${Buffer.from(`sig-${sub}`).toString('base64url')}`;
}

interface Review {
  spec: { token: string; audiences?: string[] };
}

/** Stands in for the API server: accepts tokens of `valid`, counts calls, can fail or answer late. */
class FakeApiServer implements TokenReviewTransport {
  calls: Review[] = [];
  valid = new Map<string, { username: string; groups: string[]; audiences?: string[] }>();
  failWith: unknown;
  gate: Promise<void> | undefined;

  async request<T>(method: 'POST', path: string, options: { body: unknown }): Promise<T> {
    expect(method).toBe('POST');
    expect(path).toBe(TOKEN_REVIEW_PATH);
    const review = options.body as Review;
    this.calls.push(review);
    if (this.gate) await this.gate;
    if (this.failWith) throw this.failWith;
    const user = this.valid.get(review.spec.token);
    if (!user) return { status: { authenticated: false, error: 'invalid bearer token' } } as T;
    return {
      status: {
        authenticated: true,
        user: { username: user.username, uid: 'u-1', groups: user.groups },
        audiences: user.audiences ?? review.spec.audiences ?? ['https://kubernetes.default.svc'],
      },
    } as T;
  }
}

const CHECKOUT = jwt('checkout');
const CHECKOUT_USER = {
  username: 'system:serviceaccount:apps:checkout',
  groups: ['system:serviceaccounts', 'system:serviceaccounts:apps', 'system:authenticated'],
};

let api: FakeApiServer;
let clock: number;
const now = () => clock;
beforeEach(() => {
  api = new FakeApiServer();
  api.valid.set(CHECKOUT, CHECKOUT_USER);
  clock = 1_000_000;
});

describe('TokenReviewer', () => {
  it('answers the TokenReview identity of an accepted token and undefined for a refused one', async () => {
    const reviewer = new TokenReviewer(api, { now });
    expect(await reviewer.review(CHECKOUT)).toEqual(CHECKOUT_USER);
    expect(await reviewer.review(jwt('forged'))).toBeUndefined();
    // Without configured audiences the spec names none: the API server's own audiences apply.
    expect(api.calls[0]?.spec).toEqual({ token: CHECKOUT });
  });

  it('reuses an accepted result until the TTL passes, then asks again', async () => {
    const reviewer = new TokenReviewer(api, { now, cacheTtlMs: 60_000 });
    await reviewer.review(CHECKOUT);
    clock += 59_000;
    expect(await reviewer.review(CHECKOUT)).toEqual(CHECKOUT_USER);
    expect(api.calls).toHaveLength(1);
    // Revoked meanwhile (pod or service account deleted): the next review after the TTL sees it.
    api.valid.delete(CHECKOUT);
    clock += 2_000;
    expect(await reviewer.review(CHECKOUT)).toBeUndefined();
    expect(api.calls).toHaveLength(2);
  });

  it('remembers a refused token for the shorter negative TTL', async () => {
    const reviewer = new TokenReviewer(api, { now, negativeCacheTtlMs: 10_000 });
    const forged = jwt('forged');
    await reviewer.review(forged);
    clock += 9_000;
    await reviewer.review(forged);
    expect(api.calls).toHaveLength(1);
    clock += 2_000;
    await reviewer.review(forged);
    expect(api.calls).toHaveLength(2);
  });

  it('never trusts a cached token past its own exp claim', async () => {
    const shortLived = jwt('short', { exp: (clock + 5_000) / 1000 });
    api.valid.set(shortLived, CHECKOUT_USER);
    const reviewer = new TokenReviewer(api, { now, cacheTtlMs: 60_000 });
    await reviewer.review(shortLived);
    clock += 4_000;
    await reviewer.review(shortLived);
    expect(api.calls).toHaveLength(1);
    clock += 2_000;
    api.valid.delete(shortLived); // expired: the API server refuses it now
    expect(await reviewer.review(shortLived)).toBeUndefined();
    expect(api.calls).toHaveLength(2);
  });

  it('keeps at most maxCacheEntries accepted tokens, dropping the least recently used', async () => {
    const [a, b, c] = ['a', 'b', 'c'].map((s) => jwt(s));
    for (const t of [a, b, c]) api.valid.set(t as string, CHECKOUT_USER);
    const reviewer = new TokenReviewer(api, { now, maxCacheEntries: 2 });
    await reviewer.review(a as string);
    await reviewer.review(b as string);
    await reviewer.review(a as string); // a is now the most recently used
    await reviewer.review(c as string); // evicts b
    expect(reviewer.cacheSize).toBe(2);
    expect(api.calls).toHaveLength(3);
    await reviewer.review(a as string);
    expect(api.calls).toHaveLength(3);
    await reviewer.review(b as string);
    expect(api.calls).toHaveLength(4);
  });

  it('does not let a flood of refused tokens push accepted ones out of the cache', async () => {
    const reviewer = new TokenReviewer(api, { now, maxCacheEntries: 10, maxNegativeCacheEntries: 5 });
    await reviewer.review(CHECKOUT);
    for (let i = 0; i < 50; i++) await reviewer.review(jwt(`junk-${i}`));
    expect(reviewer.cacheSize).toBe(6);
    const before = api.calls.length;
    await reviewer.review(CHECKOUT);
    expect(api.calls.length).toBe(before);
  });

  it('never keeps a token in clear in its cache', async () => {
    // A transport that forgets what it was sent, so the dump below shows only the reviewer's own state.
    const forgetful: TokenReviewTransport = {
      request: async <T>(_m: 'POST', _p: string, o: { body: unknown }) =>
        (await api.request<T>('POST', TOKEN_REVIEW_PATH, o).finally(() => api.calls.splice(0))) as T,
    };
    const reviewer = new TokenReviewer(forgetful, { now });
    const forged = jwt('forged');
    await reviewer.review(CHECKOUT);
    await reviewer.review(forged);
    expect(reviewer.cacheSize).toBe(2);
    const dump = inspect(reviewer, { depth: Number.POSITIVE_INFINITY, showHidden: true, maxArrayLength: null });
    for (const token of [CHECKOUT, forged]) {
      for (const segment of token.split('.').slice(1)) expect(dump).not.toContain(segment);
    }
    // Keys are a keyed hash: two reviewers never derive the same key from one token.
    const keysOf = (r: TokenReviewer) => inspect(r, { depth: 3, showHidden: true }).match(/'[A-Za-z0-9_-]{43}'/g);
    const other = new TokenReviewer(forgetful, { now });
    await other.review(CHECKOUT);
    expect(keysOf(other)?.[0]).toBeDefined();
    expect(keysOf(reviewer)).not.toContain(keysOf(other)?.[0]);
  });

  it('asks once for concurrent requests with the same token', async () => {
    let open = () => {};
    api.gate = new Promise((r) => {
      open = r;
    });
    const reviewer = new TokenReviewer(api, { now });
    const pending = Array.from({ length: 20 }, () => reviewer.review(CHECKOUT));
    open();
    for (const identity of await Promise.all(pending)) expect(identity).toEqual(CHECKOUT_USER);
    expect(api.calls).toHaveLength(1);
  });

  it('sends the configured audiences and refuses a token granted none of them', async () => {
    const reviewer = new TokenReviewer(api, { now, audiences: ['aigateway'] });
    expect(await reviewer.review(CHECKOUT)).toEqual(CHECKOUT_USER);
    expect(api.calls[0]?.spec.audiences).toEqual(['aigateway']);
    const other = jwt('other-audience');
    api.valid.set(other, { ...CHECKOUT_USER, audiences: ['https://kubernetes.default.svc'] });
    expect(await reviewer.review(other)).toBeUndefined();
  });

  it('fails with a 503-class error that does not echo the token when the API server cannot answer', async () => {
    api.failWith = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { code: 'ECONNREFUSED' });
    const reviewer = new TokenReviewer(api, { now });
    const err = await reviewer.review(CHECKOUT).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).status).toBe(503);
    expect((err as GatewayError).code).toBe('upstream_unavailable');
    expect((err as GatewayError).message).toContain('ECONNREFUSED');
    expect((err as GatewayError).message).not.toContain(CHECKOUT);
    // A failure is not remembered: the API server is asked again once it is back.
    api.failWith = undefined;
    expect(await reviewer.review(CHECKOUT)).toEqual(CHECKOUT_USER);
    expect(api.calls).toHaveLength(2);
  });

  it('names the API server status when the gateway itself is refused (RBAC)', async () => {
    api.failWith = Object.assign(new Error('tokenreviews.authentication.k8s.io is forbidden'), {
      name: 'KubeApiError',
      status: 403,
    });
    const reviewer = new TokenReviewer(api, { now });
    await expect(reviewer.review(CHECKOUT)).rejects.toThrow(
      /answered 403: tokenreviews.authentication.k8s.io is forbidden/,
    );
  });
});

describe('TokenReviewer.probe', () => {
  it('says why reviews cannot work, and nothing when they can', async () => {
    const reviewer = new TokenReviewer(api, { now });
    expect(await reviewer.probe()).toBeUndefined();
    api.failWith = Object.assign(new Error('tokenreviews.authentication.k8s.io is forbidden'), { status: 403 });
    expect(await reviewer.probe()).toMatch(/answered 403/);
  });
});

describe('createTokenReviewer', () => {
  it('refuses to start without a cluster rather than falling back to localhost:8080', async () => {
    const home = await mkdtemp(join(tmpdir(), 'aigw-home-'));
    const saved = {
      HOME: process.env.HOME,
      KUBECONFIG: process.env.KUBECONFIG,
      HOST: process.env.KUBERNETES_SERVICE_HOST,
    };
    process.env.HOME = home;
    delete process.env.KUBECONFIG;
    delete process.env.KUBERNETES_SERVICE_HOST;
    try {
      await expect(createTokenReviewer()).rejects.toThrow(/run in a pod .* or set KUBECONFIG/);
    } finally {
      if (saved.HOME !== undefined) process.env.HOME = saved.HOME;
      if (saved.KUBECONFIG !== undefined) process.env.KUBECONFIG = saved.KUBECONFIG;
      if (saved.HOST !== undefined) process.env.KUBERNETES_SERVICE_HOST = saved.HOST;
      await rm(home, { recursive: true, force: true });
    }
  });
});

describe('jwtExpiry', () => {
  it('reads exp in ms and ignores tokens without one', () => {
    expect(jwtExpiry(jwt('x', { exp: 1_700_000_000 }))).toBe(1_700_000_000_000);
    expect(jwtExpiry(jwt('x'))).toBeUndefined();
    expect(jwtExpiry('a.!!!.c')).toBeUndefined();
    expect(jwtExpiry('opaque')).toBeUndefined();
  });
});

describe('the gateway with an unreachable API server', () => {
  const dirs: string[] = [];
  const closers: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const close of closers.reverse()) await close();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('answers 503 (not 401) to a service-account token, and still 401 to a wrong api key', async () => {
    // A port that was free a moment ago: connections to it are refused.
    const deadPort = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const { port } = srv.address() as { port: number };
        srv.close(() => resolve(port));
      });
    });
    const kubeDir = await mkdtemp(join(tmpdir(), 'aigw-kubeconfig-'));
    dirs.push(kubeDir);
    const kubeconfig = join(kubeDir, 'config');
    await writeFile(
      kubeconfig,
      `apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: { server: "https://127.0.0.1:${deadPort}", insecure-skip-tls-verify: true } }]
users: [{ name: u, user: { token: gateway-token } }]
contexts: [{ name: x, context: { cluster: c, user: u } }]
current-context: x
`,
    );
    const reviewer = await createTokenReviewer({ kubeconfig, timeoutMs: 2_000 });
    closers.push(() => reviewer.close());
    const config = await makeConfigDir();
    closers.push(() => config.remove());
    const gateway = await startGateway({
      source: new ManifestDirSource(config.dir),
      port: 0,
      adminPort: null,
      upstream: new FakeUpstream(),
      logger: pino({ level: 'silent' }),
      mediaFetcher: null,
      watch: false,
      identityReviewer: reviewer,
    });
    closers.push(() => gateway.close());
    const call = (key: string) =>
      fetch(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: SONNET, messages: [{ role: 'user', content: 'hi' }] }),
      });
    const token = jwt('checkout');
    const res = await call(token);
    expect(res.status).toBe(503);
    const body = (await res.json()) as { error: { message: string; code: string } };
    expect(body.error.code).toBe('upstream_unavailable');
    expect(body.error.message).toMatch(/service-account token/);
    expect(body.error.message).not.toContain(token);
    const wrongKey = await call('sk-not-a-key');
    expect(wrongKey.status).toBe(401);
    expect(((await wrongKey.json()) as { error: { code: string } }).error.code).toBe('invalid_api_key');
  });
});
