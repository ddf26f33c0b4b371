import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.js';

/** One API surface: a fastify plugin registered by the server from {@link ROUTE_MODULES}. */
export interface RouteModule {
  /** For logs and docs. */
  readonly name: string;
  register(app: FastifyInstance, ctx: ServerContext): void | Promise<void>;
}
