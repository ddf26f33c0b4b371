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
  buildSnapshot,
  type Caller,
  callerOfKubernetesIdentity,
  type KubernetesIdentity,
  metricTeamOf,
  permittedAccounts,
  principalsOf,
  type ServedModel,
  type Snapshot,
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
