export { IMAGE_WORK_DEFAULTS, type ImageWorkOptions, imageWorkEnvName, imageWorkOptionsFromEnv } from './defaults.js';
export { ImageWorkPool } from './image-pool.js';
