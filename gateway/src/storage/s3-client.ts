/**
 * The one place an S3 client is constructed. Everything account-specific (region, endpoint with
 * path-style addressing, credentials) comes in; the transport (keep-alive pool, timeouts) is chosen here.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { S3Client } from '@aws-sdk/client-s3';
import type { CompiledAccount } from '../config/index.js';
import type { AwsCredentials } from '../upstream/index.js';
import type { StorageOptions } from './defaults.js';

/** AWS credentials for the SDK: a provider function, or undefined for the SDK's own default chain. */
export type S3CredentialProvider = (() => Promise<AwsCredentials>) | undefined;

/**
 * Builds the S3 client of one account. With `s3Endpoint` set (an S3-compatible server, a VPC endpoint,
 * the emulator) addressing is path-style (`/{bucket}/{key}`), as DESIGN.md specifies; otherwise AWS's
 * regional virtual-hosted endpoint is used.
 *
 * Checksums are only computed where S3 requires them: the SDK's default (CRC32 trailers in aws-chunked
 * bodies) is not understood by every S3-compatible server, and TLS plus Content-MD5-free ETags suffice here.
 */
export function createS3Client(
  account: CompiledAccount,
  credentials: S3CredentialProvider,
  options: StorageOptions,
): S3Client {
  const agentOptions = { keepAlive: true, maxSockets: options.s3Connections };
  return new S3Client({
    region: account.region,
    ...(account.s3Endpoint ? { endpoint: account.s3Endpoint, forcePathStyle: true } : {}),
    ...(credentials ? { credentials } : {}),
    maxAttempts: options.s3MaxAttempts,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // The SDK builds its Node HTTP handler from these options (its own default pool is 50 sockets
    // without keep-alive tuning).
    requestHandler: {
      httpAgent: new HttpAgent(agentOptions),
      httpsAgent: new HttpsAgent(agentOptions),
      connectionTimeout: options.s3ConnectTimeoutMs,
      socketTimeout: options.s3SocketTimeoutMs,
    },
  });
}
