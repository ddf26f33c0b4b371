/**
 * Which compiled accounts the gateway may serve, given the credential checks (docs/resources.md):
 * credentials AWS refused (`CredentialsReady=False/AccessDenied`) take the account and all its Models
 * out of the published config, so callers get "model not found" instead of a 403 from Bedrock on
 * every call. Credentials that could not be verified (a timeout, no egress from the operator, the
 * default chain, a role assumed from the operator's own identity, a check still running) leave the
 * account in service. Pure: the compile result in, the one to publish out.
 */
import {
  type AccountCredentials,
  type CompiledAccount,
  type CompiledModelRoute,
  type CompileProblem,
  type CompileResult,
  type Model,
  type ModelRoute,
  ROUTE_REASONS,
  revisionOf,
} from '../../gateway/src/config/index.js';
import type { CredentialCheck } from './status.js';

/** Whether a finished check says AWS refused the credentials (as opposed to not answering). */
export function isRefused(check: CredentialCheck | undefined): boolean {
  return check?.status === 'False' && check.reason === 'AccessDenied';
}

/**
 * Whether a refusal speaks for the gateway too: the operator checked the very credentials the gateway
 * signs with. An assumed role without `sourceSecretRef` is assumed from the default chain, which is
 * the operator pod's identity in the check and the gateway pod's in service, so a refusal there says
 * nothing certain about the gateway (like `default` auth, it is reported but not acted on).
 */
export function refusalWithdraws(account: CompiledAccount, check: CredentialCheck | undefined): boolean {
  if (!isRefused(check)) return false;
  return !(account.auth.type === 'assumeRole' && !account.auth.hasSourceCredentials);
}

/**
 * `result` without the accounts whose check is refused: their models become `spec.account` problems
 * (the Model's `Ready=False/AccountNotReady`), route targets on them are skipped as the compiler skips a
 * Model that is not served (a route left without targets is not published), their credentials are not
 * published, and the revision is recomputed so gateways reload. `models` and `routes` are the objects
 * compiled, to name each problem's object as the compiler does.
 */
export function withdrawRefusedAccounts(
  result: CompileResult,
  checks: ReadonlyMap<string, CredentialCheck>,
  models: readonly Model[],
  routes: readonly ModelRoute[] = [],
): CompileResult {
  const refused = new Set(
    result.config.accounts.filter((a) => refusalWithdraws(a, checks.get(a.name))).map((a) => a.name),
  );
  if (refused.size === 0) return result;
  const problems: CompileProblem[] = [...result.problems];
  for (const m of result.config.models) {
    if (!refused.has(m.account)) continue;
    problems.push({
      kind: 'Model',
      namespace: result.config.namespace,
      name: m.name,
      path: 'spec.account',
      message: `ProviderAccount '${m.account}' is out of service: AWS refused its credentials (see its CredentialsReady)`,
      object: models.find((o) => o.metadata.name === m.name) ?? m,
    });
  }
  const keptRoutes: CompiledModelRoute[] = [];
  for (const route of result.config.routes ?? []) {
    const object = routes.find((o) => o.metadata.name === route.name);
    const specTargets = Array.isArray(object?.spec?.targets) ? object.spec.targets : [];
    const report = (path: string, message: string, about: Partial<CompileProblem>) =>
      problems.push({
        kind: 'ModelRoute',
        namespace: result.config.namespace,
        name: route.name,
        path,
        message,
        object: object ?? route,
        ...about,
      });
    const targets = route.targets.filter((t) => {
      const account = t.servedName.slice(0, t.servedName.indexOf('/'));
      if (!refused.has(account)) return true;
      const modelName = t.servedName.slice(account.length + 1);
      const index = specTargets.findIndex((s) => s?.model === modelName);
      report(
        `spec.targets[${index}].model`,
        `Model '${modelName}' is not served: ProviderAccount '${account}' is out of service (AWS refused its credentials); the route skips it`,
        { reason: ROUTE_REASONS.modelNotReady, consequenceOf: { kind: 'Model', name: modelName } },
      );
      return false;
    });
    if (targets.length === route.targets.length) keptRoutes.push(route);
    else if (targets.length === 0) {
      report(
        'spec.targets',
        'no target is served (each names a Model that is missing or not ready), so the route is not served',
        // Follows from the problems of its targets (reported above): a report for people lists those only.
        { reason: ROUTE_REASONS.noTargets, consequenceOf: { kind: 'ModelRoute', name: route.name } },
      );
    } else keptRoutes.push({ ...route, targets, maxAttempts: Math.min(route.maxAttempts, targets.length) });
  }
  const { revision: _old, routes: _routes, ...config } = result.config;
  const body = {
    ...config,
    accounts: config.accounts.filter((a) => !refused.has(a.name)),
    models: config.models.filter((m) => !refused.has(m.account)),
    ...(keptRoutes.length > 0 ? { routes: keptRoutes } : {}),
  };
  const credentials: Record<string, AccountCredentials> = {};
  for (const [name, c] of Object.entries(result.credentials.accounts)) if (!refused.has(name)) credentials[name] = c;
  const revision = revisionOf(body, credentials);
  return {
    config: { revision, ...body },
    credentials: { revision, accounts: credentials },
    problems,
  };
}
