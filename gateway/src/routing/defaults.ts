/**
 * Every tunable of ModelRoute routing that is not part of the resource itself, with its unit and default.
 * docs/configuration.md ("Routing") documents the same table; `aigw serve` reads each from
 * `AIGW_ROUTING_<NAME>` (upper snake case of the key).
 */
export interface RoutingOptions {
  /**
   * A streaming call to a target that is not the last of its plan gives up waiting for the 200 and the first
   * event after this long and fails over (a stalled target must not hold the caller), ms. The last target
   * of the plan waits the upstream client's attemptTimeoutMs. Non-streaming calls always wait
   * attemptTimeoutMs: a long generation must not be cut off and sent again.
   */
  failoverFirstEventTimeoutMs: number;
  /**
   * A probe whose outcome was never reported (the replica lost track of it) frees the probe slot after this
   * long, so a target cannot stay out of rotation forever, ms.
   */
  probeTimeoutMs: number;
}

export const ROUTING_DEFAULTS: Readonly<RoutingOptions> = Object.freeze({
  failoverFirstEventTimeoutMs: 60_000,
  probeTimeoutMs: 300_000,
});

/** Resolves partial options against the defaults. */
export function resolveRoutingOptions(options: Partial<RoutingOptions> = {}): RoutingOptions {
  const resolved: RoutingOptions = { ...ROUTING_DEFAULTS };
  for (const key of Object.keys(options) as (keyof RoutingOptions)[]) {
    const value = options[key];
    if (value !== undefined) resolved[key] = value;
  }
  return resolved;
}
