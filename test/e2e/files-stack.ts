/**
 * The Files API stack: a gateway whose test accounts keep their files on a real S3 server, plus S3
 * clients to look behind the gateway's back (what is left in the bucket, unfinished multipart uploads).
 *
 * Accounts (all in the manifests below): `files-a` and `files-b` store files in the S3 server's bucket
 * under their own prefixes; `files-key` authenticates with a Bedrock API key; `files-badkeys` has keys S3
 * refuses and `files-down` an S3 endpoint nothing listens on. Callers: a Manager of all of them, and two Users of `files-a` only (so they need no account header).
 */
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import OpenAI from 'openai';
import { pino } from 'pino';
import { ManifestDirSource } from '../../gateway/src/config/index.js';
import type { FilesOptions } from '../../gateway/src/files/index.js';
import { type RunningGateway, startGateway } from '../../gateway/src/server/index.js';
import { type ConfigDir, makeConfigDir } from '../helpers/config-dir.js';

/** A running S3 server the test may use. */
export interface S3Backend {
  readonly name: string;
  readonly endpoint: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly region: string;
  /** An STS endpoint that issues credentials this S3 accepts (the emulator): adds the `files-role` account. */
  readonly stsEndpoint?: string;
  stop(): Promise<void>;
}

export const BUCKET = 'aigw-files-test';
/** The secret of the `files-badkeys` account: S3 refuses it, and it must never appear in an answer. */
export const WRONG_SECRET = 'wrongSecretKeyThatMustNotLeak0000000000';
export const KEYS = {
  manager: 'sk-files-manager-000000000000',
  alice: 'sk-files-alice-0000000000000',
  bob: 'sk-files-bob-00000000000000',
} as const;

function manifests(s3: S3Backend): Record<string, string> {
  const account = (
    name: string,
    auth: string,
    secret: string,
    s3Endpoint = s3.endpoint,
  ) => `apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: ${name}, namespace: default }
spec:
  provider: aws-bedrock
  region: ${s3.region}
  endpoint: http://127.0.0.1:9
  s3Endpoint: ${s3Endpoint}
  batch: { s3Bucket: ${BUCKET}, s3Prefix: "${name}/" }
  auth:
    type: ${auth}
    ${auth}: { secretRef: { name: ${secret} } }
  collaborators:
    - { subject: "user:manager@example.com", role: Manager }
${name === 'files-a' ? '    - { subject: "team:files-users", role: User }\n' : ''}`;
  const key = (name: string, token: string, subject: string, teams: string) => `apiVersion: v1
kind: Secret
type: aigateway.dev/api-key
metadata: { name: ${name}, namespace: default }
stringData: { token: ${token}, subject: "${subject}", teams: "${teams}" }
`;
  return {
    'files-accounts.yaml': [
      account('files-a', 'accessKey', 'files-s3-keys'),
      account('files-b', 'accessKey', 'files-s3-keys'),
      account('files-key', 'apiKey', 'files-bedrock-key'),
      // Wrong S3 keys, and an S3 endpoint nothing listens on (port 9, discard).
      account('files-badkeys', 'accessKey', 'files-wrong-keys'),
      account('files-down', 'accessKey', 'files-s3-keys', 'http://127.0.0.1:9'),
      `apiVersion: v1
kind: Secret
metadata: { name: files-wrong-keys, namespace: default }
stringData: { AWS_ACCESS_KEY_ID: "${s3.accessKeyId}", AWS_SECRET_ACCESS_KEY: "${WRONG_SECRET}" }
`,
      `apiVersion: v1
kind: Secret
metadata: { name: files-s3-keys, namespace: default }
stringData: { AWS_ACCESS_KEY_ID: "${s3.accessKeyId}", AWS_SECRET_ACCESS_KEY: "${s3.secretAccessKey}" }
`,
      `apiVersion: v1
kind: Secret
metadata: { name: files-bedrock-key, namespace: default }
stringData: { apiKey: ABSKRmlsZXNUZXN0S2V5 }
`,
      key('files-manager-key', KEYS.manager, 'user:manager@example.com', ''),
      key('files-alice-key', KEYS.alice, 'user:alice@example.com', 'files-users'),
      key('files-bob-key', KEYS.bob, 'user:bob@example.com', 'files-users'),
      ...(s3.stsEndpoint
        ? [
            // Assumes the emulator's demo role (its trust policy wants the external id) with the S3 keys as source.
            `apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: files-role, namespace: default }
spec:
  provider: aws-bedrock
  region: ${s3.region}
  endpoint: http://127.0.0.1:9
  stsEndpoint: ${s3.stsEndpoint}
  s3Endpoint: ${s3.endpoint}
  batch: { s3Bucket: ${BUCKET}, s3Prefix: "files-role/" }
  auth:
    type: assumeRole
    assumeRole:
      roleArn: arn:aws:iam::111122223333:role/BedrockAccess
      externalId: aigw-demo-external-id
      sourceSecretRef: { name: files-s3-keys }
  collaborators:
    - { subject: "user:manager@example.com", role: Manager }
`,
          ]
        : []),
    ].join('---\n'),
  };
}

export interface FilesStack {
  readonly gateway: RunningGateway;
  readonly config: ConfigDir;
  readonly s3: S3Client;
  /** An openai SDK client (retries off, so every status is the gateway's), optionally with the account header. */
  client(key: string, account?: string): OpenAI;
  /** A second gateway process on the same config (another replica, or the same one after a restart). */
  startReplica(): Promise<RunningGateway>;
  close(): Promise<void>;
}

export function s3ClientOf(s3: S3Backend): S3Client {
  return new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
}

export async function startFilesStack(s3: S3Backend, files: Partial<FilesOptions> = {}): Promise<FilesStack> {
  const client = s3ClientOf(s3);
  await client.send(new CreateBucketCommand({ Bucket: BUCKET })).catch((err: { name?: string }) => {
    if (err.name !== 'BucketAlreadyOwnedByYou' && err.name !== 'BucketAlreadyExists') throw err;
  });
  const config = await makeConfigDir({ extraFiles: manifests(s3) });
  const start = () =>
    startGateway({
      source: new ManifestDirSource(config.dir),
      port: 0,
      adminPort: null,
      logger: pino({ level: process.env.AIGW_TEST_LOG_LEVEL ?? 'silent' }),
      mediaFetcher: null,
      watch: false,
      files,
    });
  const gateway = await start();
  const replicas: RunningGateway[] = [];
  return {
    gateway,
    config,
    s3: client,
    client: (key, account) =>
      new OpenAI({
        baseURL: `${gateway.url}/v1`,
        apiKey: key,
        maxRetries: 0,
        timeout: 60_000,
        ...(account ? { defaultHeaders: { 'x-aigateway-account': account } } : {}),
      }),
    async startReplica() {
      const replica = await start();
      replicas.push(replica);
      return replica;
    },
    async close() {
      for (const r of replicas) await r.close();
      await gateway.close();
      client.destroy();
      await config.remove();
    },
  };
}
