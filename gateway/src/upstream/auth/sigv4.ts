import { SignatureV4 } from '@smithy/signature-v4';
import { NodeSha256 } from './node-sha256.js';
import type { Clock, SignableRequest } from './types.js';

/** AWS credentials as the signer consumes them. */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string | undefined;
  /** Absent for long-lived keys. */
  readonly expiration?: Date | undefined;
}

export type CredentialSource = () => Promise<AwsCredentials>;

/** Bedrock signs as `bedrock` for both planes, not `bedrock-runtime` (§0). */
export const BEDROCK_SIGNING_NAME = 'bedrock';

/**
 * SigV4 for one credential source: one `SignatureV4` per region, created on first use and kept, so
 * its signing-key cache survives across requests.
 */
export class SigV4Signer {
  private readonly signers = new Map<string, SignatureV4>();

  constructor(
    private readonly credentials: CredentialSource,
    private readonly clock: Clock = Date.now,
  ) {}

  async sign(request: SignableRequest): Promise<void> {
    const signed = await this.signerFor(request.region).sign(
      {
        method: request.method,
        protocol: request.protocol,
        hostname: request.hostname,
        port: request.port,
        path: request.path,
        query: {},
        headers: request.headers,
        body: request.body,
      },
      { signingDate: new Date(this.clock()) },
    );
    // The signer works on a clone; copy back what it added (x-amz-date, x-amz-security-token, authorization).
    Object.assign(request.headers, signed.headers);
  }

  private signerFor(region: string): SignatureV4 {
    let signer = this.signers.get(region);
    if (!signer) {
      signer = new SignatureV4({
        service: BEDROCK_SIGNING_NAME,
        region,
        credentials: this.credentials,
        sha256: NodeSha256,
        // Non-S3 services sign the already-encoded path encoded once more (`%3A` → `%253A`, §9.1).
        uriEscapePath: true,
        // botocore sends no x-amz-content-sha256 to Bedrock; the canonical request still hashes the body.
        applyChecksum: false,
      });
      this.signers.set(region, signer);
    }
    return signer;
  }
}
