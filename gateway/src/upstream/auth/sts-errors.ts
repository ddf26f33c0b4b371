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

/** Turns a failure to obtain AWS credentials (STS, web identity, container provider) into a GatewayError. */
export function credentialError(error: unknown, what: string): GatewayError {
  const name = typeof error === 'object' && error !== null && 'name' in error ? String(error.name) : '';
  const raw = error instanceof Error ? error.message : String(error);
  const message = redactSecrets(raw);
  if (DENIED.has(name)) {
    return new GatewayError('upstream_access_denied', `${what} was denied by AWS: ${message}`, { cause: error });
  }
  return new GatewayError('upstream_credentials_unavailable', `${what} failed: ${message}`, { cause: error });
}
