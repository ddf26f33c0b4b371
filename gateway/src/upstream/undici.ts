/**
 * The two undici dispatchers the gateway uses, loaded from their own modules.
 *
 * Importing `undici` itself loads the whole package (fetch, WebSocket, EventSource, caches, mocks: some
 * 110 modules, 1.1 MB of source) and, through it, Node's own bundled copy of undici as well; every gateway
 * process would hold both for its life (about 10 MB of RSS, 3.5 MB of it live heap, measured on Node 22).
 * The gateway only dispatches requests, so it loads the Agent and the proxy-aware Agent and what they
 * require. undici has no `exports` map, so these paths are part of the package as published; the types
 * are the package's own. An undici upgrade that moves them fails every test that makes a request.
 */
import { createRequire } from 'node:module';
import type * as Undici from 'undici';

const load = createRequire(import.meta.url);

// What undici's index does besides exporting: the promise API (`dispatcher.request()` and friends) on every
// dispatcher.
Object.assign(
  (load('undici/lib/dispatcher/dispatcher.js') as typeof Undici.Dispatcher).prototype,
  load('undici/lib/api/index.js'),
);

export const Agent: typeof Undici.Agent = load('undici/lib/dispatcher/agent.js');
export const EnvHttpProxyAgent: typeof Undici.EnvHttpProxyAgent = load('undici/lib/dispatcher/env-http-proxy-agent.js');
