import { describe, expect, it } from 'vitest';
import { type CompiledAccount, type CompiledModel, metricTeamOf, type ServedModel } from '../config/index.js';
import { fromBedrockHttpError, GatewayError } from '../errors/index.js';
import { GEN_AI_BUCKETS } from './genai-metrics.js';
import { GatewayMetrics } from './metrics.js';

const account = { name: 'team-a', region: 'eu-west-1', collaborators: [] } as unknown as CompiledAccount;
const model = { name: 'nova', modelId: 'eu.amazon.nova-lite-v1:0', region: 'eu-west-1' } as unknown as CompiledModel;
const route: ServedModel = { account, model, credentials: {} };

async function series(metrics: GatewayMetrics, name: string): Promise<Array<{ labels: object; value: number }>> {
  const metric = metrics.registry.getSingleMetric(name);
  if (!metric) return [];
  return (await metric.get()).values.map((v) => ({ labels: v.labels, value: v.value }));
}

describe('GatewayMetrics', () => {
  it('records GenAI observations on the convention labels of one pre-bound series', async () => {
    const metrics = new GatewayMetrics();
    const binding = metrics.genAi(route, 'chat');
    expect(metrics.genAi(route, 'chat')).toBe(binding);
    binding.inputTokens(120);
    binding.outputTokens(30);
    binding.duration(0.5, undefined);
    binding.duration(0.2, 'rate_limit_exceeded');
    const text = await metrics.registry.metrics();
    const labels =
      'gen_ai_operation_name="chat",gen_ai_provider_name="aws.bedrock",gen_ai_request_model="eu.amazon.nova-lite-v1:0",gen_ai_response_model="eu.amazon.nova-lite-v1:0",server_address="bedrock-runtime.eu-west-1.amazonaws.com"';
    expect(text).toContain(`gen_ai_client_token_usage_sum{${labels},gen_ai_token_type="input"} 120`);
    expect(text).toContain(`gen_ai_client_token_usage_sum{${labels},gen_ai_token_type="output"} 30`);
    expect(text).toContain(`gen_ai_client_operation_duration_seconds_count{${labels},error_type=""} 1`);
    expect(text).toContain(
      `gen_ai_client_operation_duration_seconds_count{${labels},error_type="rate_limit_exceeded"} 1`,
    );
    // The convention's boundaries, last one included.
    expect(text).toContain(`gen_ai_client_token_usage_bucket{le="${GEN_AI_BUCKETS.tokenUsage.at(-1)}",${labels}`);
  });

  it('counts upstream attempts by outcome and refusals by Bedrock exception, per account and region', async () => {
    const metrics = new GatewayMetrics();
    const observe = metrics.upstreamObserver();
    const start = {
      account: 'team-a',
      operation: 'converse' as const,
      modelId: 'm',
      region: 'eu-west-1',
      origin: 'https://x',
      attempt: 1,
    };
    const throttle = fromBedrockHttpError({ status: 429, errorType: 'ThrottlingException', body: '{}' });
    observe(start)?.end({ status: 429, requestId: 'r', error: throttle, willRetry: true });
    observe(start)?.end({ status: 200, requestId: 'r', error: undefined, willRetry: false });
    const unknown = fromBedrockHttpError({ status: 502, body: 'bad gateway' });
    observe(start)?.end({ status: 502, requestId: 'r', error: unknown, willRetry: false });
    const timeout = new GatewayError('upstream_timeout', 'slow');
    observe(start)?.end({ status: undefined, requestId: undefined, error: timeout, willRetry: false });
    expect(await series(metrics, 'aigw_upstream_errors_total')).toEqual([
      { labels: { account: 'team-a', region: 'eu-west-1', exception: 'ThrottlingException' }, value: 1 },
      { labels: { account: 'team-a', region: 'eu-west-1', exception: 'http_502' }, value: 1 },
      { labels: { account: 'team-a', region: 'eu-west-1', exception: 'timeout' }, value: 1 },
    ]);
    const attempts = await series(metrics, 'aigw_upstream_attempts_total');
    const byOutcome = Object.fromEntries(attempts.map((a) => [(a.labels as { outcome: string }).outcome, a.value]));
    expect(byOutcome).toEqual({ retried: 1, ok: 1, failed: 2 });
    const durations = await series(metrics, 'aigw_upstream_duration_seconds');
    expect(durations.find((d) => (d.labels as { le?: unknown }).le === '+Inf')?.value).toBe(4);
  });

  it('exposes runtime metrics unprefixed, without the gauges promtool flags', async () => {
    const text = await new GatewayMetrics({ defaultMetrics: true }).registry.metrics();
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);
    expect(text).not.toContain('aigw_process_');
    expect(text).not.toContain('nodejs_active_handles_total');
  });
});

describe('metricTeamOf', () => {
  const accounts = [
    {
      collaborators: [
        { subject: 'team:ml', role: 'User' },
        { subject: 'user:bob', role: 'Manager' },
      ],
    },
  ] as unknown as CompiledAccount[];

  it('is the first team a collaborator names, else other, else -', () => {
    expect(metricTeamOf(['x', 'ml'], accounts)).toBe('ml');
    expect(metricTeamOf(['x', 'y'], accounts)).toBe('other');
    expect(metricTeamOf([], accounts)).toBe('-');
  });
});
