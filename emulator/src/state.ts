/**
 * Mutable emulator state: issued temporary credentials, request statistics, injected faults, latency,
 * the prompt cache and the clock. One instance per running emulator; `/_emulator/reset` clears it.
 */

import { BatchService } from './batch/index.js';
import type { Fault } from './faults.js';
import {
  DEFAULT_S3_OPTIONS,
  DEFAULT_SIGNATURE_SECRET,
  type EmulatorOptions,
  type IdentityConfig,
  type LatencyConfig,
  mergeIdentity,
} from './options.js';
import { ObjectStore } from './s3/index.js';

/** Temporary credentials issued by STS or the container-credentials endpoint. */
export interface TemporaryCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  /** Epoch ms. */
  readonly expiration: number;
  /** `arn:aws:sts::<acct>:assumed-role/<role>/<session>`. */
  readonly principalArn: string;
  /** `AROA...:<session>`. */
  readonly userId: string;
}

/** Counters served by `GET /_emulator/stats`. */
export interface EmulatorStats {
  /** Runtime requests per operation (Converse, ConverseStream, InvokeModel, ...), counted after auth. */
  operations: Record<string, number>;
  /** Runtime requests per authenticated principal ARN. */
  principals: Record<string, number>;
  /** Runtime requests per model id as sent. */
  models: Record<string, number>;
  /** STS and container-credential calls per action (AssumeRole, GetCallerIdentity, ContainerCredentials, ...). */
  sts: Record<string, number>;
  /** Requests rejected at the front door (auth), by error type. */
  authFailures: Record<string, number>;
  /** Faults injected, by kind. */
  faultsInjected: Record<string, number>;
  /** Event streams: started, completed, failed (injected exception event), aborted (client went away). */
  streams: Record<string, number>;
}

/** One prompt-cache entry. */
export interface CacheEntry {
  readonly tokens: number;
  expiresAt: number;
  readonly ttlMs: number;
}

function emptyStats(): EmulatorStats {
  return { operations: {}, principals: {}, models: {}, sts: {}, authFailures: {}, faultsInjected: {}, streams: {} };
}

/** The clock the emulator reads; tests move it forward to prove expiry. */
export class EmulatorClock {
  private offsetMs = 0;
  constructor(private readonly base: () => number) {}
  /** Current time, epoch ms. */
  now(): number {
    return this.base() + this.offsetMs;
  }
  /** Moves the emulator's clock forward (or back, negative) by `ms`. */
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

/** All mutable state of one emulator. */
export class EmulatorState {
  readonly identity: IdentityConfig;
  readonly clock: EmulatorClock;
  readonly pinnedRegion: string | undefined;
  readonly signatureSecret: string;
  latency: LatencyConfig;
  stats: EmulatorStats = emptyStats();
  faults: Fault[] = [];
  /** Temporary credentials by access key id. */
  readonly temporaryCredentials = new Map<string, TemporaryCredentials>();
  /** Prompt cache by prefix hash. */
  readonly promptCache = new Map<string, CacheEntry>();
  /** The built-in S3's buckets and objects. */
  readonly s3: ObjectStore;
  /** Batch inference jobs and their runner. */
  readonly batch: BatchService;
  private readonly initialLatency: LatencyConfig;

  constructor(options: EmulatorOptions = {}) {
    this.identity = mergeIdentity(options.identity);
    this.clock = new EmulatorClock(options.now ?? Date.now);
    this.pinnedRegion = options.region;
    this.signatureSecret = options.signatureSecret ?? DEFAULT_SIGNATURE_SECRET;
    this.initialLatency = {
      fixedMs: options.latency?.fixedMs ?? 0,
      timeToFirstTokenMs: options.latency?.timeToFirstTokenMs ?? 0,
      interTokenDelayMs: options.latency?.interTokenDelayMs ?? 0,
    };
    this.latency = { ...this.initialLatency };
    this.s3 = new ObjectStore(
      options.s3?.maxBytes ?? DEFAULT_S3_OPTIONS.maxBytes,
      () => this.clock.now(),
      options.s3?.dir ?? DEFAULT_S3_OPTIONS.dir,
    );
    for (const bucket of options.s3?.buckets ?? DEFAULT_S3_OPTIONS.buckets) this.s3.ensureBucket(bucket);
    this.batch = new BatchService(this, options.batch);
  }

  /**
   * Clears statistics, faults, issued credentials, the prompt cache and batch jobs (with their faults and
   * settings); restores the initial latency. S3 objects stay.
   */
  reset(): void {
    this.batch.reset();
    this.stats = emptyStats();
    this.faults = [];
    this.temporaryCredentials.clear();
    this.promptCache.clear();
    this.latency = { ...this.initialLatency };
  }

  /** Increments `stats[group][key]`. */
  count(group: keyof EmulatorStats, key: string): void {
    const table = this.stats[group];
    table[key] = (table[key] ?? 0) + 1;
  }
}
