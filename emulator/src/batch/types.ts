/**
 * Batch inference job records (bedrock-wire.md §7): what CreateModelInvocationJob stores and what
 * Get/ListModelInvocationJobs return.
 */

/** ModelInvocationJobStatus. */
export type JobStatus =
  | 'Submitted'
  | 'Validating'
  | 'Scheduled'
  | 'InProgress'
  | 'Completed'
  | 'PartiallyCompleted'
  | 'Failed'
  | 'Stopping'
  | 'Stopped'
  | 'Expired';

export const JOB_STATUSES: readonly JobStatus[] = [
  'Submitted',
  'InProgress',
  'Completed',
  'Failed',
  'Stopping',
  'Stopped',
  'PartiallyCompleted',
  'Expired',
  'Validating',
  'Scheduled',
];

/** Statuses a job never leaves. */
export const TERMINAL_STATUSES: ReadonlySet<JobStatus> = new Set([
  'Completed',
  'PartiallyCompleted',
  'Failed',
  'Stopped',
  'Expired',
]);

export type InvocationType = 'InvokeModel' | 'Converse';

/** A validated CreateModelInvocationJob request. */
export interface JobSpec {
  readonly jobName: string;
  readonly roleArn: string;
  readonly modelId: string;
  /** Foundation model behind `modelId`. */
  readonly foundationModelId: string;
  readonly clientRequestToken: string | undefined;
  readonly inputDataConfig: { s3InputDataConfig: { s3Uri: string; s3InputFormat?: string; s3BucketOwner?: string } };
  readonly outputDataConfig: {
    s3OutputDataConfig: { s3Uri: string; s3EncryptionKeyId?: string; s3BucketOwner?: string };
  };
  readonly vpcConfig: { subnetIds: string[]; securityGroupIds: string[] } | undefined;
  readonly timeoutDurationInHours: number;
  readonly modelInvocationType: InvocationType;
  readonly tags: ReadonlyArray<{ key: string; value: string }>;
}

/** A job as the emulator keeps it. */
export interface Job {
  readonly id: string;
  readonly arn: string;
  readonly spec: JobSpec;
  /** Canonical JSON of the request, for idempotency-token comparison. */
  readonly fingerprint: string;
  status: JobStatus;
  message: string | undefined;
  readonly submitTime: number;
  lastModifiedTime: number;
  endTime: number | undefined;
  readonly jobExpirationTime: number;
  totalRecordCount: number;
  processedRecordCount: number;
  successRecordCount: number;
  errorRecordCount: number;
  inputTokenCount: number;
  outputTokenCount: number;
  /** Set by StopModelInvocationJob. */
  stopRequested: boolean;
}
