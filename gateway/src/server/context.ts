/**
 * What routes get from the server: the config store (a request takes `store.current` once), the
 * upstream client, metrics and options. Per-request state rides on `request.aigw`.
 */
import type { Span, Tracer } from '@opentelemetry/api';
import type { FastifyBaseLogger } from 'fastify';
import type { BatchService } from '../batches/index.js';
import type { Caller, KubernetesIdentity, ServedModel, Snapshot } from '../config/index.js';
import type { MediaFetcher } from '../fetch/index.js';
import type { FilesOptions } from '../files/index.js';
import type { UsageLimiter } from '../limits/index.js';
import type { Router } from '../routing/index.js';
import type { AccountStorage } from '../storage/index.js';
import type { GatewayMetrics, GenAiBinding, UsageRecord } from '../telemetry/index.js';
import type { StreamTiming, UpstreamCall, UpstreamEvent, UpstreamResponse } from '../upstream/index.js';
import type { ImageWorkPool } from '../workers/index.js';
import type { ActivityTracker } from './activity.js';
import type { ServerOptions } from './options.js';

/** A decoded upstream event stream; `UpstreamEventStream` implements it. */
export interface GatewayEventStream extends AsyncIterable<UpstreamEvent> {
  readonly timing: StreamTiming;
  /** Attempts made before the stream started, the successful one included. */
  readonly attempts?: number;
  /** Stops reading and destroys the upstream request (idempotent). */
  cancel(): void;
  /**
   * The same events one upstream read at a time (each array non-empty), instead of the event-by-event
   * iteration; a stream is iterated once, either way. Optional: streams without it are read event by event.
   */
  batches?(): AsyncIterable<readonly UpstreamEvent[]>;
  /**
   * Whether the body has ended and every event was handed out: the iteration's next step ends it (or throws
   * its failure). Optional: a stream without it is never taken to be exhausted early.
   */
  readonly exhausted?: boolean;
}

/** The upstream surface routes use; `BedrockUpstream` implements it. */
export interface GatewayUpstream {
  send(call: UpstreamCall): Promise<UpstreamResponse>;
  stream(call: UpstreamCall): Promise<GatewayEventStream>;
  close(): Promise<void>;
}

/**
 * Verifies in-cluster callers' projected service-account tokens (Kubernetes TokenReview). Implementations
 * should cache results for a short time: this runs on the request path.
 */
export interface IdentityReviewer {
  /** The identity of a valid token, or undefined for a token Kubernetes does not accept. */
  review(token: string): Promise<KubernetesIdentity | undefined>;
}

/** Where routes read the config from; `ConfigStore` implements it. */
export interface SnapshotSource {
  readonly current: Snapshot | undefined;
}

export interface ServerContext {
  readonly store: SnapshotSource;
  /** UsagePolicy enforcement (rate limits, budgets, guardrails); absent = no limits (tests of other areas). */
  readonly limiter?: UsageLimiter | undefined;
  readonly upstream: GatewayUpstream;
  /** ModelRoute target choice, health and failover (one per process, across config reloads). */
  readonly router: Router;
  readonly metrics: GatewayMetrics;
  readonly options: ServerOptions;
  readonly logger: FastifyBaseLogger;
  /** Downloads `http(s)` image URLs in chat messages; absent = such URLs are refused with 400. */
  readonly mediaFetcher: MediaFetcher | undefined;
  /** Requests in progress, for graceful shutdown. */
  readonly activity: ActivityTracker;
  /** Worker threads for the pixel work of image edits (bounded queue; never on the event loop). */
  readonly imageWork: ImageWorkPool;
  /** Verifies Kubernetes service-account tokens of in-cluster callers; absent = API keys only. */
  readonly identityReviewer?: IdentityReviewer | undefined;
  /** Where usage records also go (OTLP logs); absent = the log only. */
  readonly usageRecords?: ((record: UsageRecord) => void) | undefined;
  /** OpenTelemetry tracer; absent = no spans (the common, zero-cost case). */
  readonly tracer?: Tracer | undefined;
  /** Record prompt and completion text on GenAI spans (opt-in; OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT). */
  readonly captureContent?: boolean | undefined;
  /** S3 stores of accounts' `batch` blocks (Files and Batch APIs), one per account. */
  readonly storage: AccountStorage;
  /** The Batch API (S3 + Bedrock batch jobs). */
  readonly batches: BatchService;
  /** Files API limits. */
  readonly files: FilesOptions;
}

/** Per-request state, created when the request arrives. */
export interface RequestState {
  /** performance.now() at arrival. */
  readonly startedAt: number;
  /** Metrics label of the route (`chat`, `models`, ...). */
  route: string;
  snapshot: Snapshot | undefined;
  caller: Caller | undefined;
  /** Metrics labels, `-` until known. */
  account: string;
  model: string;
  /** Time spent waiting on Bedrock, ms; set when an upstream call completed. */
  upstreamMs: number | undefined;
  /** Status to report in metrics when it differs from the HTTP status (a stream that failed after 200). */
  metricStatus: number | undefined;
  /** The request's server span when tracing is on. */
  span: Span | undefined;
  /** The authorised model route of a model surface, once known. */
  modelRoute: ServedModel | undefined;
  /** The GenAI metric series of `modelRoute` on this surface, bound on first use. */
  genAi: GenAiBinding | undefined;
  /** The gateway error code the request failed with (`error.type`), when it failed. */
  errorType: string | undefined;
  /** Usage reported by Bedrock (undefined until a response reported it). */
  inputTokens: number | undefined;
  outputTokens: number | undefined;
  cacheReadTokens: number | undefined;
  cacheWriteTokens: number | undefined;
  /** Images returned (images surfaces). */
  images: number | undefined;
  /** Estimated cost in USD; undefined when unpriced or nothing was used. */
  costUsd: number | undefined;
  /** Bedrock attempts made for this request (retries and fan-out calls included). */
  attempts: number;
  /** Whether the answer was streamed. */
  stream: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    aigw: RequestState;
  }
  interface FastifyContextConfig {
    /** Metrics label of the route. */
    metricRoute?: string;
  }
}
