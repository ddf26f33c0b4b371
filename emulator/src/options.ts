/**
 * Emulator options and their defaults (documented in docs/emulator.md, "Options").
 */

/** An IAM user with a long-term access key. */
export interface IdentityUser {
  /** User name; the principal is `arn:aws:iam::<account>:user/<name>`. */
  readonly name: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** The user's AWS account; default the emulator's `accountId`. Lets one emulator stand in for several accounts. */
  readonly accountId?: string;
}

/** A long-term Bedrock API key (IAM service-specific credential) and the user it belongs to. */
export interface IdentityApiKey {
  readonly key: string;
  /** Name of the IAM user the key belongs to. */
  readonly user: string;
}

/** A role that AssumeRole / AssumeRoleWithWebIdentity can assume. */
export interface IdentityRole {
  readonly arn: string;
  /** When set, AssumeRole must carry exactly this ExternalId (trust-policy `sts:ExternalId` condition). */
  readonly externalId?: string;
  /** The role's MaxSessionDuration in seconds (3600 by default, like IAM). */
  readonly maxSessionDuration?: number;
}

/** Identity data: who may call the emulator. Data, not code, so a config file can extend it. */
export interface IdentityConfig {
  readonly accountId: string;
  readonly users: readonly IdentityUser[];
  readonly apiKeys: readonly IdentityApiKey[];
  readonly roles: readonly IdentityRole[];
  /** Audience a web-identity token must carry. */
  readonly webIdentityAudience: string;
  /**
   * Container-credentials (EKS Pod Identity) endpoint: the role whose credentials `GET /v1/credentials`
   * returns for any non-empty Authorization token.
   */
  readonly containerCredentialsRole: string;
  /**
   * Foundation model ids the account has no access to: runtime calls answer 403 AccessDeniedException
   * (model access not granted in the Bedrock console).
   */
  readonly deniedModels: readonly string[];
}

/** Latency the emulator adds (all in milliseconds). */
export interface LatencyConfig {
  /** Added before a non-streaming reply is written. */
  fixedMs: number;
  /** Streams: delay between the 200 response and the first event. */
  timeToFirstTokenMs: number;
  /** Streams: delay between content deltas. */
  interTokenDelayMs: number;
}

/** Options of `startEmulator`. */
export interface EmulatorOptions {
  /** TCP port; default 4566; 0 picks a free port. */
  port?: number;
  /** Listen address; default 127.0.0.1. */
  host?: string;
  /** Latency settings; default all 0. */
  latency?: Partial<LatencyConfig>;
  /** Identities; merged over the built-in ones (lists are appended). */
  identity?: Partial<IdentityConfig>;
  /** Pin a region: SigV4 scopes and API keys for any other region are rejected. Default: any known region. */
  region?: string;
  /** Clock in epoch milliseconds (credential expiry, SigV4 skew, cache TTLs). Default `Date.now`. */
  now?: () => number;
  /** Secret for reasoning signatures; default a fixed string so signatures survive restarts. */
  signatureSecret?: string;
  /**
   * Also listen with TLS on this port (0 picks a free one), with a CA and server certificate generated at
   * startup; default: no TLS listener. Clients that send Bedrock API keys only over HTTPS (boto3) need it.
   */
  tlsPort?: number;
  /** With `tlsPort`: write the generated CA certificate (PEM) to this file so clients can trust it. */
  tlsCaFile?: string;
  /** The built-in S3 (docs/emulator.md, "S3"). */
  s3?: Partial<S3Options>;
  /** Batch inference jobs (docs/emulator.md, "Batch inference"). */
  batch?: Partial<BatchOptions>;
}

/** The built-in S3. */
export interface S3Options {
  /** Largest total of object and uploaded-part bytes held in memory. */
  maxBytes: number;
  /** Buckets created at startup. */
  buckets: readonly string[];
  /** Keep object bodies in files under this directory (and reload them at start) instead of in memory. */
  dir: string | undefined;
}

/** Where batch jobs read input and write output when it is not the built-in S3 (e.g. versitygw). */
export interface ExternalS3 {
  /** Endpoint URL, path-style (`http://127.0.0.1:7070`). */
  endpoint: string;
  /** Signing region; default `us-east-1`. */
  region?: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Batch inference (CreateModelInvocationJob and friends). */
export interface BatchOptions {
  /** Time each lifecycle step takes (Submitted → Validating → Scheduled → InProgress → end), ms. */
  stepMs: number;
  /** Time the runner spends per record while InProgress, ms (0 = as fast as it can). */
  recordDelayMs: number;
  /** Fewest records a job may have (Bedrock service quota, default 100). */
  minRecords: number;
  /** Most records per input file (Bedrock quota, 50,000). */
  maxRecordsPerFile: number;
  /** Most records per job (Bedrock quota, 50,000). */
  maxRecordsPerJob: number;
  /** Largest input file read, bytes (Bedrock: 1 GB; lower here, as the emulator holds a file in memory). */
  maxInputFileBytes: number;
  /** Largest total of a job's input files, bytes (Bedrock: 5 GB; lower here for the same reason). */
  maxJobInputBytes: number;
  /** Most submitted plus in-progress jobs per model (Bedrock quota, 20). */
  maxActiveJobsPerModel: number;
  /** `input` keeps each output file in input order; `shuffled` permutes it, as Bedrock does not guarantee order. */
  outputOrder: 'input' | 'shuffled';
  /** External S3 for job input and output; absent = the emulator's own S3. */
  s3: ExternalS3 | undefined;
}

export const DEFAULT_S3_OPTIONS: S3Options = {
  maxBytes: 512 * 1024 * 1024,
  buckets: ['aigw-demo'],
  dir: undefined,
};

export const DEFAULT_BATCH_OPTIONS: BatchOptions = {
  stepMs: 1000,
  recordDelayMs: 0,
  minRecords: 100,
  maxRecordsPerFile: 50_000,
  maxRecordsPerJob: 50_000,
  maxInputFileBytes: 256 * 1024 * 1024,
  maxJobInputBytes: 512 * 1024 * 1024,
  maxActiveJobsPerModel: 20,
  outputOrder: 'input',
  s3: undefined,
};

/** The built-in identities (docs/emulator.md, "Identities"). */
export const BUILTIN_IDENTITY: IdentityConfig = {
  accountId: '111122223333',
  users: [
    {
      name: 'aigw-emulator-user',
      accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
      secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    },
  ],
  apiKeys: [{ key: 'ABSKRW11bGF0b3JEZW1vS2V5', user: 'aigw-emulator-user' }],
  roles: [
    {
      arn: 'arn:aws:iam::111122223333:role/BedrockAccess',
      externalId: 'aigw-demo-external-id',
      maxSessionDuration: 43_200,
    },
    { arn: 'arn:aws:iam::111122223333:role/BedrockOpen', maxSessionDuration: 43_200 },
  ],
  webIdentityAudience: 'sts.amazonaws.com',
  containerCredentialsRole: 'arn:aws:iam::111122223333:role/BedrockOpen',
  deniedModels: [],
};

/** Regions a SigV4 scope or API key may name (Bedrock regions plus the common commercial ones). */
export const KNOWN_REGIONS: readonly string[] = [
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'us-gov-east-1',
  'us-gov-west-1',
  'ca-central-1',
  'ca-west-1',
  'sa-east-1',
  'mx-central-1',
  'eu-central-1',
  'eu-central-2',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'eu-north-1',
  'eu-south-1',
  'eu-south-2',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ap-south-1',
  'ap-south-2',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'ap-southeast-4',
  'ap-southeast-5',
  'ap-southeast-7',
  'ap-east-2',
  'me-central-1',
  'me-south-1',
  'il-central-1',
  'af-south-1',
];

export const DEFAULT_PORT = 4566;
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_SIGNATURE_SECRET = 'aigw-emulator-reasoning-signature-secret';
/** AWS rejects requests whose X-Amz-Date is more than 5 minutes off. */
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;

/** Builds the identity config: built-ins plus whatever the options add. */
export function mergeIdentity(extra: Partial<IdentityConfig> | undefined): IdentityConfig {
  return {
    accountId: extra?.accountId ?? BUILTIN_IDENTITY.accountId,
    users: [...BUILTIN_IDENTITY.users, ...(extra?.users ?? [])],
    apiKeys: [...BUILTIN_IDENTITY.apiKeys, ...(extra?.apiKeys ?? [])],
    roles: [...BUILTIN_IDENTITY.roles, ...(extra?.roles ?? [])],
    webIdentityAudience: extra?.webIdentityAudience ?? BUILTIN_IDENTITY.webIdentityAudience,
    containerCredentialsRole: extra?.containerCredentialsRole ?? BUILTIN_IDENTITY.containerCredentialsRole,
    deniedModels: [...BUILTIN_IDENTITY.deniedModels, ...(extra?.deniedModels ?? [])],
  };
}
