/**
 * Traces of the reconcile loop. Kubernetes watch events carry no trace context, so each change the
 * operator sees becomes a short span of its own (`watch {kind}`, a root span carrying the object's
 * kind, namespace, name, resourceVersion and event type); the reconcile it queues is one span
 * (`reconcile`) with a span link to every change that caused it (up to {@link MAX_LINKS}; the count of
 * all of them is an attribute). Reconciles started by the initial sync, the periodic resync, a retry or
 * a finished credential check have no change to link to and say so in `aigw.reconcile.trigger`.
 * Without a tracer nothing is recorded and nothing is allocated.
 */
import { type Link, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, type Tracer } from '@opentelemetry/api';

/** Links kept per reconcile; a burst of changes beyond this is counted, not linked. */
export const MAX_LINKS = 32;

export type ReconcileTrigger = 'change' | 'sync' | 'resync' | 'retry' | 'credential-check';

interface Pending {
  links: Link[];
  changes: number;
  triggers: Set<ReconcileTrigger>;
}

export class ReconcileTracing {
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly tracer: Tracer) {}

  /** Records a watch event as a span and remembers it for the namespace's next reconcile. */
  change(
    type: 'ADDED' | 'MODIFIED' | 'DELETED',
    kind: string,
    object: { metadata: { namespace?: string; name: string; resourceVersion?: string } },
  ): void {
    const ns = object.metadata.namespace;
    if (!ns) return;
    const span = this.tracer.startSpan(
      `watch ${kind}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          'k8s.namespace.name': ns,
          'aigw.k8s.kind': kind,
          'aigw.k8s.name': object.metadata.name,
          'aigw.k8s.event': type,
          ...(object.metadata.resourceVersion ? { 'aigw.k8s.resource_version': object.metadata.resourceVersion } : {}),
        },
      },
      ROOT_CONTEXT,
    );
    span.end();
    const entry = this.entry(ns);
    entry.changes++;
    entry.triggers.add('change');
    if (entry.links.length < MAX_LINKS)
      entry.links.push({
        context: span.spanContext(),
        attributes: { 'aigw.k8s.kind': kind, 'aigw.k8s.name': object.metadata.name },
      });
  }

  /** Notes why a namespace was queued when no watch event did it. */
  trigger(ns: string, trigger: Exclude<ReconcileTrigger, 'change'>): void {
    this.entry(ns).triggers.add(trigger);
  }

  /** Starts the reconcile span of a namespace, linked to the changes that queued it. */
  start(ns: string): Span {
    const entry = this.pending.get(ns);
    this.pending.delete(ns);
    return this.tracer.startSpan(
      'reconcile',
      {
        kind: SpanKind.INTERNAL,
        attributes: {
          'k8s.namespace.name': ns,
          'aigw.reconcile.changes': entry?.changes ?? 0,
          'aigw.reconcile.trigger': entry ? [...entry.triggers].sort() : [],
        },
        links: entry?.links ?? [],
      },
      ROOT_CONTEXT,
    );
  }

  /** Ends a reconcile span; `error` marks it failed with a class of error, never a message. */
  static end(span: Span, error?: unknown): void {
    if (error !== undefined) {
      const code = (error as { code?: unknown; status?: unknown })?.code ?? (error as { status?: unknown })?.status;
      const name =
        typeof code === 'string' || typeof code === 'number'
          ? String(code)
          : error instanceof Error
            ? error.name
            : 'Error';
      span.setAttribute('error.type', name);
      span.setStatus({ code: SpanStatusCode.ERROR, message: name });
    }
    span.end();
  }

  private entry(ns: string): Pending {
    let entry = this.pending.get(ns);
    if (!entry) {
      entry = { links: [], changes: 0, triggers: new Set() };
      this.pending.set(ns, entry);
    }
    return entry;
  }
}
