/**
 * The OpenTelemetry GenAI client metrics (semantic conventions v1.41, docs/gen-ai/gen-ai-metrics.md), kept
 * in the gateway's prom-client registry under the names OpenTelemetry's Prometheus exporter gives them:
 * dots become underscores, the unit `s` becomes the suffix `_seconds`, and annotation units such as
 * `{token}` add no suffix. The same observations are mirrored to an OTLP meter when one is configured
 * (see `otlp-metrics.ts`).
 *
 * Per-request cost: one {@link GenAiBinding} per (compiled model, operation) holds the label children for
 * every series a successful request touches, so a request does no label lookups; error series are found
 * through one small Map per binding.
 */
import { Histogram, type Registry } from 'prom-client';
import { HistogramSeries } from './histogram-series.js';
import { GEN_AI_PROVIDER, type GenAiOperation } from './tracing.js';

/** The convention's explicit bucket boundaries, per instrument. */
export const GEN_AI_BUCKETS = {
  tokenUsage: [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864],
  operationDuration: [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92],
  timeToFirstToken: [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10],
  timePerOutputToken: [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5],
} as const;

/** Prometheus names of the GenAI instruments (OTel name → Prometheus name per the compatibility spec). */
export const GEN_AI_METRIC_NAMES = {
  tokenUsage: 'gen_ai_client_token_usage',
  operationDuration: 'gen_ai_client_operation_duration_seconds',
  timeToFirstToken: 'gen_ai_server_time_to_first_token_seconds',
  timePerOutputToken: 'gen_ai_server_time_per_output_token_seconds',
} as const;

const BASE_LABELS = [
  'gen_ai_operation_name',
  'gen_ai_provider_name',
  'gen_ai_request_model',
  'gen_ai_response_model',
  'server_address',
] as const;
type BaseLabel = (typeof BASE_LABELS)[number];

/** What identifies a GenAI series: the operation, Bedrock's model id and the endpoint host. */
export interface GenAiTarget {
  operation: GenAiOperation;
  /** Bedrock model id (also `gen_ai.response.model`: Bedrock answers with the id it was called with). */
  modelId: string;
  /** Host of the Bedrock runtime endpoint the calls go to. */
  serverAddress: string;
}

/** A mirror of the GenAI observations into another metrics pipeline (OTLP). */
export interface GenAiMirror {
  bind(target: GenAiTarget): GenAiMirrorBinding;
}
export interface GenAiMirrorBinding {
  tokens(type: 'input' | 'output', count: number): void;
  duration(seconds: number, errorType: string | undefined): void;
  timeToFirstToken(seconds: number): void;
  timePerOutputToken(seconds: number): void;
}

/** Pre-bound series of one (model, operation). */
export class GenAiBinding {
  readonly #inputTokens: HistogramSeries;
  readonly #outputTokens: HistogramSeries;
  readonly #duration: HistogramSeries;
  readonly #ttft: HistogramSeries;
  readonly #tpot: HistogramSeries;
  readonly #errors = new Map<string, HistogramSeries>();
  readonly #instruments: GenAiInstruments;
  readonly #labels: Record<BaseLabel, string>;
  readonly #mirror: GenAiMirrorBinding | undefined;

  constructor(instruments: GenAiInstruments, target: GenAiTarget, mirror: GenAiMirror | undefined) {
    this.#instruments = instruments;
    this.#labels = {
      gen_ai_operation_name: target.operation,
      gen_ai_provider_name: GEN_AI_PROVIDER,
      gen_ai_request_model: target.modelId,
      gen_ai_response_model: target.modelId,
      server_address: target.serverAddress,
    };
    this.#inputTokens = new HistogramSeries(instruments.tokenUsage, { ...this.#labels, gen_ai_token_type: 'input' });
    this.#outputTokens = new HistogramSeries(instruments.tokenUsage, { ...this.#labels, gen_ai_token_type: 'output' });
    this.#duration = new HistogramSeries(instruments.operationDuration, { ...this.#labels, error_type: '' });
    this.#ttft = new HistogramSeries(instruments.timeToFirstToken, { ...this.#labels });
    this.#tpot = new HistogramSeries(instruments.timePerOutputToken, { ...this.#labels });
    this.#mirror = mirror?.bind(target);
  }

  /** Input tokens as the convention counts them: cache reads and writes included. */
  inputTokens(count: number): void {
    this.#inputTokens.observe(count);
    this.#mirror?.tokens('input', count);
  }

  outputTokens(count: number): void {
    this.#outputTokens.observe(count);
    this.#mirror?.tokens('output', count);
  }

  /** The whole operation as the caller saw it; `errorType` set when it failed (the gateway's error code). */
  duration(seconds: number, errorType: string | undefined): void {
    if (errorType === undefined) this.#duration.observe(seconds);
    else {
      let child = this.#errors.get(errorType);
      if (!child) {
        child = new HistogramSeries(this.#instruments.operationDuration, { ...this.#labels, error_type: errorType });
        this.#errors.set(errorType, child);
      }
      child.observe(seconds);
    }
    this.#mirror?.duration(seconds, errorType);
  }

  timeToFirstToken(seconds: number): void {
    this.#ttft.observe(seconds);
    this.#mirror?.timeToFirstToken(seconds);
  }

  timePerOutputToken(seconds: number): void {
    this.#tpot.observe(seconds);
    this.#mirror?.timePerOutputToken(seconds);
  }
}

/** The four GenAI histograms, registered in `registry`. */
export class GenAiInstruments {
  readonly tokenUsage: Histogram<string>;
  readonly operationDuration: Histogram<string>;
  readonly timeToFirstToken: Histogram<string>;
  readonly timePerOutputToken: Histogram<string>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.tokenUsage = new Histogram({
      name: GEN_AI_METRIC_NAMES.tokenUsage,
      help: 'gen_ai.client.token.usage: tokens per operation by gen_ai.token.type (input includes cache reads and writes), {token}.',
      labelNames: [...BASE_LABELS, 'gen_ai_token_type'],
      buckets: [...GEN_AI_BUCKETS.tokenUsage],
      registers,
    });
    this.operationDuration = new Histogram({
      name: GEN_AI_METRIC_NAMES.operationDuration,
      help: 'gen_ai.client.operation.duration: request arrival to the last byte written, by error.type (empty on success), seconds.',
      labelNames: [...BASE_LABELS, 'error_type'],
      buckets: [...GEN_AI_BUCKETS.operationDuration],
      registers,
    });
    this.timeToFirstToken = new Histogram({
      name: GEN_AI_METRIC_NAMES.timeToFirstToken,
      help: 'gen_ai.server.time_to_first_token: streams, request arrival to the first content token written, seconds.',
      labelNames: [...BASE_LABELS],
      buckets: [...GEN_AI_BUCKETS.timeToFirstToken],
      registers,
    });
    this.timePerOutputToken = new Histogram({
      name: GEN_AI_METRIC_NAMES.timePerOutputToken,
      help: 'gen_ai.server.time_per_output_token: successful streams, time after the first token divided by the output tokens after it, seconds.',
      labelNames: [...BASE_LABELS],
      buckets: [...GEN_AI_BUCKETS.timePerOutputToken],
      registers,
    });
  }
}
