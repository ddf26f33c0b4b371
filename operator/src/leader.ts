/**
 * Leader election on a coordination.k8s.io/v1 Lease, with client-go's semantics: a candidate takes
 * the lease when it is free or when its holder has not renewed it for `leaseDurationSeconds`
 * (measured on the candidate's own clock from when it last saw the record change, so clock skew
 * between pods does not matter); the leader renews every `retryPeriodMs` and steps down if it could
 * not renew within `renewDeadlineMs`. Writes use resourceVersion preconditions, so two candidates
 * can never both succeed in taking the same lease.
 */
import { isKubeStatus, type KubeClient, type KubeObject, pathFor, RESOURCES } from './kube/index.js';
import { sleep } from './watch.js';

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  /** How long a lease is valid without renewal (default 15 s). */
  leaseDurationSeconds?: number;
  /** How long the leader keeps trying to renew before it steps down (default 10 s). */
  renewDeadlineMs?: number;
  /** Interval between attempts (default 2 s). */
  retryPeriodMs?: number;
}

interface Lease extends KubeObject {
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

/** MicroTime as the API expects it (RFC 3339 with microseconds). */
function microTime(d = new Date()): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export class LeaderElector {
  private readonly abort = new AbortController();
  private leading = false;
  private observedRecord = '';
  private observedAt = 0;
  private loopPromise: Promise<void> | undefined;
  private readonly leaseDuration: number;
  private readonly renewDeadline: number;
  private readonly retryPeriod: number;

  constructor(
    private readonly client: KubeClient,
    private readonly options: LeaderElectionOptions,
    private readonly callbacks: { onStartedLeading: () => void; onStoppedLeading: () => void },
  ) {
    this.leaseDuration = options.leaseDurationSeconds ?? 15;
    this.renewDeadline = options.renewDeadlineMs ?? 10_000;
    this.retryPeriod = options.retryPeriodMs ?? 2_000;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    this.loopPromise ??= this.loop();
  }

  /** Stops campaigning; a leader releases the lease so a standby takes over at once. */
  async stop(options: { release?: boolean } = {}): Promise<void> {
    this.abort.abort();
    await this.loopPromise?.catch(() => undefined);
    if (this.leading) {
      this.leading = false;
      if (options.release !== false) await this.release().catch(() => undefined);
      this.callbacks.onStoppedLeading();
    }
  }

  private path(name?: string): string {
    return pathFor(RESOURCES.leases, this.options.namespace, name);
  }

  private async loop(): Promise<void> {
    let lastRenew = 0;
    while (!this.abort.signal.aborted) {
      let ok = false;
      try {
        ok = await this.tryAcquireOrRenew();
      } catch {
        ok = false;
      }
      if (this.abort.signal.aborted) return;
      if (ok) {
        lastRenew = Date.now();
        if (!this.leading) {
          this.leading = true;
          this.callbacks.onStartedLeading();
        }
      } else if (this.leading && Date.now() - lastRenew > this.renewDeadline) {
        this.leading = false;
        this.callbacks.onStoppedLeading();
      }
      await sleep(this.retryPeriod, this.abort.signal);
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = new Date();
    const lease = await this.client.find<Lease>(this.path(this.options.name), this.abort.signal);
    const mine = {
      holderIdentity: this.options.identity,
      leaseDurationSeconds: this.leaseDuration,
      renewTime: microTime(now),
    };
    if (!lease) {
      try {
        await this.client.create(this.path(), {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: this.options.name, namespace: this.options.namespace },
          spec: { ...mine, acquireTime: microTime(now), leaseTransitions: 0 },
        });
        return true;
      } catch (err) {
        if (isKubeStatus(err, 409)) return false;
        throw err;
      }
    }
    const spec = lease.spec ?? {};
    const record = JSON.stringify([spec.holderIdentity, spec.renewTime]);
    if (record !== this.observedRecord) {
      this.observedRecord = record;
      this.observedAt = Date.now();
    }
    const holder = spec.holderIdentity ?? '';
    const held = holder !== '' && holder !== this.options.identity;
    const expired = Date.now() > this.observedAt + (spec.leaseDurationSeconds ?? this.leaseDuration) * 1000;
    if (held && !expired) return false;
    const transitions = (spec.leaseTransitions ?? 0) + (holder === this.options.identity ? 0 : 1);
    try {
      await this.client.replace(this.path(this.options.name), {
        ...lease,
        spec: {
          ...spec,
          ...mine,
          acquireTime: holder === this.options.identity ? spec.acquireTime : microTime(now),
          leaseTransitions: transitions,
        },
      });
      return true;
    } catch (err) {
      // 409: someone else wrote the lease since we read it; they win this round.
      if (isKubeStatus(err, 409)) return false;
      throw err;
    }
  }

  private async release(): Promise<void> {
    const lease = await this.client.find<Lease>(this.path(this.options.name));
    if (!lease || lease.spec?.holderIdentity !== this.options.identity) return;
    await this.client.replace(this.path(this.options.name), {
      ...lease,
      spec: { ...lease.spec, holderIdentity: '', renewTime: microTime(), leaseDurationSeconds: 1 },
    });
  }
}
