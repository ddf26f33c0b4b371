/**
 * Batch inference jobs (bedrock-wire.md §7): the job table behind Create/Get/List/StopModelInvocationJob,
 * and the runner that walks each job through Submitted → Validating → Scheduled → InProgress →
 * Completed | PartiallyCompleted | Failed | Stopping → Stopped | Expired, reading `.jsonl` input from S3
 * and writing `{output}/{jobId}/{file}.out` plus `manifest.json.out`, as Bedrock does.
 *
 * Cost bounds: a job holds its input files in memory (each at most `maxInputFileBytes`, at most
 * `maxRecordsPerJob` records) and its output until the end; records are processed in slices that yield to
 * the event loop, so a 50,000-record job never blocks other requests for more than one slice.
 */

import { createHash, randomBytes } from 'node:crypto';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { lookupModel, resolveModel } from '../catalog.js';
import { BedrockException, INVALID_MODEL_MESSAGE, validationException } from '../errors.js';
import { type BatchOptions, DEFAULT_BATCH_OPTIONS } from '../options.js';
import type { EmulatorState } from '../state.js';
import { BATCH_MODELS } from './models.js';
import { runRecord } from './records.js';
import { type BatchStorage, BatchStorageError, builtinStorage, externalStorage, parseS3Uri } from './storage.js';
import { type Job, type JobSpec, type JobStatus, TERMINAL_STATUSES } from './types.js';
import { type CreateJobInput, type ListJobsInput, matchesPattern } from './validate.js';

/** Records processed between two yields to the event loop (a few milliseconds of work). */
const SLICE_RECORDS = 50;

/** A batch fault (`POST /_emulator/batch/faults`, docs/emulator.md "Batch faults"). */
export interface BatchFault {
  /**
   * `fail`: the job fails (at `stage`, default InProgress) with `message`; `expire`: the job times out after
   * `afterRecords` records; `hold`: the job stays InProgress after `afterRecords` records until the batch
   * faults are cleared or the job is stopped.
   */
  type: 'fail' | 'expire' | 'hold';
  /** Only jobs whose name contains this text. */
  jobName?: string;
  /** `fail`: `Validating` or `InProgress` (default). */
  stage?: 'Validating' | 'InProgress';
  /** Records processed first (default 0). */
  afterRecords?: number;
  message?: string;
  /** Jobs left to fault; absent = every matching job until cleared. */
  count?: number;
}

/** One input file held for processing. */
interface InputFile {
  readonly key: string;
  /** Output key: `<output prefix><jobId>/<file name>.out`. */
  readonly outputKey: string;
  readonly lines: string[];
}

interface Running {
  files: InputFile[];
  fault: BatchFault | undefined;
  /** `holdGeneration` when the fault was taken: clearing the faults after that releases a hold. */
  faultGeneration: number;
  timer: NodeJS.Timeout | undefined;
}

function iso(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : new Date(ms).toISOString();
}

function jobId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(12);
  let id = '';
  for (const b of bytes) id += alphabet[b % alphabet.length];
  return id;
}

/** Lines split or joined between two yields to the event loop. */
const SLICE_LINES = 2000;

/** The non-blank lines of a JSONL body, split in slices so a large file never blocks the event loop. */
async function splitLines(body: Buffer): Promise<string[]> {
  const lines: string[] = [];
  let start = 0;
  while (start < body.length) {
    let end = body.indexOf(0x0a, start);
    if (end < 0) end = body.length;
    const line = body.toString('utf8', start, end > start && body[end - 1] === 0x0d ? end - 1 : end);
    if (line.trim() !== '') lines.push(line);
    start = end + 1;
    if (lines.length % SLICE_LINES === 0) await yieldToLoop();
  }
  return lines;
}

/** A deterministic permutation (seeded by the job id), for `outputOrder: shuffled`. */
function shuffled<T>(items: T[], seed: string): T[] {
  const keyed = items.map((item, i) => ({ item, k: createHash('sha256').update(`${seed}:${i}`).digest('hex') }));
  return keyed.sort((a, b) => (a.k < b.k ? -1 : 1)).map((x) => x.item);
}

export class BatchService {
  private options: BatchOptions;
  private readonly initial: BatchOptions;
  private readonly jobs = new Map<string, Job>();
  private readonly running = new Map<string, Running>();
  private storage: BatchStorage;
  faults: BatchFault[] = [];
  /** Bumped when batch faults are cleared: held jobs resume. */
  private holdGeneration = 0;
  private closed = false;

  constructor(
    private readonly state: EmulatorState,
    options: Partial<BatchOptions> | undefined,
  ) {
    this.initial = { ...DEFAULT_BATCH_OPTIONS, ...options };
    this.options = { ...this.initial };
    this.storage = this.storageFor(this.options);
  }

  private storageFor(options: BatchOptions): BatchStorage {
    return options.s3 ? externalStorage(options.s3) : builtinStorage(this.state.s3);
  }

  /** Current settings (`GET /_emulator/batch/config`). */
  get config(): BatchOptions {
    return { ...this.options };
  }

  /** Changes settings at run time (`PUT /_emulator/batch/config`); applies to steps not yet taken. */
  configure(changes: Partial<BatchOptions>): BatchOptions {
    this.options = { ...this.options, ...changes };
    if ('s3' in changes) this.storage = this.storageFor(this.options);
    return this.config;
  }

  /** Drops every job (stopping their timers), fault and setting change. */
  reset(): void {
    for (const r of this.running.values()) if (r.timer) clearTimeout(r.timer);
    this.running.clear();
    this.jobs.clear();
    this.faults = [];
    this.holdGeneration++;
    this.options = { ...this.initial };
    this.storage = this.storageFor(this.options);
  }

  /** Stops all work (the emulator is closing). */
  close(): void {
    this.closed = true;
    this.reset();
  }

  /** Clears batch faults; held jobs resume. */
  clearFaults(): void {
    this.faults = [];
    this.holdGeneration++;
  }

  /** Every job, newest first (admin view). */
  allJobs(): Job[] {
    return [...this.jobs.values()].sort((a, b) => b.submitTime - a.submitTime);
  }

  private regionOf(region: string | undefined): string {
    return region ?? this.state.pinnedRegion ?? 'us-east-1';
  }

  /** CreateModelInvocationJob after the shape checks: model, idempotency, name and quota rules. */
  create(input: CreateJobInput, region: string | undefined): Job {
    const fingerprint = JSON.stringify({ ...input, clientRequestToken: undefined });
    if (input.clientRequestToken !== undefined) {
      const previous = [...this.jobs.values()].find((j) => j.spec.clientRequestToken === input.clientRequestToken);
      if (previous) {
        // The token makes the call idempotent: the same request returns the same job.
        if (previous.fingerprint === fingerprint) return previous;
        throw new BedrockException(
          'ConflictException',
          'The client request token is already in use by a request with different parameters.',
        );
      }
    }
    let foundationModelId: string;
    try {
      // Batch jobs are not on-demand calls, so profile-only models may be named by their foundation id.
      foundationModelId = resolveModel(input.modelId, { countOnly: true }).model.id;
    } catch {
      throw validationException(INVALID_MODEL_MESSAGE);
    }
    const model = lookupModel(foundationModelId);
    if (!model || !BATCH_MODELS.has(foundationModelId)) {
      throw validationException(`The provided model ${input.modelId} doesn't support batch inference.`);
    }
    if (input.modelInvocationType === 'Converse' && model.type !== 'chat') {
      throw validationException(
        `The Converse model invocation type isn't supported for model ${input.modelId}. Use InvokeModel instead.`,
      );
    }
    const live = [...this.jobs.values()].filter((j) => !TERMINAL_STATUSES.has(j.status));
    if (live.some((j) => j.spec.jobName === input.jobName)) {
      throw new BedrockException(
        'ConflictException',
        `A batch inference job with the name ${input.jobName} is already in progress. Use a different job name.`,
      );
    }
    const activeForModel = live.filter((j) => j.spec.foundationModelId === foundationModelId).length;
    if (activeForModel >= this.options.maxActiveJobsPerModel) {
      throw new BedrockException(
        'ServiceQuotaExceededException',
        `You have reached the quota of ${this.options.maxActiveJobsPerModel} submitted and in-progress batch inference jobs for model ${foundationModelId}. Wait for a job to finish, or request a quota increase.`,
      );
    }
    const id = jobId();
    const now = this.state.clock.now();
    const spec: JobSpec = { ...input, foundationModelId };
    const job: Job = {
      id,
      arn: `arn:aws:bedrock:${this.regionOf(region)}:${this.state.identity.accountId}:model-invocation-job/${id}`,
      spec,
      fingerprint,
      status: 'Submitted',
      message: undefined,
      submitTime: now,
      lastModifiedTime: now,
      endTime: undefined,
      jobExpirationTime: now + spec.timeoutDurationInHours * 3_600_000,
      totalRecordCount: 0,
      processedRecordCount: 0,
      successRecordCount: 0,
      errorRecordCount: 0,
      inputTokenCount: 0,
      outputTokenCount: 0,
      stopRequested: false,
    };
    this.jobs.set(id, job);
    this.running.set(id, {
      files: [],
      fault: this.takeFault(spec.jobName),
      faultGeneration: this.holdGeneration,
      timer: undefined,
    });
    this.schedule(job, () => this.validate(job));
    return job;
  }

  private takeFault(jobName: string): BatchFault | undefined {
    const index = this.faults.findIndex((f) => f.jobName === undefined || jobName.includes(f.jobName));
    const fault = this.faults[index];
    if (!fault) return undefined;
    if (fault.count !== undefined) {
      fault.count -= 1;
      if (fault.count <= 0) this.faults.splice(index, 1);
    }
    this.state.count('faultsInjected', `batch-${fault.type}`);
    return fault;
  }

  /** A job by id or ARN (URL-decoded); ResourceNotFoundException otherwise. */
  get(identifier: string): Job {
    if (!matchesPattern('jobIdentifier', identifier)) {
      throw new BedrockException(
        'ValidationException',
        `1 validation error detected: Value '${identifier}' at 'jobIdentifier' failed to satisfy constraint: Member must satisfy regular expression pattern: ((arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:model-invocation-job/)?[a-z0-9]{12})`,
      );
    }
    const id = identifier.slice(identifier.lastIndexOf('/') + 1);
    const job = this.jobs.get(id);
    if (!job || (identifier.includes(':') && identifier !== job.arn)) {
      throw new BedrockException(
        'ResourceNotFoundException',
        `The specified batch inference job ${identifier} was not found.`,
        404,
      );
    }
    return job;
  }

  /** ListModelInvocationJobs: filters, sort by submit time, pages of `maxResults`. */
  list(input: ListJobsInput): { jobs: Job[]; nextToken: string | undefined } {
    let jobs = [...this.jobs.values()].filter(
      (j) =>
        (input.statusEquals === undefined || j.status === input.statusEquals) &&
        (input.nameContains === undefined || j.spec.jobName.includes(input.nameContains)) &&
        (input.submitTimeAfter === undefined || j.submitTime > input.submitTimeAfter) &&
        (input.submitTimeBefore === undefined || j.submitTime < input.submitTimeBefore),
    );
    jobs.sort(
      (a, b) => (a.submitTime - b.submitTime || (a.id < b.id ? -1 : 1)) * (input.sortOrder === 'Ascending' ? 1 : -1),
    );
    let start = 0;
    if (input.nextToken !== undefined) {
      const after = Buffer.from(input.nextToken, 'base64url').toString('utf8');
      const at = jobs.findIndex((j) => j.id === after);
      if (at < 0) throw validationException('The provided pagination token is invalid.');
      start = at + 1;
    }
    jobs = jobs.slice(start);
    const page = jobs.slice(0, input.maxResults);
    const more = jobs.length > input.maxResults;
    const last = page.at(-1);
    return { jobs: page, nextToken: more && last ? Buffer.from(last.id).toString('base64url') : undefined };
  }

  /** StopModelInvocationJob: a live job goes to Stopping, then Stopped (keeping partial output). */
  stop(identifier: string): void {
    const job = this.get(identifier);
    if (TERMINAL_STATUSES.has(job.status) || job.status === 'Stopping') {
      throw validationException(
        `The batch inference job ${job.arn} can't be stopped because it is in the ${job.status} state.`,
      );
    }
    job.stopRequested = true;
    const running = this.running.get(job.id);
    if (job.status !== 'InProgress') {
      // Not processing records: nothing to wait for beyond one step.
      if (running?.timer) clearTimeout(running.timer);
      this.setStatus(job, 'Stopping');
      this.schedule(job, () => this.finish(job, 'Stopped'));
      return;
    }
    // InProgress: the runner sees the flag between records and writes what it has.
    this.setStatus(job, 'Stopping');
  }

  /** The Get/List member set of a job. */
  describe(job: Job): Record<string, unknown> {
    const out: Record<string, unknown> = {
      jobArn: job.arn,
      jobName: job.spec.jobName,
      modelId: job.spec.modelId,
      roleArn: job.spec.roleArn,
      status: job.status,
      submitTime: iso(job.submitTime),
      lastModifiedTime: iso(job.lastModifiedTime),
      inputDataConfig: job.spec.inputDataConfig,
      outputDataConfig: job.spec.outputDataConfig,
      timeoutDurationInHours: job.spec.timeoutDurationInHours,
      jobExpirationTime: iso(job.jobExpirationTime),
      modelInvocationType: job.spec.modelInvocationType,
      totalRecordCount: job.totalRecordCount,
      processedRecordCount: job.processedRecordCount,
      successRecordCount: job.successRecordCount,
      errorRecordCount: job.errorRecordCount,
    };
    if (job.spec.clientRequestToken !== undefined) out.clientRequestToken = job.spec.clientRequestToken;
    if (job.message !== undefined) out.message = job.message;
    if (job.endTime !== undefined) out.endTime = iso(job.endTime);
    if (job.spec.vpcConfig) out.vpcConfig = job.spec.vpcConfig;
    return out;
  }

  private setStatus(job: Job, status: JobStatus, message?: string): void {
    job.status = status;
    job.lastModifiedTime = this.state.clock.now();
    if (message !== undefined) job.message = message.slice(0, 2048);
    if (TERMINAL_STATUSES.has(status)) job.endTime = job.lastModifiedTime;
  }

  private schedule(job: Job, next: () => Promise<void> | void): void {
    const running = this.running.get(job.id);
    if (!running || this.closed) return;
    running.timer = setTimeout(() => {
      running.timer = undefined;
      if (this.jobs.get(job.id) !== job) return;
      Promise.resolve()
        .then(next)
        .catch((error: unknown) => {
          this.fail(
            job,
            `Internal error while running the job: ${error instanceof Error ? error.message : String(error)}`,
          );
        });
    }, this.options.stepMs);
    running.timer.unref?.();
  }

  private fail(job: Job, message: string): void {
    if (TERMINAL_STATUSES.has(job.status)) return;
    this.setStatus(job, 'Failed', message);
    this.running.delete(job.id);
  }

  private async finish(job: Job, status: 'Stopped' | 'Expired' | 'Completed', message?: string): Promise<void> {
    if (TERMINAL_STATUSES.has(job.status)) return;
    this.setStatus(job, status, message);
    this.running.delete(job.id);
  }

  /** Validating: find the input files, read and count records, enforce the record quotas. */
  private async validate(job: Job): Promise<void> {
    if (job.stopRequested) return;
    this.setStatus(job, 'Validating');
    const running = this.running.get(job.id);
    if (!running) return;
    if (running.fault?.type === 'fail' && running.fault.stage === 'Validating') {
      this.fail(job, running.fault.message ?? 'The job failed validation.');
      return;
    }
    const inputUri = job.spec.inputDataConfig.s3InputDataConfig.s3Uri;
    const outputUri = job.spec.outputDataConfig.s3OutputDataConfig.s3Uri;
    const input = parseS3Uri(inputUri);
    const output = parseS3Uri(outputUri);
    const outputPrefix = output.key === '' || output.key.endsWith('/') ? output.key : `${output.key}/`;
    let keys: Array<{ key: string; size: number }>;
    try {
      // An object URI names one file; a folder URI (or a key that is not an object) means every .jsonl under it.
      const single =
        input.key !== '' && !input.key.endsWith('/') ? await this.storage.size(input.bucket, input.key) : undefined;
      if (single !== undefined) keys = [{ key: input.key, size: single }];
      else {
        const prefix = input.key === '' || input.key.endsWith('/') ? input.key : `${input.key}/`;
        keys = (await this.storage.list(input.bucket, prefix)).filter((k) => k.key.endsWith('.jsonl'));
      }
    } catch (error) {
      if (!job.stopRequested) this.fail(job, this.storageMessage(error, inputUri, 'read'));
      return;
    }
    if (job.stopRequested) return;
    try {
      // The output location must be reachable before any record runs.
      await this.storage.checkBucket(output.bucket);
    } catch (error) {
      if (!job.stopRequested) this.fail(job, this.storageMessage(error, outputUri, 'write'));
      return;
    }
    if (job.stopRequested) return;
    if (keys.length === 0) {
      this.fail(job, `No .jsonl input files were found at ${inputUri}.`);
      return;
    }
    const totalBytes = keys.reduce((n, k) => n + k.size, 0);
    if (totalBytes > this.options.maxJobInputBytes) {
      this.fail(
        job,
        `The input files at ${inputUri} hold ${totalBytes} bytes, more than the quota of ${this.options.maxJobInputBytes} bytes per job.`,
      );
      return;
    }
    const files: InputFile[] = [];
    let total = 0;
    for (const { key, size } of keys) {
      const name = key.slice(key.lastIndexOf('/') + 1);
      if (size > this.options.maxInputFileBytes) {
        this.fail(
          job,
          `The input file s3://${input.bucket}/${key} is larger than the quota of ${this.options.maxInputFileBytes} bytes per file.`,
        );
        return;
      }
      let body: Buffer;
      try {
        body = await this.storage.read(input.bucket, key);
      } catch (error) {
        if (!job.stopRequested) this.fail(job, this.storageMessage(error, `s3://${input.bucket}/${key}`, 'read'));
        return;
      }
      if (job.stopRequested) return;
      const lines = await splitLines(body);
      if (lines.length > this.options.maxRecordsPerFile) {
        this.fail(
          job,
          `The input file s3://${input.bucket}/${key} has ${lines.length} records, more than the quota of ${this.options.maxRecordsPerFile} records per file.`,
        );
        return;
      }
      total += lines.length;
      // Checked per file, so a folder of many files stops being read as soon as the job is too big.
      if (total > this.options.maxRecordsPerJob) break;
      files.push({ key, outputKey: `${outputPrefix}${job.id}/${name}.out`, lines });
    }
    if (total > this.options.maxRecordsPerJob) {
      this.fail(
        job,
        `The job has ${total} records, more than the quota of ${this.options.maxRecordsPerJob} records per job.`,
      );
      return;
    }
    if (total < this.options.minRecords) {
      this.fail(
        job,
        `The job has ${total} records, fewer than the minimum of ${this.options.minRecords} records per batch inference job.`,
      );
      return;
    }
    if (job.stopRequested) return;
    running.files = files;
    job.totalRecordCount = total;
    this.schedule(job, () => {
      if (job.stopRequested) return;
      this.setStatus(job, 'Scheduled');
      this.schedule(job, () => this.process(job));
    });
  }

  private storageMessage(error: unknown, uri: string, verb: 'read' | 'write'): string {
    if (error instanceof BatchStorageError) {
      return `Amazon Bedrock could not ${verb} ${uri}: ${error.code}${error.message && error.message !== error.code ? ` (${error.message})` : ''}. Check that the location exists and that the job's role can access it.`;
    }
    return `Amazon Bedrock could not ${verb} ${uri}.`;
  }

  /** InProgress: every record through the runtime logic, then the output files and the manifest. */
  private async process(job: Job): Promise<void> {
    const running = this.running.get(job.id);
    if (!running || job.stopRequested) return;
    this.setStatus(job, 'InProgress');
    const model = lookupModel(job.spec.foundationModelId);
    if (!model) {
      this.fail(job, INVALID_MODEL_MESSAGE);
      return;
    }
    const fault = running.fault;
    // Index of the record at which the fault acts (a Validating failure already acted).
    const threshold =
      fault === undefined || (fault.type === 'fail' && fault.stage === 'Validating')
        ? Number.POSITIVE_INFINITY
        : (fault.afterRecords ?? 0);
    const outputs: Array<{ key: string; lines: string[] }> = [];
    // The job's ARN names its account and region (`arn:aws:bedrock:<region>:<account>:...`).
    const [, , , jobRegion = 'us-east-1', jobAccount = this.state.identity.accountId] = job.arn.split(':');
    const where = { accountId: jobAccount, region: jobRegion };
    let index = 0;
    let outcome: 'done' | 'stopped' | 'expired' | 'failed' = 'done';
    const holdGeneration = running.faultGeneration;
    records: for (const file of running.files) {
      const lines: string[] = [];
      outputs.push({ key: file.outputKey, lines });
      for (const text of file.lines) {
        if (this.jobs.get(job.id) !== job) return;
        if (fault && index >= threshold) {
          if (fault.type === 'fail') {
            outcome = 'failed';
            break records;
          }
          if (fault.type === 'expire') {
            outcome = 'expired';
            break records;
          }
          // hold: wait until the faults are cleared or the job is stopped.
          while (this.holdGeneration === holdGeneration && !job.stopRequested && this.jobs.get(job.id) === job) {
            await new Promise((r) => setTimeout(r, Math.max(10, Math.min(this.options.stepMs, 100))).unref?.());
          }
        }
        if (job.stopRequested) {
          outcome = 'stopped';
          break records;
        }
        if (this.state.clock.now() >= job.jobExpirationTime) {
          outcome = 'expired';
          break records;
        }
        const result = runRecord({
          state: this.state,
          model,
          modelId: job.spec.modelId,
          invocationType: job.spec.modelInvocationType,
          text,
          index,
          where,
        });
        lines.push(JSON.stringify(result.line));
        index++;
        job.processedRecordCount++;
        if (result.ok) job.successRecordCount++;
        else job.errorRecordCount++;
        job.inputTokenCount += result.inputTokens;
        job.outputTokenCount += result.outputTokens;
        if (this.options.recordDelayMs > 0) await new Promise((r) => setTimeout(r, this.options.recordDelayMs));
        else if (index % SLICE_RECORDS === 0) await yieldToLoop();
      }
    }
    if (this.jobs.get(job.id) !== job) return;
    if (outcome === 'failed') {
      this.fail(job, fault?.message ?? 'The batch inference job failed while processing records.');
      return;
    }
    const written = await this.writeOutputs(job, outputs);
    if (!written) return;
    if (outcome === 'stopped') {
      await this.finish(job, 'Stopped');
    } else if (outcome === 'expired') {
      await this.finish(
        job,
        'Expired',
        fault?.message ?? `The batch inference job timed out after ${job.spec.timeoutDurationInHours} hours.`,
      );
    } else {
      // Some records errored: the job ends PartiallyCompleted and the errors are in the output records.
      const status: JobStatus = job.errorRecordCount > 0 ? 'PartiallyCompleted' : 'Completed';
      if (TERMINAL_STATUSES.has(job.status)) return;
      this.setStatus(job, status);
      this.running.delete(job.id);
    }
  }

  private async writeOutputs(job: Job, outputs: Array<{ key: string; lines: string[] }>): Promise<boolean> {
    const output = parseS3Uri(job.spec.outputDataConfig.s3OutputDataConfig.s3Uri);
    const prefix = output.key === '' || output.key.endsWith('/') ? output.key : `${output.key}/`;
    try {
      for (const file of outputs) {
        const lines = this.options.outputOrder === 'shuffled' ? shuffled(file.lines, job.id) : file.lines;
        const parts: Buffer[] = [];
        for (let i = 0; i < lines.length; i++) {
          parts.push(Buffer.from(`${lines[i]}\n`));
          if (i % SLICE_LINES === SLICE_LINES - 1) await yieldToLoop();
        }
        await this.storage.write(output.bucket, file.key, Buffer.concat(parts), 'application/octet-stream');
      }
      const manifest = {
        totalRecordCount: job.totalRecordCount,
        processedRecordCount: job.processedRecordCount,
        successRecordCount: job.successRecordCount,
        errorRecordCount: job.errorRecordCount,
        inputTokenCount: job.inputTokenCount,
        outputTokenCount: job.outputTokenCount,
      };
      await this.storage.write(
        output.bucket,
        `${prefix}${job.id}/manifest.json.out`,
        Buffer.from(JSON.stringify(manifest)),
        'application/octet-stream',
      );
      return true;
    } catch (error) {
      this.fail(job, this.storageMessage(error, job.spec.outputDataConfig.s3OutputDataConfig.s3Uri, 'write'));
      return false;
    }
  }
}
