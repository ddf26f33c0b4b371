/**
 * The immutable view of one compiled config that a request uses from start to end, with the indexes
 * the hot path needs (served name → model, served name → route, token hash → caller, caller → permitted
 * accounts).
 */
import type {
  AccountCredentials,
  CompiledAccount,
  CompiledApiKey,
  CompiledConfig,
  CompiledCredentials,
  CompiledModel,
  CompiledModelRoute,
  CompiledRouteTarget,
} from './types.js';

/** A served model with the account it belongs to. */
export interface ServedModel {
  readonly model: CompiledModel;
  readonly account: CompiledAccount;
  readonly credentials: AccountCredentials;
}

/** A route target resolved to the model it calls: its weight and priority plus the served model. */
export interface ServedRouteTarget extends Readonly<CompiledRouteTarget> {
  readonly served: ServedModel;
}

/** A ModelRoute as requests use it: the compiled route with every target resolved (docs/resources.md, ModelRoute). */
export interface ServedRoute {
  readonly route: CompiledModelRoute;
  /** Every target, in spec order; a caller uses only {@link usableTargets}. */
  readonly targets: readonly ServedRouteTarget[];
}

/**
 * The targets of a route a caller may use: those whose account lists the caller as a collaborator (the same
 * rule as for a model). Empty = the caller may not use the route (404, as for a model it may not see).
 * Returns `route.targets` itself when the caller may use them all, so the common case allocates nothing.
 */
export function usableTargets(route: ServedRoute, caller: Caller): readonly ServedRouteTarget[] {
  const { targets } = route;
  let i = 0;
  while (i < targets.length && caller.accounts.has((targets[i] as ServedRouteTarget).served.account.name)) i++;
  if (i === targets.length) return targets;
  const out = targets.slice(0, i);
  for (i++; i < targets.length; i++) {
    const t = targets[i] as ServedRouteTarget;
    if (caller.accounts.has(t.served.account.name)) out.push(t);
  }
  return out;
}

/** Whether a caller may use a route: through at least one of its targets. */
export function mayUseRoute(route: ServedRoute, caller: Caller): boolean {
  return route.targets.some((t) => caller.accounts.has(t.served.account.name));
}

/** An authenticated caller. `accounts` is the set of account names whose models it may use. */
export interface Caller {
  /** `user:NAME` (api keys) or `serviceaccount:NS:NAME` (in-cluster callers, later). */
  readonly subject: string;
  readonly teams: readonly string[];
  /** Where the identity came from: `<namespace>/<secret>` for api keys. */
  readonly source: string;
  /** Hex SHA-256 of the api key that authenticated the caller (empty for other identity sources). */
  readonly keyHash: string;
  readonly accounts: ReadonlySet<string>;
  /**
   * The caller's team as a metrics label, bounded by the config: its first team that some collaborator
   * entry names (`team:X`), `other` when it has teams but none is named, `-` when it has none.
   */
  readonly metricTeam: string;
}

/** See {@link Caller.metricTeam}. */
export function metricTeamOf(teams: readonly string[], accounts: Iterable<CompiledAccount>): string {
  if (teams.length === 0) return '-';
  const named = new Set<string>();
  for (const account of accounts) for (const c of account.collaborators) named.add(c.subject);
  for (const team of teams) if (named.has(`team:${team}`)) return team;
  return 'other';
}

export interface Snapshot {
  readonly config: CompiledConfig;
  readonly credentials: CompiledCredentials;
  readonly revision: string;
  /** servedName (`account/model`) → route. */
  readonly models: ReadonlyMap<string, ServedModel>;
  readonly accounts: ReadonlyMap<string, CompiledAccount>;
  /** servedName (`route/<name>`) → ModelRoute with its targets resolved. */
  readonly routes: ReadonlyMap<string, ServedRoute>;
  /** Hex SHA-256 of a token → the caller it authenticates. */
  readonly callersByKeyHash: ReadonlyMap<string, Caller>;
  /** Epoch milliseconds when this snapshot was built. */
  readonly loadedAt: number;
}

/**
 * The principals a collaborator entry can name for a caller: `user:X` for subject `user:X`,
 * `team:G` for each of its teams (DESIGN.md, API keys).
 */
export function principalsOf(subject: string, teams: readonly string[]): string[] {
  return [subject, ...teams.map((t) => `team:${t}`)];
}

/** The accounts whose collaborators (User or Manager) include one of the principals. */
export function permittedAccounts(accounts: Iterable<CompiledAccount>, principals: readonly string[]): Set<string> {
  const set = new Set<string>();
  for (const account of accounts) {
    if (
      account.collaborators.some((c) => (c.role === 'User' || c.role === 'Manager') && principals.includes(c.subject))
    ) {
      set.add(account.name);
    }
  }
  return set;
}

/** Builds the snapshot of a compiled config; the result and everything in it is frozen. */
export function buildSnapshot(
  config: CompiledConfig,
  credentials: CompiledCredentials,
  loadedAt = Date.now(),
): Snapshot {
  const accounts = new Map(config.accounts.map((a) => [a.name, a]));
  const models = new Map<string, ServedModel>();
  for (const model of config.models) {
    const account = accounts.get(model.account);
    if (!account) continue; // the compiler never emits such a model; a hand-written config.json might
    models.set(
      model.servedName,
      Object.freeze({ model, account, credentials: credentials.accounts[account.name] ?? {} }),
    );
  }
  const routes = new Map<string, ServedRoute>();
  for (const route of config.routes ?? []) {
    const targets: ServedRouteTarget[] = [];
    for (const target of route.targets) {
      const served = models.get(target.servedName);
      // The compiler only emits targets of compiled models; a hand-written config.json might not.
      if (served) targets.push(Object.freeze({ ...target, served }));
    }
    if (targets.length > 0) routes.set(route.servedName, Object.freeze({ route, targets: Object.freeze(targets) }));
  }
  const callersByKeyHash = new Map<string, Caller>();
  for (const key of config.apiKeys) callersByKeyHash.set(key.sha256.toLowerCase(), callerOfKey(key, config.accounts));
  return Object.freeze({
    config: deepFreeze(config),
    credentials: deepFreeze(credentials),
    revision: config.revision,
    models,
    accounts,
    routes,
    callersByKeyHash,
    loadedAt,
  });
}

function callerOfKey(key: CompiledApiKey, accounts: readonly CompiledAccount[]): Caller {
  return Object.freeze({
    subject: key.subject,
    teams: Object.freeze([...key.teams]),
    source: key.source,
    keyHash: key.sha256.toLowerCase(),
    accounts: permittedAccounts(accounts, principalsOf(key.subject, key.teams)),
    metricTeam: metricTeamOf(key.teams, accounts),
  });
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** A Kubernetes identity as TokenReview reports it. */
export interface KubernetesIdentity {
  /** `system:serviceaccount:NS:NAME` for service accounts, else a user name. */
  readonly username: string;
  readonly groups: readonly string[];
}

const SERVICE_ACCOUNT_PREFIX = 'system:serviceaccount:';

/**
 * The caller of a verified Kubernetes token (DESIGN.md, API keys): a service account is the principal
 * `serviceaccount:NS:NAME`, another user `user:NAME`, and each group `team:GROUP`.
 */
export function callerOfKubernetesIdentity(snapshot: Snapshot, identity: KubernetesIdentity): Caller {
  const subject = identity.username.startsWith(SERVICE_ACCOUNT_PREFIX)
    ? `serviceaccount:${identity.username.slice(SERVICE_ACCOUNT_PREFIX.length)}`
    : `user:${identity.username}`;
  const teams = [...new Set(identity.groups)];
  return Object.freeze({
    subject,
    teams: Object.freeze(teams),
    source: 'kubernetes',
    keyHash: '',
    accounts: permittedAccounts(snapshot.config.accounts, principalsOf(subject, teams)),
    metricTeam: metricTeamOf(teams, snapshot.config.accounts),
  });
}
