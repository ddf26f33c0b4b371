/**
 * One S3Store per account: built once for each account object of a config snapshot (a WeakMap on the
 * snapshot's frozen account, so the request path is a map lookup) and reused across reloads while the
 * account's storage settings and credentials stay the same (a digest of them keys the long-lived cache).
 */
import { createHash } from 'node:crypto';
import type { AccountCredentials, CompiledAccount } from '../config/index.js';
import { GatewayError } from '../errors/index.js';
import {
  AccessKeyAuth,
  AssumeRoleAuth,
  type AwsCredentials,
  authCacheKey,
  DefaultChainAuth,
  UPSTREAM_DEFAULTS,
  type UpstreamAuth,
  UpstreamAuthCache,
} from '../upstream/index.js';
import { resolveStorageOptions, type StorageOptions } from './defaults.js';
import { createS3Client, type S3CredentialProvider } from './s3-client.js';
import { S3Store } from './s3-store.js';

/** Returns the (cached) upstream auth of an account; `BedrockUpstream.authFor` fits. */
export type AuthLookup = (account: CompiledAccount, credentials: AccountCredentials | undefined) => UpstreamAuth;

export interface AccountStorageOptions {
  /**
   * Where account credentials come from. Pass the Bedrock upstream's `authFor` so S3 shares its cached
   * (and background-refreshed) temporary credentials: one STS session per account, not two.
   * Default: auths created here with the upstream defaults.
   */
  authFor?: AuthLookup;
  storage?: Partial<StorageOptions>;
}

export class AccountStorage {
  readonly options: StorageOptions;
  private readonly authFor: AuthLookup;
  /** Auths of its own, when the caller lends none (`authFor`). */
  private readonly ownAuth = new UpstreamAuthCache({
    refreshBeforeMs: UPSTREAM_DEFAULTS.credentialRefreshBeforeMs,
    jitterMs: UPSTREAM_DEFAULTS.credentialRefreshJitterMs,
    failureBackoffMs: UPSTREAM_DEFAULTS.credentialFailureBackoffMs,
  });
  /** Hot path: the snapshot's own account object → store. */
  private readonly byAccount = new WeakMap<
    CompiledAccount,
    { credentials: AccountCredentials | undefined; store: S3Store }
  >();
  /** Across reloads: digest of storage settings + credential material → store. */
  private readonly byKey = new Map<string, S3Store>();

  constructor(options: AccountStorageOptions = {}) {
    this.options = resolveStorageOptions(options.storage);
    this.authFor = options.authFor ?? ((account, credentials) => this.ownAuth.get(account, credentials));
  }

  /**
   * The store of an account with a `batch.s3Bucket` (checked by the caller, e.g. resolveStorageAccount).
   * Never creates more than one client per account and credential material.
   */
  storeFor(account: CompiledAccount, credentials: AccountCredentials | undefined): S3Store {
    const hit = this.byAccount.get(account);
    if (hit && hit.credentials === credentials) return hit.store;
    const key = storeCacheKey(account, credentials);
    let store = this.byKey.get(key);
    if (!store) {
      const auth = this.authFor(account, credentials);
      store = new S3Store({
        client: () => createS3Client(account, credentialProviderOf(auth, credentials), this.options),
        bucket: account.batch?.s3Bucket ?? '',
        prefix: account.batch?.s3Prefix ?? '',
        account: account.name,
        options: this.options,
      });
      this.byKey.set(key, store);
    }
    this.byAccount.set(account, { credentials, store });
    return store;
  }

  /** Closes stores (and own auths) of accounts no longer in the config. Call after each reload. */
  retain(live: Iterable<{ account: CompiledAccount; credentials: AccountCredentials | undefined }>): void {
    const accounts = [...live];
    const keep = new Set<string>();
    for (const { account, credentials } of accounts) keep.add(storeCacheKey(account, credentials));
    for (const [key, store] of this.byKey) {
      if (!keep.has(key)) {
        store.close();
        this.byKey.delete(key);
      }
    }
    this.ownAuth.retain(accounts);
  }

  close(): void {
    for (const store of this.byKey.values()) store.close();
    this.byKey.clear();
    this.ownAuth.close();
  }
}

/**
 * AWS credentials of an account's auth, as the AWS SDK takes them. Access keys come from the bundle;
 * assumed-role and default-chain accounts share the auth's refreshing credentials. Undefined lets the
 * SDK use its own default chain (a default-chain account whose environment holds a Bedrock bearer
 * token still has IAM credentials for S3 there).
 */
export function credentialProviderOf(
  auth: UpstreamAuth,
  credentials: AccountCredentials | undefined,
): S3CredentialProvider {
  if (auth instanceof AssumeRoleAuth) {
    const refreshing = auth.credentials;
    return () => refreshing.get();
  }
  if (auth instanceof DefaultChainAuth) {
    const refreshing = auth.credentials;
    return refreshing ? () => refreshing.get() : undefined;
  }
  if (auth instanceof AccessKeyAuth || auth.kind === 'accessKey') {
    const { accessKeyId, secretAccessKey, sessionToken } = credentials ?? {};
    const value: AwsCredentials | undefined =
      accessKeyId && secretAccessKey
        ? { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) }
        : undefined;
    const resolved = value ? Promise.resolve(value) : undefined;
    return () =>
      resolved ??
      Promise.reject(
        new GatewayError(
          'upstream_credentials_unavailable',
          'The provider account has no access key credentials configured (accessKeyId and secretAccessKey).',
        ),
      );
  }
  return undefined;
}

function storeCacheKey(account: CompiledAccount, credentials: AccountCredentials | undefined): string {
  const material = JSON.stringify([
    authCacheKey(account, credentials),
    account.s3Endpoint ?? null,
    account.batch?.s3Bucket ?? null,
    account.batch?.s3Prefix ?? null,
  ]);
  return createHash('sha256').update(material).digest('hex');
}
