/**
 * The API surfaces the server registers, one fastify plugin each. A new surface adds its module here.
 */
import { batchesRoutes } from './batches.js';
import { chatRoutes } from './chat.js';
import { embeddingsRoutes } from './embeddings.js';
import { filesRoutes } from './files.js';
import { imagesRoutes } from './images.js';
import { modelsRoutes } from './models.js';
import type { RouteModule } from './types.js';

export type { RouteModule } from './types.js';

export const ROUTE_MODULES: readonly RouteModule[] = [
  modelsRoutes,
  chatRoutes,
  embeddingsRoutes,
  imagesRoutes,
  filesRoutes,
  batchesRoutes,
];
