/**
 * Surfaces of DESIGN.md's API table whose routes are not in this build yet. They answer a clear
 * "not yet available" error rather than "unknown URL". When a surface lands, its module replaces the
 * entry here in routes/index.ts.
 */
import type { HTTPMethods } from 'fastify';
import { rejectOtherMethods, sendError } from '../app.js';
import { notYetAvailableError } from '../surfaces.js';
import type { RouteModule } from './types.js';

interface PendingSurface {
  readonly name: string;
  readonly routes: readonly { method: HTTPMethods; url: string }[];
}

function pendingModule(surface: PendingSurface): RouteModule {
  return {
    name: `${surface.name} (pending)`,
    register(app) {
      const byUrl = new Map<string, HTTPMethods[]>();
      for (const { method, url } of surface.routes) {
        app.route({
          method,
          url,
          config: { metricRoute: 'pending' },
          handler: (_request, reply) => sendError(reply, notYetAvailableError(surface.name)),
        });
        byUrl.set(url, [...(byUrl.get(url) ?? []), method]);
      }
      for (const [url, methods] of byUrl) rejectOtherMethods(app, url, methods);
    },
  };
}

export const pendingEmbeddings = pendingModule({
  name: 'The Embeddings API (/v1/embeddings)',
  routes: [{ method: 'POST', url: '/v1/embeddings' }],
});

export const pendingImages = pendingModule({
  name: 'The Images API (/v1/images)',
  routes: [
    { method: 'POST', url: '/v1/images/generations' },
    { method: 'POST', url: '/v1/images/edits' },
  ],
});

export const pendingBatches = pendingModule({
  name: 'The Batch API (/v1/batches)',
  routes: [
    { method: 'POST', url: '/v1/batches' },
    { method: 'GET', url: '/v1/batches' },
    { method: 'GET', url: '/v1/batches/:id' },
    { method: 'POST', url: '/v1/batches/:id/cancel' },
    { method: 'GET', url: '/v1/batches/:id/output' },
  ],
});
