/**
 * The API surfaces the server registers, one fastify plugin each. A new surface adds its module here
 * (and removes its placeholder from routes/pending.ts).
 */
import { chatRoutes } from './chat.js';
import { embeddingsRoutes } from './embeddings.js';
import { filesRoutes } from './files.js';
import { imagesRoutes } from './images.js';
import { modelsRoutes } from './models.js';
import { pendingBatches } from './pending.js';
import type { RouteModule } from './types.js';

export type { RouteModule } from './types.js';

export const ROUTE_MODULES: readonly RouteModule[] = [
  modelsRoutes,
  chatRoutes,
  embeddingsRoutes,
  imagesRoutes,
  filesRoutes,
  pendingBatches,
];
