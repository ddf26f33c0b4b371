/**
 * Bedrock's batch control plane (bedrock-wire.md §7) through @aws-sdk/client-bedrock: one client per
 * account, region and credential material, built once and reused (the SDK client owns the keep-alive pool
 * and signs with the account's credentials: access keys, an assumed role's refreshing session or the
 * default chain). Errors become GatewayErrors; AWS's own text is kept out of responses where it can name
 * principals or roles.
 */
import type {
  BedrockClient,
  CreateModelInvocationJobCommandInput,
  GetModelInvocationJobCommandOutput,
  ModelInvocationJobSummary,
} from '@aws-sdk/client-bedrock';
import type { AccountCredentials, CompiledAccount } from '../config/index.js';
import { bedrockExceptionRule, GatewayError, redactSecrets } from '../errors/index.js';
import { type AuthLookup, credentialProviderOf } from '../storage/index.js';
import { awsSdkTracingMiddleware } from '../telemetry/index.js';
import { authCacheKey, createSdkRequestHandler, UPSTREAM_DEFAULTS, UpstreamAuthCache } from '../upstream/index.js';
import type { InvocationJobView } from '../wire/bedrock/index.js';
import type { BatchOptions } from './defaults.js';

/**
 * How the control plane finds an account's credentials: the Bedrock upstream's cached auth (one STS
 * session per account for runtime, S3 and control plane), else auths created and cached here.
 */
export interface ControlPlaneCredentials {
  authFor?: AuthLookup | undefined;
}

/** The job fields of a Create call the gateway chooses. */
export interface CreateJobInput {
  jobName: string;
  roleArn: string;
  modelId: string;
  inputS3Uri: string;
  outputS3Uri: string;
  modelInvocationType: 'Converse' | 'InvokeModel';
  timeoutHours: number;
  clientRequestToken?: string | undefined;
  tags?: { key: string; value: string }[];
}

type Job = GetModelInvocationJobCommandOutput | ModelInvocationJobSummary;

function viewOf(job: Job): InvocationJobView {
  const view: InvocationJobView = { jobArn: job.jobArn ?? '' };
  const set = <K extends keyof InvocationJobView>(key: K, value: InvocationJobView[K] | undefined) => {
    if (value !== undefined && value !== null) view[key] = value;
  };
  set('jobName', job.jobName);
  set('modelId', job.modelId);
  set('status', job.status);
  set('message', job.message);
  set('submitTime', job.submitTime);
  set('lastModifiedTime', job.lastModifiedTime);
  set('endTime', job.endTime);
  set('jobExpirationTime', job.jobExpirationTime);
  set('inputS3Uri', job.inputDataConfig?.s3InputDataConfig?.s3Uri);
  set('outputS3Uri', job.outputDataConfig?.s3OutputDataConfig?.s3Uri);
  const counts = job as {
    totalRecordCount?: number;
    processedRecordCount?: number;
    successRecordCount?: number;
    errorRecordCount?: number;
  };
  set('totalRecordCount', counts.totalRecordCount);
  set('processedRecordCount', counts.processedRecordCount);
  set('successRecordCount', counts.successRecordCount);
  set('errorRecordCount', counts.errorRecordCount);
  return view;
}

/**
 * A failed control-plane call as a GatewayError. Validation and conflict messages are Bedrock's own
 * (redacted of anything credential-like: they tell the caller which parameter to fix); access errors
 * name only the exception, since their text names principals and roles.
 */
export function controlPlaneError(err: unknown, what: string): GatewayError {
  if (err instanceof GatewayError) return err;
  const name = typeof err === 'object' && err !== null && 'name' in err ? String(err.name) : '';
  const message = err instanceof Error ? redactSecrets(err.message) : '';
  if (name === 'ResourceNotFoundException')
    return new GatewayError('not_found', `${what}: Bedrock has no such batch job.`, { cause: err });
  if (name === 'ValidationException' || name === 'ConflictException')
    return new GatewayError('invalid_request', `${what}: Bedrock refused the job (${name}): ${message}`, {
      cause: err,
    });
  if (name === 'ServiceQuotaExceededException')
    return new GatewayError(
      'rate_limit_exceeded',
      `${what}: a Bedrock batch quota is exhausted (${name}): ${message}`,
      {
        cause: err,
      },
    );
  if (name === 'TimeoutError' || name === 'AbortError')
    return new GatewayError('upstream_timeout', `${what}: Bedrock did not answer in time.`, { cause: err });
  const rule = bedrockExceptionRule(name);
  if (rule) return new GatewayError(rule.code, `${what} failed (${name}).`, { cause: err });
  return new GatewayError('upstream_error', `${what} failed${name ? ` (${name})` : ''}.`, { cause: err });
}

type BedrockSdk = typeof import('@aws-sdk/client-bedrock');
let bedrockSdk: Promise<BedrockSdk> | undefined;
/**
 * The SDK is loaded on the first control-plane call, so a gateway no one asks for batches never holds it
 * in memory (docs/benchmarks.md, Memory).
 */
function loadBedrockSdk(): Promise<BedrockSdk> {
  bedrockSdk ??= import('@aws-sdk/client-bedrock');
  return bedrockSdk;
}

export class BatchControlPlane {
  private readonly clients = new Map<string, BedrockClient>();
  /** Auths of its own, when the caller lends none (`credentials.authFor`). */
  private readonly ownAuth = new UpstreamAuthCache({
    refreshBeforeMs: UPSTREAM_DEFAULTS.credentialRefreshBeforeMs,
    jitterMs: UPSTREAM_DEFAULTS.credentialRefreshJitterMs,
    failureBackoffMs: UPSTREAM_DEFAULTS.credentialFailureBackoffMs,
  });

  constructor(
    private readonly credentials: ControlPlaneCredentials,
    private readonly options: Pick<BatchOptions, 'controlPlaneTimeoutMs'>,
  ) {}

  /** The client of an account in a region (cached; never one per request). */
  async clientFor(
    account: CompiledAccount,
    credentials: AccountCredentials | undefined,
    region: string,
  ): Promise<BedrockClient> {
    const { BedrockClient } = await loadBedrockSdk();
    const key = `${authCacheKey(account, credentials)}|${region}|${account.controlPlaneEndpoint ?? ''}`;
    let client = this.clients.get(key);
    if (!client) {
      const auth = this.credentials.authFor?.(account, credentials) ?? this.ownAuth.get(account, credentials);
      const provider = credentialProviderOf(auth, credentials);
      client = new BedrockClient({
        region,
        ...(account.controlPlaneEndpoint ? { endpoint: account.controlPlaneEndpoint } : {}),
        ...(provider ? { credentials: provider } : {}),
        // Through HTTPS_PROXY / NO_PROXY like every call to AWS (docs/configuration.md, "Egress through a proxy").
        requestHandler: createSdkRequestHandler({ requestTimeoutMs: this.options.controlPlaneTimeoutMs }),
      });
      // One CLIENT span per control-plane call when the caller's request is traced (docs/configuration.md).
      (client.middlewareStack as unknown as { add(m: unknown, o: { step: 'initialize'; name: string }): void }).add(
        awsSdkTracingMiddleware('Bedrock'),
        { step: 'initialize', name: 'aigwTracing' },
      );
      this.clients.set(key, client);
    }
    return client;
  }

  async create(client: BedrockClient, input: CreateJobInput, signal?: AbortSignal): Promise<string> {
    const params: CreateModelInvocationJobCommandInput = {
      jobName: input.jobName,
      roleArn: input.roleArn,
      modelId: input.modelId,
      inputDataConfig: { s3InputDataConfig: { s3Uri: input.inputS3Uri, s3InputFormat: 'JSONL' } },
      outputDataConfig: { s3OutputDataConfig: { s3Uri: input.outputS3Uri } },
      timeoutDurationInHours: input.timeoutHours,
      modelInvocationType: input.modelInvocationType,
      ...(input.clientRequestToken ? { clientRequestToken: input.clientRequestToken } : {}),
      ...(input.tags && input.tags.length > 0 ? { tags: input.tags } : {}),
    };
    try {
      const out = await client.send(
        new (await loadBedrockSdk()).CreateModelInvocationJobCommand(params),
        signal ? { abortSignal: signal } : {},
      );
      if (!out.jobArn)
        throw new GatewayError('upstream_error', 'Bedrock created the batch job without returning its ARN.');
      return out.jobArn;
    } catch (err) {
      throw controlPlaneError(err, 'Creating the Bedrock batch job');
    }
  }

  /** The job, or undefined when Bedrock does not know it. */
  async get(client: BedrockClient, jobId: string, signal?: AbortSignal): Promise<InvocationJobView | undefined> {
    try {
      const out = await client.send(
        new (await loadBedrockSdk()).GetModelInvocationJobCommand({ jobIdentifier: jobId }),
        signal ? { abortSignal: signal } : {},
      );
      return viewOf(out);
    } catch (err) {
      const name = typeof err === 'object' && err !== null && 'name' in err ? String(err.name) : '';
      if (name === 'ResourceNotFoundException') return undefined;
      // An id Bedrock finds malformed is an unknown id to the caller.
      if (name === 'ValidationException') return undefined;
      throw controlPlaneError(err, 'Reading the Bedrock batch job');
    }
  }

  async stop(client: BedrockClient, jobId: string, signal?: AbortSignal): Promise<void> {
    try {
      await client.send(
        new (await loadBedrockSdk()).StopModelInvocationJobCommand({ jobIdentifier: jobId }),
        signal ? { abortSignal: signal } : {},
      );
    } catch (err) {
      throw controlPlaneError(err, 'Stopping the Bedrock batch job');
    }
  }

  /** One page of jobs, newest first. */
  async listPage(
    client: BedrockClient,
    opts: { nextToken?: string | undefined; maxResults: number; nameContains?: string | undefined },
    signal?: AbortSignal,
  ): Promise<{ jobs: InvocationJobView[]; nextToken?: string | undefined }> {
    try {
      const out = await client.send(
        new (await loadBedrockSdk()).ListModelInvocationJobsCommand({
          maxResults: opts.maxResults,
          sortBy: 'CreationTime',
          sortOrder: 'Descending',
          ...(opts.nextToken ? { nextToken: opts.nextToken } : {}),
          ...(opts.nameContains ? { nameContains: opts.nameContains } : {}),
        }),
        signal ? { abortSignal: signal } : {},
      );
      return { jobs: (out.invocationJobSummaries ?? []).map(viewOf), nextToken: out.nextToken };
    } catch (err) {
      throw controlPlaneError(err, 'Listing the Bedrock batch jobs');
    }
  }

  /** Destroys the clients (and own auths) of accounts no longer in the config, or whose settings changed. */
  retain(live: Iterable<{ account: CompiledAccount; credentials: AccountCredentials | undefined }>): void {
    const accounts = [...live];
    const keep = new Set<string>();
    for (const { account, credentials } of accounts) keep.add(authCacheKey(account, credentials));
    for (const [key, client] of this.clients) {
      if (!keep.has(key.slice(0, key.indexOf('|')))) {
        client.destroy();
        this.clients.delete(key);
      }
    }
    this.ownAuth.retain(accounts);
  }

  close(): void {
    for (const client of this.clients.values()) client.destroy();
    this.clients.clear();
    this.ownAuth.close();
  }
}
