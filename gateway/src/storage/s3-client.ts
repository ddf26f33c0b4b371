/**
 * The one place an S3 client is constructed. Everything account-specific (region, endpoint with
 * path-style addressing, credentials) comes in; the transport (keep-alive pool, timeouts) is chosen here.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { CompiledAccount } from '../config/index.js';
import { awsSdkTracingMiddleware } from '../telemetry/index.js';
import { type AwsCredentials, createEgressDispatcher, createSdkRequestHandler } from '../upstream/index.js';
import type { StorageOptions } from './defaults.js';

export type S3Sdk = typeof import('@aws-sdk/client-s3');
let s3Sdk: Promise<S3Sdk> | undefined;
/**
 * The S3 SDK, loaded on the first Files or Batch request rather than at start, so a gateway no one asks
 * for files never holds it in memory (docs/benchmarks.md, Memory).
 */
export function loadS3Sdk(): Promise<S3Sdk> {
  s3Sdk ??= import('@aws-sdk/client-s3');
  return s3Sdk;
}

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
export async function createS3Client(
  account: CompiledAccount,
  credentials: S3CredentialProvider,
  options: StorageOptions,
): Promise<S3Client> {
  const { S3Client } = await loadS3Sdk();
  const client = new S3Client({
    region: account.region,
    ...(account.s3Endpoint ? { endpoint: account.s3Endpoint, forcePathStyle: true } : {}),
    ...(credentials ? { credentials } : {}),
    maxAttempts: options.s3MaxAttempts,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // A keep-alive pool of its own per client, through HTTPS_PROXY / NO_PROXY like every call to AWS
    // (docs/configuration.md, "Egress through a proxy"); the SDK's own default is 50 sockets.
    requestHandler: createSdkRequestHandler({
      dispatcher: createEgressDispatcher({
        connections: options.s3Connections,
        connect: { timeout: options.s3ConnectTimeoutMs },
      }),
      requestTimeoutMs: options.s3SocketTimeoutMs,
    }),
  });
  // One CLIENT span per S3 call when the caller's request is traced (docs/configuration.md, Tracing).
  // The SDK's middleware types are per client; the middleware only reads the command name, input and metadata.
  (client.middlewareStack as unknown as { add(m: unknown, o: { step: 'initialize'; name: string }): void }).add(
    awsSdkTracingMiddleware('S3'),
    { step: 'initialize', name: 'aigwTracing' },
  );
  return client;
}
