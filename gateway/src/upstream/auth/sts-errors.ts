import { GatewayError, redactSecrets } from '../../errors/index.js';

// STS error codes that mean "these credentials or this role are not allowed" (§9.3, §9.4): a
// configuration problem the caller cannot fix by retrying.
const DENIED = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'InvalidClientTokenId',
  'ExpiredTokenException',
  'ExpiredToken',
  'SignatureDoesNotMatch',
  'RegionDisabledException',
  'IDPRejectedClaim',
  'InvalidIdentityToken',
  'UnrecognizedClientException',
]);

/**
 * Turns a failure to obtain AWS credentials (STS, web identity, container provider) into a GatewayError.
 *
 * The caller sees which account's credentials failed and AWS's error code, nothing more: AWS's own text
 * names the gateway's IAM principal and role ARNs, which are the platform team's business, not every
 * caller's. That text travels in `detail` (redacted of secrets), which the server logs.
 */
export function credentialError(error: unknown, what: string): CredentialError {
  const name = typeof error === 'object' && error !== null && 'name' in error ? String(error.name) : '';
  const raw = error instanceof Error ? error.message : String(error);
  const detail = `${what}: ${redactSecrets(raw)}`;
  const code = name ? ` (${name})` : '';
  if (DENIED.has(name)) {
    return new CredentialError('upstream_access_denied', `${what} was denied by AWS${code}.`, detail, error);
  }
  return new CredentialError('upstream_credentials_unavailable', `${what} failed${code}.`, detail, error);
}

/** A credential failure: a caller-safe message, and AWS's full (redacted) answer for the logs. */
export class CredentialError extends GatewayError {
  constructor(
    code: 'upstream_access_denied' | 'upstream_credentials_unavailable',
    message: string,
    readonly detail: string,
    cause: unknown,
  ) {
    super(code, message, { cause });
  }
}
