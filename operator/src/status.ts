/**
 * Status of ProviderAccounts and Models from one compile of their namespace: pure, so the reasons a
 * user reads in `kubectl get models` are unit-tested without a cluster.
 */
import type {
  CompileProblem,
  CompileResult,
  Condition,
  Model,
  ProviderAccount,
} from '../../gateway/src/config/index.js';
import { isRefused } from './withdraw.js';

/** Outcome of actually using an account's credentials (STS or a cheap Bedrock call). */
export interface CredentialCheck {
  status: Condition['status'];
  reason: string;
  message: string;
}

export interface AccountStatus {
  observedGeneration?: number;
  conditions: Condition[];
  models: number;
}

export interface ModelStatus {
  observedGeneration?: number;
  conditions: Condition[];
  resolvedRegion?: string;
  family?: string;
  type?: string;
  servedName?: string;
}

/** Model `Ready=False` reasons, stable for alerts and scripts. */
export const MODEL_REASONS = {
  served: 'Served',
  accountMissing: 'AccountMissing',
  accountNotReady: 'AccountNotReady',
  nameClash: 'NameClash',
  invalidModelId: 'InvalidModelId',
  regionUnsupported: 'RegionUnsupported',
  invalidSpec: 'InvalidSpec',
} as const;

export const ACCOUNT_REASONS = {
  compiled: 'Compiled',
  secretMissing: 'SecretMissing',
  invalidSpec: 'InvalidSpec',
  nameClash: 'NameClash',
  credentialsInvalid: 'CredentialsInvalid',
} as const;

function reasonForModel(p: CompileProblem): string {
  if (p.path === 'metadata.name' && p.message.startsWith('duplicate')) return MODEL_REASONS.nameClash;
  if (p.path === 'spec.account')
    return p.message.includes('not found') ? MODEL_REASONS.accountMissing : MODEL_REASONS.accountNotReady;
  if (p.message.includes('cannot be called from region') || p.message.includes('conflicts with the region')) {
    return MODEL_REASONS.regionUnsupported;
  }
  if (p.path === 'spec.modelId' || p.path === 'spec.type') return MODEL_REASONS.invalidModelId;
  if (p.path === 'spec.region') return MODEL_REASONS.regionUnsupported;
  return MODEL_REASONS.invalidSpec;
}

function reasonForAccount(p: CompileProblem): string {
  if (p.path === 'metadata.name' && p.message.startsWith('duplicate')) return ACCOUNT_REASONS.nameClash;
  if (p.path.includes('secretRef') || p.path.includes('SecretRef')) return ACCOUNT_REASONS.secretMissing;
  return ACCOUNT_REASONS.invalidSpec;
}

function describe(problems: CompileProblem[]): string {
  return problems.map((p) => `${p.path}: ${p.message}`).join('; ');
}

/**
 * Carries `lastTransitionTime` over from the previous condition of the same type when its status did
 * not change (Kubernetes API conventions), so re-running a reconcile rewrites nothing.
 */
export function mergeConditions(
  previous: Condition[] | undefined,
  next: Omit<Condition, 'lastTransitionTime'>[],
  now: string,
): Condition[] {
  return next.map((c) => {
    const old = previous?.find((p) => p.type === c.type);
    return { ...c, lastTransitionTime: old && old.status === c.status ? old.lastTransitionTime : now };
  });
}

export interface StatusInput {
  accounts: ProviderAccount[];
  models: Model[];
  result: CompileResult;
  /** Credential checks by account name; absent = not checked yet. */
  checks: Map<string, CredentialCheck>;
  now: string;
}

/** Computes every status of the namespace: accounts by name, models by name. */
export function computeStatuses(input: StatusInput): {
  accounts: Map<string, AccountStatus>;
  models: Map<string, ModelStatus>;
} {
  const { result, now } = input;
  const problemsOf = (kind: CompileProblem['kind'], name: string) =>
    result.problems.filter((p) => p.kind === kind && p.name === name);
  const accounts = new Map<string, AccountStatus>();
  for (const account of input.accounts) {
    const name = account.metadata.name;
    const generation = account.metadata.generation;
    const problems = problemsOf('ProviderAccount', name);
    const compiled = result.config.accounts.find((a) => a.name === name);
    const check = input.checks.get(name);
    // An account AWS refused compiled, but was withdrawn from the config (withdraw.ts): no problems
    // of its own, not in `result.config.accounts`, and a refused check.
    const refused = problems.length === 0 && !compiled && isRefused(check);
    const next: Omit<Condition, 'lastTransitionTime'>[] = [];
    let credentials: Omit<Condition, 'lastTransitionTime'>;
    if (problems.length > 0 || (!compiled && !refused)) {
      const reason = problems[0] ? reasonForAccount(problems[0]) : ACCOUNT_REASONS.invalidSpec;
      const message = describe(problems) || 'the account could not be compiled';
      next.push({ type: 'Ready', status: 'False', reason, message, observedGeneration: generation });
      credentials = {
        type: 'CredentialsReady',
        status: reason === ACCOUNT_REASONS.secretMissing ? 'False' : 'Unknown',
        reason: reason === ACCOUNT_REASONS.secretMissing ? reason : 'NotChecked',
        message:
          reason === ACCOUNT_REASONS.secretMissing ? message : 'credentials are checked once the account compiles',
        observedGeneration: generation,
      };
    } else {
      credentials = check
        ? { type: 'CredentialsReady', ...check, observedGeneration: generation }
        : {
            type: 'CredentialsReady',
            status: 'Unknown',
            reason: 'Checking',
            message: 'credential check in progress',
            observedGeneration: generation,
          };
      const served = result.config.models.filter((m) => m.account === name).length;
      next.push(
        // Only credentials AWS refused take the account out of service (docs/resources.md); a check
        // that timed out or could not reach STS/Bedrock (operator egress, an outage) says so in
        // CredentialsReady while the account stays in service.
        refused && check
          ? {
              type: 'Ready',
              status: 'False',
              reason: ACCOUNT_REASONS.credentialsInvalid,
              message: `AWS refused the credentials, so the account and its models are not served: ${check.message}`,
              observedGeneration: generation,
            }
          : {
              type: 'Ready',
              status: 'True',
              reason: ACCOUNT_REASONS.compiled,
              message: `published to the gateway config with ${served} model${served === 1 ? '' : 's'}`,
              observedGeneration: generation,
            },
      );
    }
    next.push(credentials);
    accounts.set(name, {
      observedGeneration: generation,
      conditions: mergeConditions(account.status?.conditions, next, now),
      models: result.config.models.filter((m) => m.account === name).length,
    });
  }

  const models = new Map<string, ModelStatus>();
  for (const model of input.models) {
    const name = model.metadata.name;
    const generation = model.metadata.generation;
    const compiled = result.config.models.find((m) => m.name === name && m.account === model.spec?.account);
    const status: ModelStatus = { observedGeneration: generation, conditions: [] };
    let ready: Omit<Condition, 'lastTransitionTime'>;
    if (compiled) {
      ready = {
        type: 'Ready',
        status: 'True',
        reason: MODEL_REASONS.served,
        message: `served as ${compiled.servedName} in ${compiled.region}`,
        observedGeneration: generation,
      };
      status.resolvedRegion = compiled.region;
      status.family = compiled.family;
      status.type = compiled.type;
      status.servedName = compiled.servedName;
    } else {
      const problems = problemsOf('Model', name);
      ready = {
        type: 'Ready',
        status: 'False',
        reason: problems[0] ? reasonForModel(problems[0]) : MODEL_REASONS.invalidSpec,
        message: describe(problems) || 'the model could not be compiled',
        observedGeneration: generation,
      };
    }
    status.conditions = mergeConditions(model.status?.conditions, [ready], now);
    models.set(name, status);
  }
  return { accounts, models };
}

/** Whether two statuses say the same thing (ignoring key order). */
export function sameStatus(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>)
            .filter(([, x]) => x !== undefined)
            .sort(([x], [y]) => (x < y ? -1 : 1)),
        )
      : v,
  );
}
