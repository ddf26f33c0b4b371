export {
  CONFIG_DEFAULTS,
  type CompileOptions,
  type CompileProblem,
  type CompileResult,
  compileConfig,
  hashApiKey,
  revisionOf,
} from './compile.js';
export {
  type IgnoredDocument,
  type LoadedManifests,
  type LoadOptions,
  loadManifestDir,
  loadManifests,
  ManifestError,
  type ManifestSource,
  parseManifestText,
  sourceOf,
} from './load.js';
export {
  compileModelRoute,
  compileModelRoutes,
  MODEL_ROUTE_DEFAULTS,
  MODEL_ROUTE_LIMITS,
  ROUTE_PREFIX,
  ROUTE_REASONS,
  ROUTE_RETRY_ON,
  type RouteModels,
  routeEjectionKey,
  routeServedName,
} from './model-route.js';
export {
  buildSnapshot,
  type Caller,
  callerOfKubernetesIdentity,
  type KubernetesIdentity,
  mayUseRoute,
  metricTeamOf,
  permittedAccounts,
  principalsOf,
  type ServedModel,
  type ServedRoute,
  type ServedRouteTarget,
  type Snapshot,
  usableTargets,
} from './snapshot.js';
export {
  COMPILED_CONFIG_FILE,
  COMPILED_CREDENTIALS_FILE,
  CompiledDirSource,
  ConfigRejectedError,
  type ConfigSource,
  formatProblem,
  ManifestDirSource,
  type SourceLoadResult,
  summarizeProblems,
} from './sources.js';
export {
  CONFIG_WATCH_DEFAULTS,
  type ConfigLogger,
  ConfigStore,
  type ConfigStoreOptions,
  type ReloadOutcome,
} from './store.js';
export * from './types.js';
export { compileUsagePolicy, USAGE_POLICY_DEFAULTS } from './usage-policy.js';
