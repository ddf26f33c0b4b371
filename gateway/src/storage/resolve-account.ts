/**
 * Which account's S3 storage a files or batches request uses, and whether the caller may use it.
 * DESIGN.md: the `x-aigateway-account` header chooses; without it, the caller's only account with a
 * `batch` block. Files and batches need S3, so a Bedrock API key account (no IAM identity) and an
 * account without `batch.s3Bucket` are refused up front with a message that says what to change.
 */
import type { AccountCredentials, Caller, CompiledAccount, Snapshot } from '../config/index.js';
import { principalsOf } from '../config/index.js';
import { GatewayError } from '../errors/index.js';

/** The header that chooses the account of files and batches calls. */
export const ACCOUNT_HEADER = 'x-aigateway-account';

/** An account whose storage a caller may use, with what the caller may see in it. */
export interface StorageAccount {
  readonly account: CompiledAccount & { batch: { s3Bucket: string } };
  readonly credentials: AccountCredentials | undefined;
  /** A Manager collaborator sees (and deletes) every caller's files and batches of the account. */
  readonly manager: boolean;
  /** The caller's subject: recorded as the owner of what it creates. */
  readonly subject: string;
}

/**
 * The account of a files or batches request from its `x-aigateway-account` header value.
 *
 * @throws GatewayError 400 when no account can be chosen or the account cannot hold files (API key
 *   auth, no `batch.s3Bucket`), 404 for an unknown account, 403 when the caller is not a collaborator.
 */
export function resolveStorageAccount(snapshot: Snapshot, caller: Caller, header: unknown): StorageAccount {
  const named = headerValue(header);
  if (named !== undefined) return storageAccountByName(snapshot, caller, named, ACCOUNT_HEADER);
  const candidates = [...caller.accounts]
    .map((name) => snapshot.accounts.get(name))
    .filter((a): a is CompiledAccount => a?.batch !== undefined)
    .map((a) => a.name)
    .sort();
  if (candidates.length === 1) return storageAccountByName(snapshot, caller, candidates[0]!, ACCOUNT_HEADER);
  if (candidates.length === 0)
    throw new GatewayError(
      'invalid_request',
      caller.accounts.size === 0
        ? 'You are not a collaborator of any account, so you have no file storage. Ask a Manager of an account to add you.'
        : `None of your accounts (${[...caller.accounts].sort().join(', ')}) has file storage: files and batches need an account with a 'batch' block (spec.batch.s3Bucket). Ask a Manager of the account to add one, then send the header '${ACCOUNT_HEADER}: <account>'.`,
      { param: ACCOUNT_HEADER },
    );
  throw new GatewayError(
    'invalid_request',
    `You have several accounts with file storage (${candidates.join(', ')}); choose one with the header '${ACCOUNT_HEADER}: <account>'.`,
    { param: ACCOUNT_HEADER },
  );
}

/**
 * The storage account of a name that came from the request (header) or from an id the gateway issued.
 * Same checks as {@link resolveStorageAccount}.
 */
export function storageAccountByName(
  snapshot: Snapshot,
  caller: Caller,
  name: string,
  param: string | null = null,
): StorageAccount {
  const account = snapshot.accounts.get(name);
  if (!account) throw new GatewayError('not_found', `The account '${printable(name)}' does not exist.`, { param });
  if (!caller.accounts.has(account.name))
    throw new GatewayError(
      'account_access_denied',
      `You are not a collaborator of the account '${account.name}'. Ask a Manager of the account to add you or one of your teams.`,
      { param },
    );
  if (account.auth.type === 'apiKey')
    throw new GatewayError(
      'invalid_request',
      `The account '${account.name}' authenticates with a Bedrock API key, which has no S3 rights: files and batches need AWS credentials (access key, assumed role or default chain). Use another account with the header '${ACCOUNT_HEADER}'.`,
      { param: ACCOUNT_HEADER },
    );
  const bucket = account.batch?.s3Bucket;
  if (!bucket)
    throw new GatewayError(
      'invalid_request',
      `The account '${account.name}' has no file storage: files and batches need spec.batch.s3Bucket on the ProviderAccount. Ask a Manager of the account to set it.`,
      { param: ACCOUNT_HEADER },
    );
  return Object.freeze({
    account: account as StorageAccount['account'],
    credentials: snapshot.credentials.accounts[account.name],
    manager: isManager(account, caller),
    subject: caller.subject,
  });
}

/** Whether a caller may see (and delete) something whose recorded owner is `owner`: its own, or any as Manager. */
export function maySee(sa: StorageAccount, owner: string | undefined): boolean {
  return sa.manager || (owner !== undefined && owner === sa.subject);
}

/** Whether the caller (its subject or a team) is a Manager collaborator of the account. */
export function isManager(account: CompiledAccount, caller: Caller): boolean {
  const principals = principalsOf(caller.subject, caller.teams);
  return account.collaborators.some((c) => c.role === 'Manager' && principals.includes(c.subject));
}

function headerValue(header: unknown): string | undefined {
  const value = Array.isArray(header) ? header.join(',') : header;
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  if (trimmed.includes(','))
    throw new GatewayError('invalid_request', `Send exactly one '${ACCOUNT_HEADER}' header with one account name.`, {
      param: ACCOUNT_HEADER,
    });
  return trimmed;
}

/** An account name from a request, safe to echo (bounded, printable). */
function printable(name: string): string {
  const clean = name.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 64 ? `${clean.slice(0, 64)}...` : clean;
}
