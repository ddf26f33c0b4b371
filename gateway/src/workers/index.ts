export { IMAGE_WORK_DEFAULTS, type ImageWorkOptions, imageWorkEnvName, imageWorkOptionsFromEnv } from './defaults.js';
export { type ImageJobOutcome, type ImageWorkObserver, ImageWorkPool } from './image-pool.js';
