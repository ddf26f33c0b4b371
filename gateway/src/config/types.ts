/**
 * Resource types of DESIGN.md (group aigateway.dev, v1alpha1) and the compiled gateway config.
 * One definition shared by `aigw serve --config DIR`, the operator and the gateway in cluster mode.
 */
import type { ModelFamily, ModelType } from '../models/index.js';

export const API_GROUP = 'aigateway.dev';
export const API_VERSION = 'aigateway.dev/v1alpha1';
export const API_KEY_SECRET_TYPE = 'aigateway.dev/api-key';

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  creationTimestamp?: string;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface SecretKeyRef {
  name: string;
}

export interface AccessKeyAuth {
  secretRef: SecretKeyRef & { accessKeyIdKey?: string; secretAccessKeyKey?: string; sessionTokenKey?: string };
}
export interface AssumeRoleAuth {
  roleArn: string;
  externalId?: string;
  sessionName?: string;
  durationSeconds?: number;
  /** Source credentials; absent = the AWS default chain. */
  sourceSecretRef?: SecretKeyRef & { accessKeyIdKey?: string; secretAccessKeyKey?: string; sessionTokenKey?: string };
}
export interface ApiKeyAuth {
  secretRef: SecretKeyRef & { key?: string };
}

export type AuthType = 'accessKey' | 'assumeRole' | 'apiKey' | 'default';

export interface ProviderAccountSpec {
  provider: 'aws-bedrock';
  region: string;
  endpoint?: string;
  controlPlaneEndpoint?: string;
  stsEndpoint?: string;
  s3Endpoint?: string;
  auth: {
    type: AuthType;
    accessKey?: AccessKeyAuth;
    assumeRole?: AssumeRoleAuth;
    apiKey?: ApiKeyAuth;
  };
  batch?: { s3Bucket?: string; s3Prefix?: string; roleArn?: string };
  collaborators?: Collaborator[];
}

export type CollaboratorRole = 'Manager' | 'User';
export interface Collaborator {
  /** `user:NAME`, `team:GROUP` or `serviceaccount:NAMESPACE:NAME`. */
  subject: string;
  role: CollaboratorRole;
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export interface ProviderAccount {
  apiVersion: typeof API_VERSION;
  kind: 'ProviderAccount';
  metadata: ObjectMeta;
  spec: ProviderAccountSpec;
  status?: { observedGeneration?: number; conditions?: Condition[]; models?: number };
}

export interface ModelPricing {
  inputPerMillionTokens?: number;
  outputPerMillionTokens?: number;
  cacheReadPerMillionTokens?: number;
  cacheWritePerMillionTokens?: number;
  perImage?: number;
}

export interface ModelSpec {
  account: string;
  modelId: string;
  region?: string;
  type?: ModelType;
  pricing?: ModelPricing;
}

export interface Model {
  apiVersion: typeof API_VERSION;
  kind: 'Model';
  metadata: ObjectMeta;
  spec: ModelSpec;
  status?: {
    observedGeneration?: number;
    conditions?: Condition[];
    resolvedRegion?: string;
    family?: ModelFamily;
  };
}

export interface Secret {
  apiVersion: 'v1';
  kind: 'Secret';
  type?: string;
  metadata: ObjectMeta;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

/** Everything a config compiles from: the objects of one namespace. */
export interface ResourceSet {
  accounts: ProviderAccount[];
  models: Model[];
  secrets: Secret[];
  /** Absent = none (callers written before UsagePolicy existed). */
  usagePolicies?: UsagePolicy[];
  /** Absent = none. */
  modelRoutes?: ModelRoute[];
}

// ---------------------------------------------------------------------------------------------
// Compiled config: what the gateway serves. Contains no secret material; credentials travel apart.

export interface CompiledAccount {
  name: string;
  namespace: string;
  region: string;
  endpoint?: string;
  controlPlaneEndpoint?: string;
  stsEndpoint?: string;
  s3Endpoint?: string;
  auth:
    | { type: 'accessKey' }
    | { type: 'apiKey' }
    | { type: 'default' }
    | {
        type: 'assumeRole';
        roleArn: string;
        externalId?: string;
        sessionName: string;
        durationSeconds: number;
        /** Source credentials come from the credentials bundle when true, else from the default chain. */
        hasSourceCredentials: boolean;
      };
  batch?: { s3Bucket?: string; s3Prefix?: string; roleArn?: string };
  collaborators: Collaborator[];
}

export interface CompiledModel {
  /** `<account>/<model>`: the name callers put in `model`. */
  servedName: string;
  account: string;
  name: string;
  modelId: string;
  region: string;
  type: ModelType;
  family: ModelFamily;
  pricing?: ModelPricing;
  /** Unix seconds of the Model's `metadata.creationTimestamp`, when known (served as `created`). */
  created?: number;
}

export interface CompiledApiKey {
  /** Hex SHA-256 of the token; the token itself never enters the compiled config. */
  sha256: string;
  subject: string;
  teams: string[];
  /** `<namespace>/<secret name>`, for logs and metrics. */
  source: string;
}

export interface CompiledConfig {
  /** Content hash of config + credentials; the gateway reloads only when it changes. */
  revision: string;
  namespace: string;
  accounts: CompiledAccount[];
  models: CompiledModel[];
  apiKeys: CompiledApiKey[];
  /** Sorted by name; absent = none. */
  usagePolicies?: CompiledUsagePolicy[];
  /** Sorted by served name; absent = none. */
  routes?: CompiledModelRoute[];
}

/** Secret material per account, carried in the credentials Secret (cluster) or read from DIR (standalone). */
export interface AccountCredentials {
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  apiKey?: string;
}

export interface CompiledCredentials {
  revision: string;
  accounts: Record<string, AccountCredentials>;
}

// ---------------------------------------------------------------------------------------------
// UsagePolicy: rate limits, budgets and a mandatory guardrail (docs/resources.md, UsagePolicy).

export type UsagePolicyPer = 'subject' | 'shared';
export type UsageTokenCount = 'input' | 'output' | 'total';
export type UsageFailureMode = 'open' | 'closed';

/** A Kubernetes label selector (matchLabels and matchExpressions, as in Deployments). */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }[];
}

export interface UsagePolicyLimits {
  /** Requests admitted per calendar minute (fixed window). */
  requestsPerMinute?: number;
  /** Tokens per calendar minute, counted as `tokenCount` says (default total). */
  tokensPerMinute?: number;
  tokenCount?: UsageTokenCount;
  /** Requests (streaming or not) in flight at once. */
  concurrentRequests?: number;
  /** Spend in USD per calendar day / month of `timeZone`. */
  usdPerDay?: number;
  usdPerMonth?: number;
}

export interface UsagePolicySpec {
  /** `user:NAME`, `team:GROUP`, `serviceaccount:NS:NAME`; absent or empty = everyone. */
  subjects?: string[];
  /** `subject`: each matching caller has its own counters; `shared` (default): one set for all of them. */
  per?: UsagePolicyPer;
  /** Accounts whose models it applies to (names). */
  accounts?: string[];
  /** Models it applies to (Model names, i.e. metadata.name). */
  models?: string[];
  /** Models it applies to, by their labels. */
  modelSelector?: LabelSelector;
  limits?: UsagePolicyLimits;
  /** IANA time zone of the day/month windows; default UTC. */
  timeZone?: string;
  guardrail?: { guardrailIdentifier: string; guardrailVersion: string; trace?: 'enabled' | 'disabled' };
  /** What happens when the shared store cannot be reached; default open. */
  failureMode?: UsageFailureMode;
}

export interface UsagePolicyLimitStatus {
  /** `requestsPerMinute`, `tokensPerMinute`, `concurrentRequests`, `usdPerDay`, `usdPerMonth`. */
  limit: string;
  max: number;
  /** Current use in the current window; with per: subject, the highest use of any subject. */
  used: number;
  /** With per: subject, how many subjects have use in the window. */
  subjects?: number;
  /** RFC 3339 end of the current window (absent for concurrentRequests). */
  resetsAt?: string;
}

export interface UsagePolicy {
  apiVersion: typeof API_VERSION;
  kind: 'UsagePolicy';
  metadata: ObjectMeta;
  spec: UsagePolicySpec;
  status?: {
    observedGeneration?: number;
    conditions?: Condition[];
    usage?: UsagePolicyLimitStatus[];
    lastUpdated?: string;
  };
}

/** A UsagePolicy as the gateway enforces it: selectors resolved to served model names. */
export interface CompiledUsagePolicy {
  /** `<namespace>/<name>`: the identity of its counters in the store. */
  id: string;
  name: string;
  /** Empty = everyone. */
  subjects: string[];
  per: UsagePolicyPer;
  /** Served names (`account/model`) it applies to; absent = every model. */
  models?: string[];
  limits: UsagePolicyLimits & { tokenCount: UsageTokenCount };
  timeZone: string;
  guardrail?: { guardrailIdentifier: string; guardrailVersion: string; trace?: 'enabled' | 'disabled' };
  failureMode: UsageFailureMode;
}

// ---------------------------------------------------------------------------------------------
// ModelRoute: one served name over many Models (accounts, regions) with weights, priorities, failover,
// outlier ejection and prompt-cache affinity (docs/resources.md, ModelRoute).

/** Failures that move a request to another target before its first byte reaches the caller. */
export type RouteRetryOn = 'throttle' | '5xx' | 'timeout' | 'connect';

export interface ModelRouteTarget {
  /** A Model of the namespace (metadata.name), of any account and region. */
  model: string;
  /**
   * Share of traffic among the healthy targets of the same priority; default 1. 0 = a standby, reached by failover
   * (or when every healthy target of its priority has weight 0).
   */
  weight?: number;
  /** Lower is preferred; the next priority takes traffic only when no target of this one is healthy. Default 0. */
  priority?: number;
}

export interface ModelRouteSpec {
  targets: ModelRouteTarget[];
  policy?: {
    /** Default all four. */
    retryOn?: RouteRetryOn[];
    /** Targets tried for one request at most (first choice included); default every target. */
    maxAttempts?: number;
    /** Outlier ejection: this many consecutive failures eject a target for a back-off that doubles up to the max. */
    ejection?: { consecutiveFailures?: number; baseEjectionSeconds?: number; maxEjectionSeconds?: number };
    /** Requests with cache points go where their prefix is cached (rendezvous hashing); default true. */
    promptCacheAffinity?: boolean;
  };
}

export interface ModelRouteTargetStatus {
  model: string;
  /** `account/model` of the target. */
  servedName?: string;
  ready: boolean;
  /** Why not ready, as a stable CamelCase reason (ROUTE_REASONS: UnknownModel, ModelNotReady, TypeMismatch, ...). */
  reason?: string;
  /** Why not ready, in words. */
  message?: string;
  /** RFC 3339 end of a current ejection reported by a gateway replica through the shared store. */
  ejectedUntil?: string;
}

export interface ModelRoute {
  apiVersion: typeof API_VERSION;
  kind: 'ModelRoute';
  metadata: ObjectMeta;
  spec: ModelRouteSpec;
  status?: {
    observedGeneration?: number;
    conditions?: Condition[];
    /** Model type shared by every target. */
    type?: ModelType;
    targets?: ModelRouteTargetStatus[];
    /** Ready targets / all targets, e.g. `2/3`, for the printer column. */
    readyTargets?: string;
    ejectedTargets?: number;
  };
}

export interface CompiledRouteTarget {
  /** `account/model`: a key of the compiled models. */
  servedName: string;
  weight: number;
  priority: number;
}

/** A ModelRoute as the gateway serves it. */
export interface CompiledModelRoute {
  /** `route/<name>`: the name callers put in `model`. */
  servedName: string;
  name: string;
  type: ModelType;
  /** Only targets whose Model compiled, in spec order. Never empty (a route without one is not compiled). */
  targets: CompiledRouteTarget[];
  retryOn: RouteRetryOn[];
  maxAttempts: number;
  ejection: { consecutiveFailures: number; baseSeconds: number; maxSeconds: number };
  promptCacheAffinity: boolean;
  /** Unix seconds of `metadata.creationTimestamp`, when known. */
  created?: number;
}
