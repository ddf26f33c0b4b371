import type { AccountCredentials } from '../../config/index.js';
import { GatewayError } from '../../errors/index.js';
import { SigV4Signer } from './sigv4.js';
import type { Clock, SignableRequest, UpstreamAuth } from './types.js';

/**
 * Static access keys from the account's credentials bundle, signed with SigV4. A session token in
 * the bundle is sent as `X-Amz-Security-Token` (signed), as botocore does (§9.1); such keys expire
 * on their own schedule and are rotated by updating the Secret.
 */
export class AccessKeyAuth implements UpstreamAuth {
  readonly kind = 'accessKey' as const;
  private readonly signer: SigV4Signer | undefined;

  constructor(credentials: AccountCredentials | undefined, options: { clock?: Clock } = {}) {
    const { accessKeyId, secretAccessKey, sessionToken } = credentials ?? {};
    if (accessKeyId && secretAccessKey) {
      const resolved = Promise.resolve({ accessKeyId, secretAccessKey, sessionToken });
      this.signer = new SigV4Signer(() => resolved, options.clock);
    }
  }

  authorize(request: SignableRequest): Promise<void> {
    if (!this.signer) {
      return Promise.reject(
        new GatewayError(
          'upstream_credentials_unavailable',
          'The provider account has no access key credentials configured (accessKeyId and secretAccessKey).',
        ),
      );
    }
    return this.signer.sign(request);
  }

  invalidate(): void {
    // Static keys: nothing cached to drop.
  }

  close(): void {}
}
