import { createHash } from 'node:crypto';
import type { AccountCredentials, CompiledAccount } from '../../config/index.js';
import { AccessKeyAuth } from './access-key.js';
import { ApiKeyAuth } from './api-key.js';
import { AssumeRoleAuth } from './assume-role.js';
import { DefaultChainAuth } from './default-chain.js';
import type { Clock, UpstreamAuth } from './types.js';

export { AccessKeyAuth } from './access-key.js';
export { ApiKeyAuth } from './api-key.js';
export { AssumeRoleAuth, type AssumeRoleAuthOptions } from './assume-role.js';
export { DefaultChainAuth, type DefaultChainAuthOptions } from './default-chain.js';
export { RefreshingCredentials, type RefreshingCredentialsOptions } from './refreshing-credentials.js';
export { type AwsCredentials, BEDROCK_SIGNING_NAME, type CredentialSource, SigV4Signer } from './sigv4.js';
export { CredentialError } from './sts-errors.js';
export type { Clock, SignableRequest, UpstreamAuth } from './types.js';

export interface CreateUpstreamAuthOptions {
  refreshBeforeMs: number;
  jitterMs: number;
  failureBackoffMs: number;
  clock?: Clock;
}

/** Builds the auth scheme an account's settings ask for. Callers cache the result ({@link authCacheKey}). */
export function createUpstreamAuth(
  account: CompiledAccount,
  credentials: AccountCredentials | undefined,
  options: CreateUpstreamAuthOptions,
): UpstreamAuth {
  const auth = account.auth;
  switch (auth.type) {
    case 'accessKey':
      return new AccessKeyAuth(credentials, options.clock ? { clock: options.clock } : {});
    case 'apiKey':
      return new ApiKeyAuth(credentials);
    case 'assumeRole':
      return new AssumeRoleAuth({ ...account, auth }, credentials, options);
    case 'default':
      return new DefaultChainAuth(account, options);
    default: {
      const unknown: never = auth;
      throw new TypeError(`Unknown auth type ${JSON.stringify(unknown)}`);
    }
  }
}

/**
 * A digest of everything an account's auth depends on: its auth settings, region and STS endpoint,
 * and the credential material. Equal keys across config reloads mean the same provider (and its
 * cached temporary credentials) can be reused. Hashed so secrets never sit in a map key.
 */
export function authCacheKey(account: CompiledAccount, credentials: AccountCredentials | undefined): string {
  const material = JSON.stringify([
    account.namespace,
    account.name,
    account.region,
    account.stsEndpoint ?? null,
    account.auth,
    credentials?.accessKeyId ?? null,
    credentials?.secretAccessKey ?? null,
    credentials?.sessionToken ?? null,
    credentials?.apiKey ?? null,
  ]);
  return createHash('sha256').update(material).digest('hex');
}

/**
 * Auth schemes by {@link authCacheKey}, each created once: the Bedrock runtime client, the batch control
 * plane and the S3 stores share this bookkeeping. `retain` closes those of accounts a reload removed or
 * changed (stopping their background refreshes); `close` closes all.
 */
export class UpstreamAuthCache {
  readonly #byKey = new Map<string, UpstreamAuth>();
  readonly #options: CreateUpstreamAuthOptions;

  constructor(options: CreateUpstreamAuthOptions) {
    this.#options = options;
  }

  get(account: CompiledAccount, credentials: AccountCredentials | undefined): UpstreamAuth {
    const key = authCacheKey(account, credentials);
    let auth = this.#byKey.get(key);
    if (!auth) {
      auth = createUpstreamAuth(account, credentials, this.#options);
      this.#byKey.set(key, auth);
    }
    return auth;
  }

  retain(live: Iterable<{ account: CompiledAccount; credentials: AccountCredentials | undefined }>): void {
    const keep = new Set<string>();
    for (const { account, credentials } of live) keep.add(authCacheKey(account, credentials));
    for (const [key, auth] of this.#byKey) {
      if (!keep.has(key)) {
        auth.close();
        this.#byKey.delete(key);
      }
    }
  }

  close(): void {
    for (const auth of this.#byKey.values()) auth.close();
    this.#byKey.clear();
  }
}
