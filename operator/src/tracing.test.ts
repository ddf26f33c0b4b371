import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { beforeEach, describe, expect, it } from 'vitest';
import { MAX_LINKS, ReconcileTracing } from './tracing.js';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const tracer = provider.getTracer('test');

const model = (name: string, resourceVersion = '7') => ({ metadata: { namespace: 'ai', name, resourceVersion } });

beforeEach(() => exporter.reset());

describe('reconcile tracing', () => {
  it('links a reconcile to the watch events that queued it, then starts afresh', () => {
    const tracing = new ReconcileTracing(tracer);
    tracing.change('MODIFIED', 'Model', model('haiku', '42'));
    tracing.change('ADDED', 'Secret', model('keys'));
    const span = tracing.start('ai');
    span.setAttribute('aigw.config.revision', 'abc');
    ReconcileTracing.end(span);

    const spans = exporter.getFinishedSpans();
    const watch = spans.filter((s) => s.name.startsWith('watch '));
    expect(watch.map((s) => s.name)).toEqual(['watch Model', 'watch Secret']);
    expect(watch[0]!.kind).toBe(SpanKind.CONSUMER);
    expect(watch[0]!.attributes).toMatchObject({
      'k8s.namespace.name': 'ai',
      'aigw.k8s.kind': 'Model',
      'aigw.k8s.name': 'haiku',
      'aigw.k8s.event': 'MODIFIED',
      'aigw.k8s.resource_version': '42',
    });
    const reconcile = spans.find((s) => s.name === 'reconcile')!;
    expect(reconcile.attributes).toMatchObject({
      'k8s.namespace.name': 'ai',
      'aigw.reconcile.changes': 2,
      'aigw.reconcile.trigger': ['change'],
      'aigw.config.revision': 'abc',
    });
    expect(reconcile.links.map((l) => l.context.spanId)).toEqual(watch.map((s) => s.spanContext().spanId));
    // Its own trace: a reconcile is not a child of whichever watch event came first.
    expect(reconcile.parentSpanContext).toBeUndefined();

    // The next reconcile (a resync) has nothing to link to and says why it ran.
    tracing.trigger('ai', 'resync');
    ReconcileTracing.end(tracing.start('ai'));
    const next = exporter.getFinishedSpans().filter((s) => s.name === 'reconcile')[1]!;
    expect(next.links).toEqual([]);
    expect(next.attributes).toMatchObject({ 'aigw.reconcile.changes': 0, 'aigw.reconcile.trigger': ['resync'] });
  });

  it('caps the links of a burst and counts every change', () => {
    const tracing = new ReconcileTracing(tracer);
    for (let i = 0; i < MAX_LINKS + 10; i++) tracing.change('MODIFIED', 'Model', model(`m${i}`));
    ReconcileTracing.end(tracing.start('ai'));
    const reconcile = exporter.getFinishedSpans().find((s) => s.name === 'reconcile')!;
    expect(reconcile.links).toHaveLength(MAX_LINKS);
    expect(reconcile.attributes['aigw.reconcile.changes']).toBe(MAX_LINKS + 10);
  });

  it('marks a failed reconcile with the class of error, not its message', () => {
    const tracing = new ReconcileTracing(tracer);
    const span = tracing.start('ai');
    ReconcileTracing.end(span, Object.assign(new Error('secret value here'), { status: 409 }));
    const reconcile = exporter.getFinishedSpans()[0]!;
    expect(reconcile.status.code).toBe(SpanStatusCode.ERROR);
    expect(reconcile.attributes['error.type']).toBe('409');
    expect(JSON.stringify(reconcile.attributes)).not.toContain('secret value');
  });
});
