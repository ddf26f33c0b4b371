/**
 * CredentialsReady comes from really using an account's credentials (DESIGN.md): STS
 * GetCallerIdentity for access keys, STS AssumeRole (with the external id) for roles, and a cheap
 * Bedrock control-plane call (ListFoundationModels) for Bedrock API keys, which STS does not accept.
 * Results are cached per credential fingerprint so a reconcile never turns into a burst of STS calls.
 */
import { createHash } from 'node:crypto';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { request } from 'undici';
import type { AccountCredentials, CompiledAccount } from '../../gateway/src/config/index.js';
import { createSdkRequestHandler, sharedEgressDispatcher } from '../../gateway/src/upstream/index.js';
import type { CredentialCheck } from './status.js';

export interface CredentialCheckerOptions {
  /** How long a successful check stays valid (default 10 min). */
  okTtlMs?: number;
  /** How soon a failed check is retried (default 60 s). */
  failedTtlMs?: number;
  /** Per-call timeout (default 10 s). */
  timeoutMs?: number;
  /** Called with every finished check (metrics). */
  onResult?: (result: CredentialCheck) => void;
}

interface Entry {
  at: number;
  result?: CredentialCheck;
  pending?: Promise<CredentialCheck>;
}

/** Fingerprint of everything a check depends on; a change re-checks at once. */
export function credentialFingerprint(account: CompiledAccount, credentials: AccountCredentials | undefined): string {
  return createHash('sha256')
    .update(
      JSON.stringify([
        account.region,
        account.stsEndpoint,
        account.controlPlaneEndpoint,
        account.auth,
        credentials ?? {},
      ]),
    )
    .digest('hex');
}

/** Reasons of a finished check (what `check` answers), as opposed to Checking / NotChecked. */
export const CHECK_RESULT_REASONS: ReadonlySet<string> = new Set([
  'Verified',
  'AccessDenied',
  'Timeout',
  'CheckFailed',
]);

/**
 * The default chain is the gateway pod's identity (IRSA / Pod Identity), which the operator does not
 * share; the gateway reports its own failures per request.
 */
const NOT_VERIFIABLE: CredentialCheck = {
  status: 'Unknown',
  reason: 'NotVerifiable',
  message: "auth.type default uses the gateway pod's AWS identity, which the operator cannot use to verify",
};

export class CredentialChecker {
  private readonly entries = new Map<string, Entry>();
  private readonly okTtl: number;
  private readonly failedTtl: number;
  private readonly timeout: number;
  private readonly onResult: ((result: CredentialCheck) => void) | undefined;

  constructor(options: CredentialCheckerOptions = {}) {
    this.onResult = options.onResult;
    this.okTtl = options.okTtlMs ?? 600_000;
    this.failedTtl = options.failedTtlMs ?? 60_000;
    this.timeout = options.timeoutMs ?? 10_000;
  }

  /**
   * The latest result for this account's credentials, or undefined while a check runs. `onDone` is
   * called when a started check finishes, so the caller can reconcile again.
   */
  current(
    account: CompiledAccount,
    credentials: AccountCredentials | undefined,
    onDone: () => void,
    previous?: CredentialCheck,
  ): CredentialCheck | undefined {
    // Nothing to call for the default chain: answer at once instead of a "check in progress" that
    // flips the condition (and records two Events) on every operator start.
    if (account.auth.type === 'default') return NOT_VERIFIABLE;
    const key = `${account.namespace}/${account.name}`;
    const fp = credentialFingerprint(account, credentials);
    const entryKey = `${key}#${fp}`;
    const entry = this.entries.get(entryKey);
    const fresh =
      entry?.result && Date.now() - entry.at < (entry.result.status === 'True' ? this.okTtl : this.failedTtl);
    if (entry && (fresh || entry.pending)) return entry.result;
    // First sight of this account in this process (operator start, leader failover): keep the result
    // its status already shows while the recheck runs, so a restart does not flip the condition
    // through Checking. Credentials that change later do show Checking.
    const seen = [...this.entries.keys()].some((k) => k.startsWith(`${key}#`));
    // Forget checks of older credentials of the same account.
    for (const k of this.entries.keys()) if (k.startsWith(`${key}#`) && k !== entryKey) this.entries.delete(k);
    const next: Entry = { at: Date.now(), result: entry?.result ?? (seen ? undefined : previous) };
    next.pending = this.check(account, credentials).then((result) => {
      next.result = result;
      next.at = Date.now();
      next.pending = undefined;
      this.onResult?.(result);
      onDone();
      return result;
    });
    this.entries.set(entryKey, next);
    return next.result;
  }

  /** Runs one check now. */
  async check(account: CompiledAccount, credentials: AccountCredentials | undefined): Promise<CredentialCheck> {
    try {
      switch (account.auth.type) {
        case 'accessKey': {
          const sts = this.sts(account, credentials);
          const who = await sts.send(new GetCallerIdentityCommand({}), {
            abortSignal: AbortSignal.timeout(this.timeout),
          });
          return { status: 'True', reason: 'Verified', message: `STS GetCallerIdentity: ${who.Arn ?? 'ok'}` };
        }
        case 'assumeRole': {
          const sts = this.sts(account, account.auth.hasSourceCredentials ? credentials : undefined);
          const out = await sts.send(
            new AssumeRoleCommand({
              RoleArn: account.auth.roleArn,
              ExternalId: account.auth.externalId,
              RoleSessionName: account.auth.sessionName,
              // The shortest session STS allows: the operator only proves the role can be assumed.
              DurationSeconds: 900,
            }),
            { abortSignal: AbortSignal.timeout(this.timeout) },
          );
          return {
            status: 'True',
            reason: 'Verified',
            message: `STS AssumeRole: ${out.AssumedRoleUser?.Arn ?? account.auth.roleArn}`,
          };
        }
        case 'apiKey':
          return await this.checkApiKey(account, credentials?.apiKey ?? '');
        case 'default':
          return NOT_VERIFIABLE;
      }
    } catch (err) {
      return { status: 'False', reason: reasonOf(err), message: messageOf(err) };
    }
  }

  private sts(account: CompiledAccount, credentials: AccountCredentials | undefined): STSClient {
    return new STSClient({
      region: account.region,
      endpoint: account.stsEndpoint,
      maxAttempts: 2,
      // Through HTTPS_PROXY / NO_PROXY, as the gateway's own calls to AWS.
      requestHandler: createSdkRequestHandler(),
      credentials:
        credentials?.accessKeyId && credentials.secretAccessKey
          ? {
              accessKeyId: credentials.accessKeyId,
              secretAccessKey: credentials.secretAccessKey,
              sessionToken: credentials.sessionToken,
            }
          : undefined,
    });
  }

  private async checkApiKey(account: CompiledAccount, apiKey: string): Promise<CredentialCheck> {
    // ListFoundationModels is free, read-only and accepts Bedrock API keys as a bearer token.
    const base = account.controlPlaneEndpoint ?? `https://bedrock.${account.region}.amazonaws.com`;
    const res = await request(`${base}/foundation-models?byOutputModality=TEXT`, {
      method: 'GET',
      headers: { authorization: `Bearer ${apiKey}`, accept: 'application/json' },
      signal: AbortSignal.timeout(this.timeout),
      dispatcher: sharedEgressDispatcher(),
    });
    return apiKeyCheckResult(res.statusCode, await res.body.text());
  }
}

/**
 * Judges Bedrock's answer to ListFoundationModels with an API key. Only a refused key is
 * `AccessDenied` (401, or 403 "Authentication failed" / "Invalid API Key format"): that key cannot
 * call anything. A 403 "is not authorized to perform: bedrock:ListFoundationModels" means the key
 * authenticated but its identity may not list models, which says nothing about InvokeModel, so it is
 * `CheckFailed` (reported, the account stays in service).
 */
export function apiKeyCheckResult(statusCode: number, text: string): CredentialCheck {
  if (statusCode === 200)
    return { status: 'True', reason: 'Verified', message: 'Bedrock ListFoundationModels accepted the API key' };
  let detail = text.slice(0, 300);
  try {
    const parsed = JSON.parse(text) as { message?: string; Message?: string };
    detail = parsed.message ?? parsed.Message ?? detail;
  } catch {
    // not JSON
  }
  const message = `Bedrock ListFoundationModels answered ${statusCode}: ${detail}`;
  if (statusCode === 403 && /not authorized to perform/i.test(detail)) {
    return {
      status: 'False',
      reason: 'CheckFailed',
      message: `${message} (the key authenticated; allow bedrock:ListFoundationModels to let the operator verify it)`,
    };
  }
  return {
    status: 'False',
    reason: statusCode === 401 || statusCode === 403 ? 'AccessDenied' : 'CheckFailed',
    message,
  };
}

function reasonOf(err: unknown): string {
  const name = (err as { name?: string }).name ?? '';
  if (/AccessDenied|InvalidClientTokenId|SignatureDoesNotMatch|UnrecognizedClient|ExpiredToken/.test(name))
    return 'AccessDenied';
  if (name === 'TimeoutError' || name === 'AbortError') return 'Timeout';
  return 'CheckFailed';
}

function messageOf(err: unknown): string {
  const e = err as { name?: string; message?: string };
  return `${e.name ?? 'Error'}: ${e.message ?? String(err)}`.slice(0, 1000);
}
