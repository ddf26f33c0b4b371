/**
 * SigV4 for the S3 subset: the same verification as the Bedrock planes (auth.ts) with service `s3`, the
 * path not encoded a second time, and the mandatory `x-amz-content-sha256` (a hex hash, `UNSIGNED-PAYLOAD`,
 * or a `STREAMING-…` value for aws-chunked bodies). Failures are reported with S3's error codes.
 */

import { createHash } from 'node:crypto';
import { getSigningKey } from '@smithy/signature-v4';
import { authenticateSigV4, type Principal, resolveCredentials } from '../auth.js';
import { BedrockException } from '../errors.js';
import { NodeSha256, parseAuthorization, type SignableRequest } from '../sigv4.js';
import type { EmulatorState } from '../state.js';
import type { ChunkSigning } from './chunked.js';
import { S3Error } from './errors.js';

/** Payload hashes other than a hex digest. */
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
const STREAMING = /^STREAMING-(UNSIGNED-PAYLOAD-TRAILER|AWS4-HMAC-SHA256-PAYLOAD(-TRAILER)?)$/;

/** Whether `x-amz-content-sha256` announces an aws-chunked body whose chunks are signed. */
export function hasSignedChunks(contentSha256: string | undefined): boolean {
  return (
    contentSha256 === 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD' ||
    contentSha256 === 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER'
  );
}

function toS3Error(error: unknown, sessionTokenSent: boolean): unknown {
  if (!(error instanceof BedrockException)) return error;
  switch (error.name) {
    case 'MissingAuthenticationTokenException':
      return new S3Error('AccessDenied');
    case 'IncompleteSignatureException':
      return new S3Error('AuthorizationHeaderMalformed');
    case 'UnrecognizedClientException':
      return new S3Error(sessionTokenSent ? 'InvalidToken' : 'InvalidAccessKeyId');
    case 'ExpiredTokenException':
      return new S3Error('ExpiredToken');
    case 'InvalidSignatureException':
      if (/^Signature (expired|not yet current)/.test(error.message)) return new S3Error('RequestTimeTooSkewed');
      if (error.message.startsWith('Credential should be scoped')) {
        return new S3Error('AuthorizationHeaderMalformed', {
          message: `The authorization header is malformed; ${error.message.trim()}`,
        });
      }
      return new S3Error('SignatureDoesNotMatch');
    default:
      return new S3Error('AccessDenied');
  }
}

/**
 * Authenticates an S3 request whose raw (still chunk-encoded) body is `request.body`. Returns the principal
 * and, for signed chunks, what each chunk signature is checked against.
 */
export async function authenticateS3(
  state: EmulatorState,
  request: SignableRequest,
): Promise<{ principal: Principal; chunkSigning?: ChunkSigning }> {
  const contentSha256 = request.headers['x-amz-content-sha256'];
  if (request.headers.authorization === undefined) throw new S3Error('AccessDenied');
  if (contentSha256 === undefined) {
    throw new S3Error('InvalidRequest', {
      message: 'Missing required header for this request: x-amz-content-sha256',
    });
  }
  if (/^[0-9a-fA-F]{64}$/.test(contentSha256)) {
    if (contentSha256.toLowerCase() !== createHash('sha256').update(request.body).digest('hex')) {
      throw new S3Error('XAmzContentSHA256Mismatch', {
        fields: { ClientComputedContentSHA256: contentSha256 },
      });
    }
  } else if (contentSha256 !== UNSIGNED_PAYLOAD && !STREAMING.test(contentSha256)) {
    throw new S3Error('InvalidArgument', {
      message:
        'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value.',
    });
  }
  const sessionToken = request.headers['x-amz-security-token'];
  let principal: Principal;
  try {
    principal = await authenticateSigV4(state, request, 's3');
  } catch (error) {
    throw toS3Error(error, sessionToken !== undefined);
  }
  if (!hasSignedChunks(contentSha256)) return { principal };
  const auth = parseAuthorization(request.headers.authorization);
  const { credentials } = resolveCredentials(state, auth.accessKeyId, sessionToken);
  const signingKey = await getSigningKey(NodeSha256, credentials, auth.date, auth.region, 's3');
  return {
    principal,
    chunkSigning: {
      signingKey,
      amzDate: request.headers['x-amz-date'] ?? '',
      scope: `${auth.date}/${auth.region}/s3/aws4_request`,
      seedSignature: auth.signature,
    },
  };
}
