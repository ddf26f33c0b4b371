import type { CompiledAccount } from '../../config/index.js';
import { createSdkRequestHandler } from '../proxy.js';
import { RefreshingCredentials } from './refreshing-credentials.js';
import { type AwsCredentials, SigV4Signer } from './sigv4.js';
import { credentialError } from './sts-errors.js';
import type { Clock, SignableRequest, UpstreamAuth } from './types.js';

export interface DefaultChainAuthOptions {
  refreshBeforeMs: number;
  jitterMs: number;
  failureBackoffMs: number;
  clock?: Clock;
  /** The environment to read `AWS_BEARER_TOKEN_BEDROCK` from (defaults to process.env). */
  env?: NodeJS.ProcessEnv;
}

// The SDK's chain memoises and only re-resolves inside its own 5-minute window; our background
// refresh runs earlier, so it asks the chain to resolve afresh.
type ChainProvider = (args: { forceRefresh: boolean }) => Promise<AwsCredentials>;
const FORCE_REFRESH = { forceRefresh: true };

/**
 * The AWS default credential chain (`fromNodeProviderChain`): environment keys, web identity / IRSA
 * (`AWS_WEB_IDENTITY_TOKEN_FILE`, the token file re-read on every refresh), EKS Pod Identity and ECS
 * container credentials, then instance metadata. For web identity the STS call goes to the account's
 * `stsEndpoint` when set.
 *
 * As the SDKs do (§9.2), `AWS_BEARER_TOKEN_BEDROCK` in the environment switches the account to
 * bearer authentication even when IAM credentials exist.
 */
export class DefaultChainAuth implements UpstreamAuth {
  readonly kind = 'default' as const;
  readonly credentials: RefreshingCredentials | undefined;
  private readonly signer: SigV4Signer | undefined;
  private readonly bearer: string | undefined;

  constructor(account: CompiledAccount, options: DefaultChainAuthOptions) {
    const token = (options.env ?? process.env).AWS_BEARER_TOKEN_BEDROCK?.trim();
    if (token) {
      this.bearer = `Bearer ${token}`;
      return;
    }
    // The STS calls of the chain (web identity) go through HTTPS_PROXY / NO_PROXY; the instance and
    // container metadata endpoints are link-local and reached directly by the SDK.
    // The SDK's providers are loaded on the first resolution, so accounts with static keys never load them.
    let chain: ChainProvider | undefined;
    const resolve = async (): Promise<AwsCredentials> => {
      chain ??= (await import('@aws-sdk/credential-providers')).fromNodeProviderChain({
        clientConfig: {
          region: account.region,
          ...(account.stsEndpoint ? { endpoint: account.stsEndpoint } : {}),
          requestHandler: createSdkRequestHandler(),
        },
      }) as ChainProvider;
      return chain(FORCE_REFRESH);
    };
    this.credentials = new RefreshingCredentials(resolve, {
      refreshBeforeMs: options.refreshBeforeMs,
      jitterMs: options.jitterMs,
      failureBackoffMs: options.failureBackoffMs,
      ...(options.clock ? { clock: options.clock } : {}),
      mapError: (error) => credentialError(error, `Resolving AWS credentials for account ${account.name}`),
    });
    const credentials = this.credentials;
    this.signer = new SigV4Signer(() => credentials.get(), options.clock);
  }

  authorize(request: SignableRequest): Promise<void> {
    if (this.bearer) {
      request.headers.authorization = this.bearer;
      return Promise.resolve();
    }
    return this.signer!.sign(request);
  }

  invalidate(): void {
    this.credentials?.invalidate();
  }

  close(): void {
    this.credentials?.close();
  }
}
