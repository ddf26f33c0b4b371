/**
 * Batch ids. The gateway keeps no state of its own, so an id carries what any replica needs to find the
 * job: the provider account, the Bedrock region and the job id, as `batch_` + base64url. Raw job ARNs
 * are accepted too (URL-encoded or not); their account then comes from `x-aigateway-account`.
 */

/** What a batch id names. `account` is absent for a raw ARN. */
export interface BatchRef {
  account?: string;
  region: string;
  jobId: string;
}

const PREFIX = 'batch_';
const JOB_ID_RE = /^[a-z0-9]{1,64}$/;
const REGION_RE = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const ACCOUNT_RE = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
// arn:{partition}:bedrock:{region}:{account}:model-invocation-job/{jobId} (bedrock-wire.md §7); any
// partition (aws, aws-us-gov, aws-cn), as a peer that insisted on `arn:aws:` failed in GovCloud and China.
const ARN_RE = /^arn:aws[a-z-]*:bedrock:([a-z0-9-]+):\d{12}:model-invocation-job\/([a-z0-9]{1,64})$/;

/** `batch_…` for a job this gateway created. */
export function encodeBatchId(ref: Required<BatchRef>): string {
  return PREFIX + Buffer.from(JSON.stringify([ref.account, ref.region, ref.jobId]), 'utf8').toString('base64url');
}

/** The ref of a `batch_…` id or a job ARN (raw or URL-encoded); undefined for anything else. */
export function decodeBatchId(id: string): BatchRef | undefined {
  if (id.startsWith(PREFIX)) {
    const encoded = id.slice(PREFIX.length);
    if (!/^[A-Za-z0-9_-]{1,400}$/.test(encoded)) return undefined;
    try {
      const value: unknown = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
      if (!Array.isArray(value) || value.length !== 3) return undefined;
      const [account, region, jobId] = value;
      if (typeof account !== 'string' || !ACCOUNT_RE.test(account)) return undefined;
      if (typeof region !== 'string' || !REGION_RE.test(region)) return undefined;
      if (typeof jobId !== 'string' || !JOB_ID_RE.test(jobId)) return undefined;
      return { account, region, jobId };
    } catch {
      return undefined;
    }
  }
  let arn = id;
  if (/%[0-9a-fA-F]{2}/.test(arn)) {
    try {
      arn = decodeURIComponent(arn);
    } catch {
      return undefined;
    }
  }
  const match = ARN_RE.exec(arn);
  if (!match) return undefined;
  return { region: match[1]!, jobId: match[2]! };
}

/** The job ARN's job id part (Bedrock returns ARNs; ids carry the short form). */
export function jobIdOfArn(arn: string): string | undefined {
  return ARN_RE.exec(arn)?.[2];
}
