/**
 * The Batch API on S3 + Bedrock batch inference jobs. The gateway holds no state: a batch is its Bedrock
 * job (status, counters, times) plus the objects next to its records (layout.ts), so any replica, or a
 * restarted one, serves every batch.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { BedrockClient } from '@aws-sdk/client-bedrock';
import type { ServedModel, Snapshot } from '../config/index.js';
import { GatewayError } from '../errors/index.js';
import { batchPriceFor, costFor, parseModelId, unpricedReason } from '../models/index.js';
import { type AccountStorage, maySee, type S3Store, type StorageAccount } from '../storage/index.js';
import type { GatewayMetrics } from '../telemetry/index.js';
import {
  type BatchDescriptor,
  type BatchOutputContext,
  isFinalBatchStatus,
  type MissingRecordReason,
  toBatchStatus,
  toOpenAIBatch,
} from '../translate/batch/index.js';
import { embeddingModelKind } from '../translate/embeddings/index.js';
import type { BatchManifest, InvocationJobView } from '../wire/bedrock/index.js';
import type { Batch, BatchEndpoint } from '../wire/openai/index.js';
import type { BatchControlPlane } from './control-plane.js';
import { convertBatchLines } from './convert.js';
import type { BatchOptions } from './defaults.js';
import { type BatchRef, encodeBatchId, jobIdOfArn } from './ids.js';
import { batchKeys, folderOfInputUri, newFolderName } from './layout.js';
import { streamLines } from './lines.js';
import { joinBatchOutput } from './output.js';
import { UploadSink } from './sink.js';

/** Virtual file kinds of a batch's output and error files (served through the Files API). */
export const OUTPUT_FILE_KIND = 'batch_output';
export const ERROR_FILE_KIND = 'batch_error';

/** Bedrock's job-name pattern (bedrock-wire.md §7), 1–63 characters. */
export const JOB_NAME_RE = /^[a-zA-Z0-9]{1,63}(-*[a-zA-Z0-9+\-.]){0,63}$/;
const MAX_JOB_NAME = 63;
const MAX_LINE_BYTES = 16 * 1024 * 1024;

/** What a create needs once the route has parsed and authorised the request. */
export interface CreateBatchRequest {
  sa: StorageAccount;
  /** The input file's object (already checked to be visible to the caller). */
  input: { store: S3Store; key: string; id: string };
  endpoint: BatchEndpoint;
  model?: string | undefined;
  metadata: Record<string, string> | null;
  roleArn?: string | undefined;
  jobName?: string | undefined;
  idempotencyKey?: string | undefined;
  /** Authorises a model for the caller and the endpoint. */
  resolveModel(name: string): ServedModel;
  signal: AbortSignal;
}

/** A batch this gateway created, loaded from Bedrock and S3. */
export interface LoadedBatch {
  id: string;
  sa: StorageAccount;
  store: S3Store;
  client: BedrockClient;
  region: string;
  jobId: string;
  job: InvocationJobView;
  keys: ReturnType<typeof batchKeys>;
  descriptor: BatchDescriptor;
}

export interface BatchServiceDeps {
  controlPlane: BatchControlPlane;
  storage: AccountStorage;
  metrics: GatewayMetrics;
  options: BatchOptions;
  /** The config in service (for prices of the batch's model). */
  snapshot(): Snapshot | undefined;
  /** Errors that must not fail the request (e.g. cost accounting). */
  warn(message: string, err: unknown): void;
}

/** The virtual file ref of a batch's output or error file: region and job id (the account is in the id). */
export function batchFileRef(region: string, jobId: string): string {
  return `${region}/${jobId}`;
}

export function parseBatchFileRef(ref: string): { region: string; jobId: string } | undefined {
  const match = /^([a-z0-9-]{1,32})\/([a-z0-9]{1,64})$/.exec(ref);
  return match ? { region: match[1]!, jobId: match[2]! } : undefined;
}

export class BatchService {
  /** Folders whose cost this process already saw counted (saves the conditional PUT on every retrieve). */
  private readonly counted = new Set<string>();

  constructor(
    private readonly deps: BatchServiceDeps,
    private readonly fileId: (kind: string, account: string, ref: string) => string,
  ) {}

  get options(): BatchOptions {
    return this.deps.options;
  }

  /**
   * Converts the input file, writes records + map + descriptor, and creates the Bedrock job. Every
   * refusal (a line, the model, the record count) happens before the job exists; the objects written
   * for a refused batch are aborted or removed.
   */
  async create(req: CreateBatchRequest): Promise<Batch> {
    const { sa, signal } = req;
    const store = this.deps.storage.storeFor(sa.account, sa.credentials);
    const roleArn = req.roleArn ?? sa.account.batch.roleArn;
    if (!roleArn)
      throw new GatewayError(
        'missing_required_parameter',
        `The account '${sa.account.name}' has no batch.roleArn and the request sent no 'role_arn': Bedrock runs batch jobs with an IAM service role.`,
        { param: 'role_arn' },
      );
    // An idempotency key names the folder (and the job), so a retried create writes the same objects
    // and Bedrock answers the retry with the job it already made.
    const folder = req.idempotencyKey
      ? createHash('sha256')
          .update(JSON.stringify([sa.account.name, sa.subject, req.idempotencyKey]))
          .digest('hex')
          .slice(0, 24)
      : newFolderName();
    const jobName = req.jobName ?? `aigw-batch-${folder}`;
    if (jobName.length > MAX_JOB_NAME || !JOB_NAME_RE.test(jobName))
      throw new GatewayError(
        'invalid_value',
        "Invalid 'job_name': Bedrock job names are 1-63 characters, letters and digits, then letters, digits, '+', '-' or '.'.",
        { param: 'job_name' },
      );
    const keys = batchKeys(folder);
    const input = await req.input.store.get(req.input.key, { signal });
    if (!input)
      throw new GatewayError('not_found', `No such file: '${req.input.id.slice(0, 200)}'.`, { param: 'input_file_id' });

    const records = new UploadSink();
    const map = new UploadSink();
    const recordsKey = store.key(keys.records);
    const mapKey = store.key(keys.map);
    const uploads = [
      records.watch(store.put(recordsKey, records.stream, { contentType: 'application/jsonl', signal })),
      map.watch(store.put(mapKey, map.stream, { contentType: 'application/jsonl', signal })),
    ];
    let converted: Awaited<ReturnType<typeof convertBatchLines>>;
    try {
      converted = await convertBatchLines(
        streamLines(input.body, { maxLineBytes: MAX_LINE_BYTES, what: 'the input file' }),
        { record: (l) => records.write(l), map: (l) => map.write(l) },
        {
          endpoint: req.endpoint,
          model: req.model,
          resolveModel: (name) => {
            const route = req.resolveModel(name);
            if (route.account.name !== sa.account.name)
              throw new GatewayError(
                'invalid_value',
                `The model '${route.model.servedName}' belongs to the account '${route.account.name}' but the input file is in the storage of '${sa.account.name}'; a batch runs in the account that holds its file.`,
                { param: 'model' },
              );
            return route;
          },
          minRecords: this.options.minRecords,
          maxRecords: this.options.maxRecords,
          sliceMs: this.options.conversionSliceMs,
        },
      );
      await Promise.all([records.end(), map.end()]);
      await Promise.all(uploads);
    } catch (err) {
      input.body.destroy();
      records.abort(err);
      map.abort(err);
      await Promise.allSettled(uploads);
      // A sink that completed before another failed leaves an object; remove it.
      await Promise.allSettled([store.delete(recordsKey), store.delete(mapKey)]);
      throw err;
    }
    const { route } = converted;
    // A retry of an idempotent create keeps the first attempt's creation time.
    const earlier = req.idempotencyKey
      ? await readJson<BatchDescriptor>(store, store.key(keys.descriptor), signal)
      : undefined;
    const now = earlier?.created_at ?? Math.floor(Date.now() / 1000);
    const descriptor: BatchDescriptor = {
      version: 1,
      endpoint: req.endpoint,
      input_file_id: req.input.id,
      completion_window: '24h',
      metadata: req.metadata,
      model: route.model.servedName,
      subject: sa.subject,
      created_at: now,
      request_count: converted.records,
    };
    await store.put(store.key(keys.descriptor), JSON.stringify(descriptor), {
      contentType: 'application/json',
      signal,
    });
    const region = route.model.region;
    const client = await this.deps.controlPlane.clientFor(sa.account, sa.credentials, region);
    const jobArn = await this.deps.controlPlane.create(
      client,
      {
        jobName,
        roleArn,
        modelId: route.model.modelId,
        inputS3Uri: store.uri(recordsKey),
        outputS3Uri: store.uri(store.key(keys.output)),
        modelInvocationType: req.endpoint === '/v1/chat/completions' ? 'Converse' : 'InvokeModel',
        timeoutHours: this.options.jobTimeoutHours,
        clientRequestToken: req.idempotencyKey,
        tags: [{ key: 'aigateway.dev/batch', value: folder }],
      },
      signal,
    );
    const jobId = jobIdOfArn(jobArn) ?? jobArn.slice(jobArn.lastIndexOf('/') + 1);
    const job = (await this.deps.controlPlane.get(client, jobId, signal).catch(() => undefined)) ?? {
      jobArn,
      jobName,
      status: 'Submitted',
      submitTime: new Date(now * 1000),
    };
    return this.view({
      id: encodeBatchId({ account: sa.account.name, region, jobId }),
      sa,
      store,
      client,
      region,
      jobId,
      job,
      keys: batchKeys(folder, jobId),
      descriptor,
    });
  }

  /**
   * The batch of a ref, or undefined when there is none the caller may see: unknown job, a job this
   * gateway did not create for the account, or (for a `User`) another caller's batch.
   */
  async load(sa: StorageAccount, ref: BatchRef, signal?: AbortSignal): Promise<LoadedBatch | undefined> {
    const store = this.deps.storage.storeFor(sa.account, sa.credentials);
    const client = await this.deps.controlPlane.clientFor(sa.account, sa.credentials, ref.region);
    const job = await this.deps.controlPlane.get(client, ref.jobId, signal);
    if (!job) return undefined;
    const jobId = jobIdOfArn(job.jobArn) ?? ref.jobId;
    return this.loadJob(sa, store, client, ref.region, jobId, job, signal);
  }

  private async loadJob(
    sa: StorageAccount,
    store: S3Store,
    client: BedrockClient,
    region: string,
    jobId: string,
    job: InvocationJobView,
    signal?: AbortSignal,
  ): Promise<LoadedBatch | undefined> {
    const folder = folderOfInputUri(job.inputS3Uri, store.bucket, store.prefix);
    if (folder === undefined) return undefined;
    const keys = batchKeys(folder, jobId);
    const descriptor = await readJson<BatchDescriptor>(store, store.key(keys.descriptor), signal);
    if (descriptor?.version !== 1 || !maySee(sa, descriptor.subject)) return undefined;
    return {
      id: encodeBatchId({ account: sa.account.name, region, jobId }),
      sa,
      store,
      client,
      region,
      jobId,
      job,
      keys,
      descriptor,
    };
  }

  /** The Batch object; a finished job's manifest supplies usage, and its cost is counted (once). */
  async view(batch: LoadedBatch, signal?: AbortSignal): Promise<Batch> {
    const status = toBatchStatus(batch.job.status);
    let manifest: BatchManifest | undefined;
    if (isFinalBatchStatus(status) && batch.keys.manifest) {
      manifest = await readJson<BatchManifest>(batch.store, batch.store.key(batch.keys.manifest), signal);
      if (manifest) await this.countCostOnce(batch, manifest, signal);
    }
    const ref = batchFileRef(batch.region, batch.jobId);
    return toOpenAIBatch({
      id: batch.id,
      job: batch.job,
      descriptor: batch.descriptor,
      manifest,
      outputFileId: this.fileId(OUTPUT_FILE_KIND, batch.sa.account.name, ref),
      errorFileId: this.fileId(ERROR_FILE_KIND, batch.sa.account.name, ref),
    });
  }

  /** Stops a job that has not finished; a finished batch cannot be cancelled (400). */
  async cancel(batch: LoadedBatch, signal?: AbortSignal): Promise<Batch> {
    const status = toBatchStatus(batch.job.status);
    if (isFinalBatchStatus(status))
      throw new GatewayError('invalid_request', `The batch is already ${status} and cannot be cancelled.`);
    if (status !== 'cancelling') await this.deps.controlPlane.stop(batch.client, batch.jobId, signal);
    const job = (await this.deps.controlPlane.get(batch.client, batch.jobId, signal)) ?? batch.job;
    return this.view({ ...batch, job }, signal);
  }

  /**
   * The caller's batches in the given accounts, newest first: the jobs whose input lies under an
   * account's `batches/` folder, filtered by ownership for `User` collaborators.
   */
  async list(
    accounts: readonly StorageAccount[],
    page: { after?: string | undefined; limit: number },
    signal?: AbortSignal,
  ): Promise<{ data: Batch[]; has_more: boolean }> {
    const candidates: {
      sa: StorageAccount;
      store: S3Store;
      client: BedrockClient;
      region: string;
      job: InvocationJobView;
    }[] = [];
    for (const sa of accounts) {
      const store = this.deps.storage.storeFor(sa.account, sa.credentials);
      // Jobs run in their model's region; list each region the account's models use.
      const regions = new Set([sa.account.region]);
      for (const route of this.deps.snapshot()?.models.values() ?? [])
        if (route.account.name === sa.account.name) regions.add(route.model.region);
      for (const region of regions) {
        const client = await this.deps.controlPlane.clientFor(sa.account, sa.credentials, region);
        let nextToken: string | undefined;
        let scanned = 0;
        do {
          const res = await this.deps.controlPlane.listPage(client, { nextToken, maxResults: 100 }, signal);
          for (const job of res.jobs)
            if (folderOfInputUri(job.inputS3Uri, store.bucket, store.prefix) !== undefined)
              candidates.push({ sa, store, client, region, job });
          scanned += res.jobs.length;
          nextToken = res.nextToken;
        } while (nextToken && scanned < this.options.listScanLimit);
      }
    }
    candidates.sort((a, b) => (b.job.submitTime?.getTime() ?? 0) - (a.job.submitTime?.getTime() ?? 0));
    const data: Batch[] = [];
    let skipping = page.after !== undefined;
    let hasMore = false;
    for (const c of candidates) {
      const jobId = jobIdOfArn(c.job.jobArn);
      if (!jobId) continue;
      const id = encodeBatchId({ account: c.sa.account.name, region: c.region, jobId });
      if (skipping) {
        if (id === page.after || c.job.jobArn === page.after) skipping = false;
        continue;
      }
      const loaded = await this.loadJob(c.sa, c.store, c.client, c.region, jobId, c.job, signal);
      if (!loaded) continue;
      if (data.length === page.limit) {
        hasMore = true;
        break;
      }
      data.push(await this.view(loaded, signal));
    }
    return { data, has_more: hasMore };
  }

  /** Bedrock's own output records of the batch as one JSON array (streamed). */
  async rawOutput(batch: LoadedBatch, signal?: AbortSignal): Promise<Readable> {
    const key = batch.keys.outputRecords ? batch.store.key(batch.keys.outputRecords) : undefined;
    const object = key ? await batch.store.get(key, { signal }) : undefined;
    async function* array(): AsyncGenerator<string> {
      yield '[';
      let first = true;
      if (object) {
        for await (const line of streamLines(object.body, { maxLineBytes: MAX_LINE_BYTES, what: 'the output file' })) {
          if (line.text.trim() === '') continue;
          yield first ? line.text : `,${line.text}`;
          first = false;
        }
      }
      yield ']';
    }
    return Readable.from(array(), { objectMode: false });
  }

  /**
   * Size in bytes of the output or error file (OpenAI's FileObject carries it). The content of a finished
   * batch never changes, so the first count is kept next to the batch and later calls read it back.
   */
  async fileSize(batch: LoadedBatch, want: 'output' | 'error', signal?: AbortSignal): Promise<number | undefined> {
    const key = batch.store.key(`${batch.keys.folder}${want}-file-bytes.json`);
    const known = await readJson<{ bytes?: unknown }>(batch.store, key, signal);
    if (typeof known?.bytes === 'number') return known.bytes;
    const body = await this.fileContent(batch, want, signal);
    if (!body) return undefined;
    let bytes = 0;
    for await (const chunk of body) bytes += Buffer.byteLength(chunk as string | Buffer);
    await batch.store
      .createIfAbsent(key, JSON.stringify({ bytes }), {
        contentType: 'application/json',
        ...(signal ? { signal } : {}),
      })
      .catch((err: unknown) => this.deps.warn('recording the size of a batch file failed', err));
    return bytes;
  }

  /** Content of the output (`output`) or error (`error`) file; undefined before the batch has finished. */
  async fileContent(batch: LoadedBatch, want: 'output' | 'error', signal?: AbortSignal): Promise<Readable | undefined> {
    const status = toBatchStatus(batch.job.status);
    if (!isFinalBatchStatus(status)) return undefined;
    const { store, keys } = batch;
    const outKey = keys.outputRecords ? store.key(keys.outputRecords) : undefined;
    const lineOptions = { maxLineBytes: MAX_LINE_BYTES, what: 'the batch output' };
    const ctx: BatchOutputContext = {
      endpoint: batch.descriptor.endpoint,
      servedName: batch.descriptor.model,
      embeddingKind:
        batch.descriptor.endpoint === '/v1/embeddings'
          ? embeddingModelKind(parseModelId(batch.job.modelId ?? '')?.foundationModelId)
          : undefined,
      jobId: batch.jobId,
      created: Math.floor((batch.job.endTime ?? batch.job.lastModifiedTime ?? new Date()).getTime() / 1000),
    };
    const missingReason: MissingRecordReason =
      status === 'expired' ? 'batch_expired' : status === 'cancelled' ? 'batch_cancelled' : 'batch_failed';
    const generator = joinBatchOutput(
      {
        mapLines: () => {
          async function* lines() {
            const object = await store.get(store.key(keys.map), signal ? { signal } : {});
            if (!object) throw new GatewayError('upstream_error', 'The batch record map is missing from S3.');
            yield* streamLines(object.body, lineOptions);
          }
          return lines();
        },
        outputLines: async () => {
          const object = outKey ? await store.get(outKey, signal ? { signal } : {}) : undefined;
          return object ? streamLines(object.body, lineOptions) : undefined;
        },
        readRange: async (offset, length) => {
          const object = await store.get(outKey!, {
            range: `bytes=${offset}-${offset + length - 1}`,
            ...(signal ? { signal } : {}),
          });
          if (!object) throw new GatewayError('upstream_error', 'The batch output changed while it was read.');
          const chunks: Buffer[] = [];
          for await (const chunk of object.body) chunks.push(chunk as Buffer);
          return Buffer.concat(chunks).toString('utf8');
        },
      },
      {
        want,
        total: batch.descriptor.request_count,
        ctx,
        missingReason,
        reorderBufferBytes: this.options.reorderBufferBytes,
      },
    );
    return Readable.from(generator, { objectMode: false });
  }

  /**
   * Adds a finished batch's tokens and cost to the metrics exactly once across all replicas: the first
   * to create the marker object (S3 `If-None-Match: *`) counts, every other sees 412 and does not.
   */
  private async countCostOnce(batch: LoadedBatch, manifest: BatchManifest, signal?: AbortSignal): Promise<void> {
    const markerKey = batch.store.key(batch.keys.costMarker);
    if (this.counted.has(markerKey)) return;
    const input = manifest.inputTokenCount ?? 0;
    const output = manifest.outputTokenCount ?? 0;
    const [accountName, ...rest] = batch.descriptor.model.split('/');
    const modelName = rest.join('/');
    const route = this.deps.snapshot()?.models.get(batch.descriptor.model);
    const usd = route ? costFor(batchPriceFor(route.model), { inputTokens: input, outputTokens: output }) : undefined;
    try {
      const created = await batch.store.createIfAbsent(
        markerKey,
        JSON.stringify({
          input_tokens: input,
          output_tokens: output,
          usd: usd ?? null,
          counted_at: new Date().toISOString(),
        }),
        { contentType: 'application/json', ...(signal ? { signal } : {}) },
      );
      if (created) {
        const account = accountName ?? batch.sa.account.name;
        this.deps.metrics.addTokens(account, modelName, 'input', input);
        this.deps.metrics.addTokens(account, modelName, 'output', output);
        if (usd !== undefined && usd > 0) {
          this.deps.metrics.cost.labels(account, modelName, batch.descriptor.subject).inc(usd);
          const team = teamOfSubject(this.deps.snapshot(), batch.descriptor.subject);
          this.deps.metrics.teamCost.labels(account, modelName, team).inc(usd);
        } else if (route && usd === undefined && input + output > 0) {
          const reason = unpricedReason(batchPriceFor(route.model), { inputTokens: input, outputTokens: output });
          if (reason) this.deps.metrics.unpriced.labels(account, modelName, reason).inc();
        }
      }
      if (this.counted.size > 10_000) this.counted.clear();
      this.counted.add(markerKey);
    } catch (err) {
      // The next retrieve tries again; the Batch itself is still answered.
      this.deps.warn('counting the cost of a finished batch failed', err);
    }
  }
}

/**
 * The metrics team of a batch's creator: the team of the api key with that subject in the current config
 * (batches keep only the subject), else `-`.
 */
function teamOfSubject(snapshot: Snapshot | undefined, subject: string): string {
  if (snapshot)
    for (const caller of snapshot.callersByKeyHash.values()) if (caller.subject === subject) return caller.metricTeam;
  return '-';
}

async function readJson<T>(store: S3Store, key: string, signal?: AbortSignal): Promise<T | undefined> {
  const object = await store.get(key, signal ? { signal } : {});
  if (!object) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of object.body) {
    size += (chunk as Buffer).length;
    if (size > 1024 * 1024) {
      object.body.destroy();
      return undefined;
    }
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as T;
  } catch {
    return undefined;
  }
}
