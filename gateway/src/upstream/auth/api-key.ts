import type { AccountCredentials } from '../../config/index.js';
import { GatewayError } from '../../errors/index.js';
import type { SignableRequest, UpstreamAuth } from './types.js';

/**
 * Bedrock API keys (long-term `ABSK…` or short-term `bedrock-api-key-…`): sent as
 * `Authorization: Bearer <key>`, with no SigV4 headers (§9.2). Keys are region-bound on Bedrock's side.
 */
export class ApiKeyAuth implements UpstreamAuth {
  readonly kind = 'apiKey' as const;
  private readonly header: string | undefined;

  constructor(credentials: AccountCredentials | undefined) {
    const key = credentials?.apiKey?.trim();
    // Built once: the hot path only assigns a string.
    this.header = key ? `Bearer ${key}` : undefined;
  }

  authorize(request: SignableRequest): Promise<void> {
    if (!this.header) {
      return Promise.reject(
        new GatewayError('upstream_credentials_unavailable', 'The provider account has no Bedrock API key configured.'),
      );
    }
    request.headers.authorization = this.header;
    return Promise.resolve();
  }

  invalidate(): void {}

  close(): void {}
}
