/**
 * Caller authentication and authorisation. Callers present `Authorization: Bearer <api key>`; the
 * gateway only knows SHA-256 hashes of keys (DESIGN.md, API keys), so the token is hashed once and
 * looked up, and the stored hash is compared in constant time. A caller may use a model when its
 * subject or one of its teams is a User or Manager collaborator of the model's account; the snapshot
 * precomputes that set per key.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Caller, ServedModel, Snapshot } from '../config/index.js';
import { GatewayError, modelNotFound } from '../errors/index.js';
import type { ModelType } from '../models/index.js';
import type { RequestState } from './context.js';

/** Longest bearer token considered (hashing megabytes of header would be a cheap DoS). */
const MAX_TOKEN_LENGTH = 4096;
/**
 * Tokens already authenticated against a snapshot, at most this many per snapshot (a key long unused is
 * evicted first, see {@link evictOne}).
 * Hashing the token and decoding the stored hash took about 4 µs of CPU on every request, and a caller sends
 * the same key every time (bench/request-fixed-cost.ts).
 */
const MAX_CACHED_TOKENS = 1024;
/**
 * Per snapshot (a reload drops it with the snapshot, so a revoked key stops working with the new config):
 * token → caller, only for tokens that passed the hash check. A lookup is an exact string match; a token
 * not in it still goes through the SHA-256 and constant-time comparison below, so an unknown token learns
 * nothing from this map but that it is not a cached key, which is all it would learn anyway.
 */
const authenticated = new WeakMap<Snapshot, Map<string, CachedKey>>();
/** A cached token's caller, and whether it was used since eviction last passed it over (second chance). */
interface CachedKey {
  readonly caller: Caller;
  used: boolean;
}

/**
 * Authenticates the caller of a request from its Authorization header against the api keys of the
 * snapshot. (In-cluster service-account tokens are tried after this fails; see {@link looksLikeJwt}.)
 *
 * @throws GatewayError missing_api_key / invalid_api_key (401)
 */
export function authenticateCaller(authorization: string | undefined, snapshot: Snapshot): Caller {
  const token = bearerToken(authorization);
  if (token === undefined) {
    throw new GatewayError(
      'missing_api_key',
      "You didn't provide an API key. Send it in the Authorization header as 'Authorization: Bearer YOUR_KEY'.",
    );
  }
  if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) throw invalidKey();
  let cache = authenticated.get(snapshot);
  const cached = cache?.get(token);
  if (cached) {
    // A flag, not a move to the end of the map: a hit changes no map (the delete and set of a strict LRU
    // cost about 0.5 µs a request), and eviction gives a used key a second pass instead.
    cached.used = true;
    return cached.caller;
  }
  const digest = createHash('sha256').update(token, 'utf8').digest();
  const caller = snapshot.callersByKeyHash.get(digest.toString('hex'));
  if (!caller) throw invalidKey();
  // The map lookup found a candidate; confirm byte-for-byte without an early exit on the first
  // differing byte, so response timing does not reveal how much of a hash matched.
  const stored = Buffer.from(caller.keyHash, 'hex');
  if (stored.length !== digest.length || !timingSafeEqual(stored, digest)) throw invalidKey();
  if (!cache) {
    cache = new Map();
    authenticated.set(snapshot, cache);
  }
  if (cache.size >= MAX_CACHED_TOKENS) evictOne(cache);
  cache.set(token, { caller, used: false });
  return caller;
}

/**
 * Drops the oldest key not used since it was last passed over; a used one goes to the end, unmarked (the
 * clock form of least-recently-used). Each key moves at most once per pass, so this ends within
 * MAX_CACHED_TOKENS steps.
 */
function evictOne(cache: Map<string, CachedKey>): void {
  for (const [token, entry] of cache) {
    cache.delete(token);
    if (!entry.used) return;
    entry.used = false;
    cache.set(token, entry);
  }
}

/** The bearer token of an Authorization header, if it has one. */
export function bearerTokenOf(authorization: string | undefined): string | undefined {
  const token = bearerToken(authorization);
  return token ? token : undefined;
}

/** Kubernetes service-account tokens are JWTs: three base64url segments. API keys never look like that. */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token);
}

function bearerToken(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const trimmed = authorization.trim();
  if (trimmed === '') return undefined;
  // RFC 7235: the scheme is case-insensitive.
  if (trimmed.length < 7 || trimmed.slice(0, 7).toLowerCase() !== 'bearer ') return '';
  return trimmed.slice(7).trim();
}

function invalidKey(): GatewayError {
  return new GatewayError(
    'invalid_api_key',
    'Incorrect API key provided. Check the key you are sending to the gateway.',
  );
}

/** Whether a caller may use a model (collaborator of the model's account). */
export function mayUse(caller: Caller, route: ServedModel): boolean {
  return caller.accounts.has(route.account.name);
}

/**
 * The route of a model the caller named, for inference surfaces: an unknown model is 404, a model of
 * an account the caller is not a collaborator of is 403 (DESIGN.md: 403 for calls, 404 in listings).
 *
 * @throws GatewayError model_not_found (404), model_access_denied (403)
 */
export function authorizeModel(snapshot: Snapshot, caller: Caller, model: string): ServedModel {
  const route = snapshot.models.get(model);
  if (!route) throw modelNotFound(model);
  if (!mayUse(caller, route)) {
    throw new GatewayError(
      'model_access_denied',
      `You are not allowed to use the model '${model}'. Ask a Manager of the account '${route.account.name}' to add you or one of your teams as a collaborator.`,
      { param: 'model' },
    );
  }
  return route;
}

/**
 * The model a surface request names: authorised for its caller (404/403 as {@link authorizeModel}),
 * recorded as the request's metric labels, and of the surface's type (a 400 naming the surface otherwise).
 */
export function routeForSurface(state: RequestState, model: string, type: ModelType, surface: string): ServedModel {
  const route = authorizeModel(state.snapshot!, state.caller!, model);
  state.account = route.account.name;
  state.modelRoute = route;
  state.model = route.model.name;
  if (route.model.type !== type) {
    const article = route.model.type === 'chat' ? 'a' : 'an';
    throw new GatewayError(
      'invalid_value',
      `The model '${model}' is ${article} ${route.model.type} model and cannot be used with ${surface}.`,
      { param: 'model' },
    );
  }
  return route;
}
