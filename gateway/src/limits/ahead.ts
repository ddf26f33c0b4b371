/**
 * Reservations made one request ahead, so an admission far from every limit needs no store round trip.
 *
 * After a request is admitted, the replica reserves the same counters once more in the background (a
 * "ticket"), on the condition that they stay at or under half of each limit with that reservation. The
 * next request with the same counters, limits and an estimate no larger than the ticket's is admitted
 * from the ticket at once and reserves the next one. Because a ticket is a real reservation in the
 * shared store, the replicas together still never admit more than a limit; what a ticket can cost is
 * the other way round: one request's worth of a counter that another replica cannot use until the
 * ticket is taken or returned. That is bounded to:
 *
 * - limits where one request is at most 1 % of the limit (`reserve × 100 ≤ limit` for every counter; for
 *   a concurrency limit, at least 100), so small limits, where one request matters, are always exact;
 * - one ticket per counter per replica (a counter another ticket already covers gets none);
 * - only while the counter is at most half used, so close to a limit every admission asks the store
 *   and the last requests of a window are admitted exactly;
 * - a ticket not taken within `idleMs` to 2 × `idleMs` is returned to the store.
 *
 * Only worth it for a store across the network (Redis); the in-process store answers without waiting.
 */
import type { CounterCheck, UsageStore } from './store.js';

export interface AheadOptions {
  /** A ticket not taken within this many ms (at most twice that) is returned. */
  idleMs: number;
  /** After the store refused a ticket (counters past half), how long before asking again, ms. */
  refusedMs: number;
}

/** A ticket is only taken where one request is at most 1 / SHARE of every limit. */
const SHARE = 100;

export const AHEAD_DEFAULTS: AheadOptions = { idleMs: 500, refusedMs: 1000 };

/** A reservation made ahead: the checks it reserved (real limits, its reserves), their use, its lease id. */
export interface Ticket<C extends CounterCheck> {
  readonly checks: readonly C[];
  readonly used: readonly number[];
  readonly leaseId: string;
}

type Slot<C extends CounterCheck> =
  | { state: 'pending'; keys: readonly string[] }
  | { state: 'ready'; keys: readonly string[]; ticket: Ticket<C>; since: number }
  | { state: 'refused'; keys: readonly string[]; until: number };

export class AheadReservations<C extends CounterCheck> {
  readonly #store: UsageStore;
  readonly #options: AheadOptions;
  readonly #now: () => number;
  /** By signature (keys and limits of the checks, in order). */
  readonly #slots = new Map<string, Slot<C>>();
  /** Counters some pending or ready ticket covers. */
  readonly #held = new Set<string>();
  #sweeper: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(store: UsageStore, options: Partial<AheadOptions> = {}, now: () => number = Date.now) {
    this.#store = store;
    this.#options = { ...AHEAD_DEFAULTS, ...options };
    this.#now = now;
  }

  /** Whether tickets may cover these checks at all: one request is at most 1 / SHARE of every limit. */
  static eligible(checks: readonly CounterCheck[]): boolean {
    for (const c of checks) if ((c.kind === 'lease' ? 1 : c.reserve) * SHARE > c.limit) return false;
    return true;
  }

  /** The identity of a set of checks: a ticket serves only checks with this same signature. */
  static signature(checks: readonly CounterCheck[]): string {
    let s = '';
    for (const c of checks) s += `${c.key}\n${c.limit}\n`;
    return s;
  }

  /**
   * Takes the ticket for `signature` when there is one and its reserves cover `checks`'. Not while the
   * store's connection is down: the request then goes to the store and follows the policies' failureMode.
   */
  take(signature: string, checks: readonly C[]): Ticket<C> | undefined {
    const slot = this.#slots.get(signature);
    if (slot?.state !== 'ready' || !this.#store.connected) return undefined;
    const reserved = slot.ticket.checks;
    for (let i = 0; i < checks.length; i++) {
      if ((checks[i] as C).reserve > (reserved[i] as C).reserve) return undefined;
    }
    this.#drop(signature, slot);
    return slot.ticket;
  }

  /**
   * Reserves the next ticket for `checks` (which must be {@link eligible}) in the background, unless one is
   * held or was just refused.
   */
  reserve(signature: string, checks: readonly C[], leaseId: string): void {
    if (this.#closed) return;
    const now = this.#now();
    const slot = this.#slots.get(signature);
    if (slot) {
      if (slot.state !== 'refused' || slot.until > now) return;
      this.#slots.delete(signature);
    }
    const keys = checks.map((c) => c.key);
    for (const k of keys) if (this.#held.has(k)) return;
    const pending: Slot<C> = { state: 'pending', keys };
    this.#slots.set(signature, pending);
    for (const k of keys) this.#held.add(k);
    // The condition: each counter at or under half its limit once this reservation is added.
    const ahead: CounterCheck[] = checks.map((c) => ({
      key: c.key,
      kind: c.kind,
      limit: Math.floor(c.limit / 2),
      need: c.kind === 'lease' ? 1 : c.reserve,
      reserve: c.reserve,
      ttlMs: c.ttlMs,
    }));
    this.#store.admit(ahead, leaseId, now).then(
      (result) => {
        if (this.#slots.get(signature) !== pending) return;
        if (result.failed >= 0) {
          this.#drop(signature, pending);
          this.#slots.set(signature, { state: 'refused', keys: [], until: this.#now() + this.#options.refusedMs });
        } else {
          const ready: Slot<C> = { state: 'ready', keys, ticket: { checks, used: result.used, leaseId }, since: now };
          this.#slots.set(signature, ready);
          if (this.#closed) this.#return(signature, ready);
        }
        this.#arm();
      },
      () => {
        // The store is down: the next admission finds no ticket and follows the policy's failureMode.
        if (this.#slots.get(signature) === pending) this.#drop(signature, pending);
      },
    );
  }

  /** Tickets held now (tests, metrics). */
  get held(): number {
    let n = 0;
    for (const slot of this.#slots.values()) if (slot.state === 'ready') n++;
    return n;
  }

  /** Returns every ticket held to the store (on shutdown). */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#sweeper) clearInterval(this.#sweeper);
    this.#sweeper = undefined;
    const returns: Promise<void>[] = [];
    for (const [signature, slot] of this.#slots) {
      if (slot.state === 'ready') returns.push(this.#return(signature, slot));
    }
    await Promise.all(returns);
  }

  #drop(signature: string, slot: Slot<C>): void {
    this.#slots.delete(signature);
    for (const k of slot.keys) this.#held.delete(k);
  }

  /** Gives a ticket's reservation back: counters down by its reserves, its lease ended. */
  #return(signature: string, slot: Slot<C> & { state: 'ready' }): Promise<void> {
    this.#drop(signature, slot);
    const adjustments = [];
    const leases = [];
    for (const c of slot.ticket.checks) {
      if (c.kind === 'lease') leases.push({ key: c.key, leaseId: slot.ticket.leaseId });
      else if (c.reserve !== 0) adjustments.push({ key: c.key, delta: -c.reserve });
    }
    // A failed return leaves counters one request high until their window ends (and the lease until
    // it expires), the same as a replica that dies holding the ticket.
    return this.#store.settle(adjustments, leases).catch(() => {});
  }

  #arm(): void {
    if (this.#sweeper || this.#closed) return;
    this.#sweeper = setInterval(() => this.#sweep(), this.#options.idleMs);
    this.#sweeper.unref();
  }

  #sweep(): void {
    const now = this.#now();
    for (const [signature, slot] of this.#slots) {
      if (slot.state === 'ready' && now - slot.since >= this.#options.idleMs) void this.#return(signature, slot);
      else if (slot.state === 'refused' && slot.until <= now) this.#slots.delete(signature);
    }
    if (this.#slots.size === 0 && this.#sweeper) {
      clearInterval(this.#sweeper);
      this.#sweeper = undefined;
    }
  }
}
