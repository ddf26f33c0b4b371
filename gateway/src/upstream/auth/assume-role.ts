import type { AccountCredentials, CompiledAccount } from '../../config/index.js';
import { createSdkRequestHandler } from '../proxy.js';
import { RefreshingCredentials } from './refreshing-credentials.js';
import { SigV4Signer } from './sigv4.js';
import { credentialError } from './sts-errors.js';
import type { Clock, SignableRequest, UpstreamAuth } from './types.js';

type CredentialProviders = typeof import('@aws-sdk/credential-providers');
type AssumeProvider = ReturnType<CredentialProviders['fromTemporaryCredentials']>;
type AssumeRoleSettings = Extract<CompiledAccount['auth'], { type: 'assumeRole' }>;

export interface AssumeRoleAuthOptions {
  refreshBeforeMs: number;
  jitterMs: number;
  failureBackoffMs: number;
  clock?: Clock;
}

/**
 * STS AssumeRole (with external id, session name and duration) from source credentials in the
 * account's bundle, or from the default chain when the account names none. The SDK's
 * `fromTemporaryCredentials` makes the STS call (one STS client per account, pointed at the
 * account's `stsEndpoint` when set); {@link RefreshingCredentials} keeps exactly one cached
 * credential per account and refreshes it in the background before expiry, so requests never
 * trigger STS calls of their own.
 */
export class AssumeRoleAuth implements UpstreamAuth {
  readonly kind = 'assumeRole' as const;
  readonly credentials: RefreshingCredentials;
  private readonly signer: SigV4Signer;

  constructor(
    account: CompiledAccount & { auth: AssumeRoleSettings },
    bundle: AccountCredentials | undefined,
    options: AssumeRoleAuthOptions,
  ) {
    const settings = account.auth;
    const clientConfig = {
      // STS is regional; the account's region keeps the call inside it (and matches IRSA's
      // AWS_STS_REGIONAL_ENDPOINTS=regional convention).
      region: account.region,
      ...(account.stsEndpoint ? { endpoint: account.stsEndpoint } : {}),
      // Retries belong to the refresher, which keeps serving still-valid credentials meanwhile.
      maxAttempts: 2,
      // Through HTTPS_PROXY / NO_PROXY like every other call to AWS.
      requestHandler: createSdkRequestHandler(),
    };
    const staticSource =
      settings.hasSourceCredentials && bundle?.accessKeyId && bundle.secretAccessKey
        ? {
            accessKeyId: bundle.accessKeyId,
            secretAccessKey: bundle.secretAccessKey,
            ...(bundle.sessionToken ? { sessionToken: bundle.sessionToken } : {}),
          }
        : undefined;
    // The SDK's providers are loaded on the first refresh (at start for this account), not by every gateway.
    let provider: AssumeProvider | undefined;
    const assume = async () => {
      if (!provider) {
        const { fromNodeProviderChain, fromTemporaryCredentials } = await import('@aws-sdk/credential-providers');
        provider = fromTemporaryCredentials({
          params: {
            RoleArn: settings.roleArn,
            RoleSessionName: settings.sessionName,
            DurationSeconds: settings.durationSeconds,
            ...(settings.externalId ? { ExternalId: settings.externalId } : {}),
          },
          masterCredentials: staticSource ?? fromNodeProviderChain({ clientConfig }),
          clientConfig,
        });
      }
      return provider();
    };
    const what = `Assuming the role of account ${account.name}`;
    this.credentials = new RefreshingCredentials(() => assume(), {
      refreshBeforeMs: options.refreshBeforeMs,
      jitterMs: options.jitterMs,
      failureBackoffMs: options.failureBackoffMs,
      ...(options.clock ? { clock: options.clock } : {}),
      mapError: (error) => credentialError(error, what),
    });
    this.signer = new SigV4Signer(() => this.credentials.get(), options.clock);
  }

  authorize(request: SignableRequest): Promise<void> {
    return this.signer.sign(request);
  }

  invalidate(): void {
    this.credentials.invalidate();
  }

  close(): void {
    this.credentials.close();
  }
}
