import { describe, expect, it } from 'vitest';
import type { AccountCredentials, CompiledAccount } from '../config/index.js';
import { AccessKeyAuth, AssumeRoleAuth, type UpstreamAuth } from '../upstream/index.js';
import { AccountStorage, credentialProviderOf } from './account-storage.js';

const keys: AccountCredentials = { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret' };

function account(overrides: Partial<CompiledAccount> = {}): CompiledAccount {
  return {
    name: 'prod',
    namespace: 'ai',
    region: 'us-east-1',
    s3Endpoint: 'http://127.0.0.1:9',
    auth: { type: 'accessKey' },
    batch: { s3Bucket: 'bucket', s3Prefix: 'gw/' },
    collaborators: [],
    ...overrides,
  };
}

describe('account storage', () => {
  it('builds one store per account and reuses it across equal reloads', () => {
    let auths = 0;
    const storage = new AccountStorage({
      authFor: (_a, c) => {
        auths++;
        return new AccessKeyAuth(c);
      },
    });
    const first = account();
    const store = storage.storeFor(first, keys);
    expect(store).toMatchObject({ bucket: 'bucket', prefix: 'gw/', account: 'prod' });
    expect(storage.storeFor(first, keys)).toBe(store);
    // A reload hands a new (equal) account object: same store, no new client or auth.
    expect(storage.storeFor(account(), { ...keys })).toBe(store);
    expect(auths).toBe(1);
    // Changed storage settings or credentials: a new store.
    expect(storage.storeFor(account({ batch: { s3Bucket: 'other' } }), keys)).not.toBe(store);
    expect(storage.storeFor(account(), { ...keys, secretAccessKey: 'rotated' })).not.toBe(store);
    storage.close();
  });

  it('closes the stores of accounts that left the config', () => {
    const storage = new AccountStorage();
    const gone = storage.storeFor(account({ name: 'gone' }), keys);
    const kept = storage.storeFor(account(), keys);
    storage.retain([{ account: account(), credentials: keys }]);
    expect(storage.storeFor(account(), keys)).toBe(kept);
    expect(storage.storeFor(account({ name: 'gone' }), keys)).not.toBe(gone);
    storage.close();
  });

  it('hands the SDK the static keys, or the shared refreshing credentials of an assumed role', async () => {
    const staticProvider = credentialProviderOf(new AccessKeyAuth(keys), keys);
    expect(await staticProvider!()).toEqual({ accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret' });
    await expect(credentialProviderOf(new AccessKeyAuth({}), {})!()).rejects.toMatchObject({
      code: 'upstream_credentials_unavailable',
    });
    const role = new AssumeRoleAuth(
      {
        ...account(),
        auth: {
          type: 'assumeRole',
          roleArn: 'arn:aws:iam::111122223333:role/x',
          sessionName: 's',
          durationSeconds: 900,
          hasSourceCredentials: true,
        },
      },
      keys,
      { refreshBeforeMs: 1000, jitterMs: 0, failureBackoffMs: 1000 },
    );
    const expected = { accessKeyId: 'ASIATEMP', secretAccessKey: 's', sessionToken: 't' };
    (role.credentials as unknown as { get: () => Promise<typeof expected> }).get = async () => expected;
    expect(await credentialProviderOf(role as UpstreamAuth, keys)!()).toBe(expected);
    role.close();
  });
});
