import { describe, expect, it } from 'vitest';
import { buildSnapshot, type Caller, type CompiledAccount, type CompiledConfig } from '../config/index.js';
import { maySee, resolveStorageAccount, storageAccountByName } from './resolve-account.js';

function account(name: string, extra: Partial<CompiledAccount> = {}): CompiledAccount {
  return {
    name,
    namespace: 'ai',
    region: 'us-east-1',
    auth: { type: 'accessKey' },
    batch: { s3Bucket: 'bucket', s3Prefix: `${name}/` },
    collaborators: [
      { subject: 'user:alice', role: 'Manager' },
      { subject: 'team:ml', role: 'User' },
    ],
    ...extra,
  };
}

const config: CompiledConfig = {
  revision: 'r1',
  namespace: 'ai',
  accounts: [
    account('prod'),
    account('dev'),
    account('nobatch', { batch: undefined as never }),
    account('keyonly', { auth: { type: 'apiKey' } }),
    account('nobucket', { batch: { roleArn: 'arn:aws:iam::111122223333:role/x' } }),
    account('solo', { collaborators: [{ subject: 'user:bob', role: 'User' }] }),
  ].map((a) => {
    if (a.batch === undefined) delete (a as { batch?: unknown }).batch;
    return a;
  }),
  models: [],
  apiKeys: [
    { sha256: 'a'.repeat(64), subject: 'user:alice', teams: [], source: 'ai/alice' },
    { sha256: 'b'.repeat(64), subject: 'user:carol', teams: ['ml'], source: 'ai/carol' },
    { sha256: 'c'.repeat(64), subject: 'user:bob', teams: [], source: 'ai/bob' },
    { sha256: 'd'.repeat(64), subject: 'user:nobody', teams: [], source: 'ai/nobody' },
  ],
};
const snapshot = buildSnapshot(config, { revision: 'r1', accounts: {} });
const caller = (hash: string): Caller => snapshot.callersByKeyHash.get(hash.repeat(64))!;
const alice = caller('a');
const carol = caller('b');
const bob = caller('c');
const nobody = caller('d');

describe('storage account resolution', () => {
  it('takes the header, and knows Managers from Users', () => {
    const sa = resolveStorageAccount(snapshot, alice, 'prod');
    expect(sa.account.name).toBe('prod');
    expect(sa.manager).toBe(true);
    const user = resolveStorageAccount(snapshot, carol, ' dev ');
    expect(user.manager).toBe(false);
    expect(user.subject).toBe('user:carol');
  });

  it("uses the caller's only account with a batch block when no header is sent", () => {
    expect(resolveStorageAccount(snapshot, bob, undefined).account.name).toBe('solo');
  });

  it('asks for the header when several accounts have a batch block', () => {
    expect(() => resolveStorageAccount(snapshot, alice, undefined)).toThrow(
      expect.objectContaining({
        status: 400,
        param: 'x-aigateway-account',
        message: expect.stringMatching(
          /several accounts with file storage \(.*dev.*prod.*\); choose one with the header 'x-aigateway-account: <account>'/,
        ),
      }),
    );
  });

  it('says why an account cannot hold files: API key auth, no bucket', () => {
    expect(() => resolveStorageAccount(snapshot, alice, 'keyonly')).toThrow(
      expect.objectContaining({
        status: 400,
        message: expect.stringContaining(
          'files and batches need AWS credentials (access key, assumed role or default chain)',
        ),
      }),
    );
    expect(() => resolveStorageAccount(snapshot, alice, 'nobucket')).toThrow(
      expect.objectContaining({ status: 400, message: expect.stringContaining('spec.batch.s3Bucket') }),
    );
    expect(() => resolveStorageAccount(snapshot, alice, 'nobatch')).toThrow(
      expect.objectContaining({ status: 400, message: expect.stringContaining('spec.batch.s3Bucket') }),
    );
  });

  it('refuses unknown accounts (404), accounts the caller does not collaborate on (403) and two headers', () => {
    expect(() => resolveStorageAccount(snapshot, alice, 'nope')).toThrow(expect.objectContaining({ status: 404 }));
    expect(() => resolveStorageAccount(snapshot, bob, 'prod')).toThrow(
      expect.objectContaining({ status: 403, code: 'account_access_denied' }),
    );
    expect(() => resolveStorageAccount(snapshot, alice, ['prod', 'dev'])).toThrow(
      expect.objectContaining({ status: 400 }),
    );
    expect(() => resolveStorageAccount(snapshot, nobody, undefined)).toThrow(
      expect.objectContaining({ status: 400, message: expect.stringContaining('not a collaborator of any account') }),
    );
  });

  it('lets a User see its own objects only and a Manager all', () => {
    const user = storageAccountByName(snapshot, carol, 'prod');
    const manager = storageAccountByName(snapshot, alice, 'prod');
    expect(maySee(user, 'user:carol')).toBe(true);
    expect(maySee(user, 'user:alice')).toBe(false);
    expect(maySee(user, undefined)).toBe(false);
    expect(maySee(manager, 'user:carol')).toBe(true);
    expect(maySee(manager, undefined)).toBe(true);
  });
});
