/** The operator's public surface: `runOperator` (called by `aigw operator`) and its building blocks. */

export { CredentialChecker } from './credentials.js';
export { LeaderElector } from './leader.js';
export { OperatorMetrics, startMetricsServer } from './metrics.js';
export {
  loadKubeConfig,
  type OperatorLogger,
  type OperatorOptions,
  type ReconciledEvent,
  type RunningOperator,
  runOperator,
} from './operator.js';
export { buildOutputs, FIELD_MANAGER, GATEWAY_LABEL, outputNames, REVISION_ANNOTATION } from './outputs.js';
export { WorkQueue } from './queue.js';
export type { AccountStatus, CredentialCheck, ModelStatus } from './status.js';
export { ACCOUNT_REASONS, computeStatuses, MODEL_REASONS } from './status.js';
export { ListWatch } from './watch.js';
