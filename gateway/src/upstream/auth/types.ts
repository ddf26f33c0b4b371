import type { AuthType } from '../../config/index.js';

/**
 * A request about to go to Bedrock, as the signer sees it. The body is the
 * final bytes (signatures cover them), the path is already percent-encoded once (§1) and headers
 * use lower-case names, `host` included.
 */
export interface SignableRequest {
  method: string;
  protocol: 'https:' | 'http:';
  hostname: string;
  port: number | undefined;
  path: string;
  headers: Record<string, string>;
  body: string | Uint8Array;
  /** The signing region: the region of the model (an ARN's own region wins). */
  region: string;
}

/**
 * How an account authenticates to Bedrock. One instance per account (and credential material),
 * created once and reused by every request; implementations cache signers and credentials.
 */
export interface UpstreamAuth {
  readonly kind: AuthType;
  /** Adds the authentication headers (SigV4 or bearer) to `request.headers`. Throws GatewayError. */
  authorize(request: SignableRequest): Promise<void>;
  /** Drops cached temporary credentials so the next call fetches fresh ones (after an ExpiredToken). */
  invalidate(): void;
  /** Stops background refreshes. */
  close(): void;
}

/** A clock for signing, replaceable in tests. */
export type Clock = () => number;
