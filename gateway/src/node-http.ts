/**
 * What the gateway takes from `node:http` at run time, loaded with `require`.
 *
 * An ES module `import … from 'node:http'` builds the module's namespace, which reads every export, and on
 * Node 22 those include the lazy `WebSocket`, `CloseEvent` and `MessageEvent` getters: reading them loads
 * Node's bundled copy of undici, which the gateway never uses and would hold for the life of the process
 * (about 12 MB of RSS, 2 MB of it live heap). `require` reads only the names asked for. Type-only imports
 * from `node:http` are erased and can stay where they are.
 */
import { createRequire } from 'node:module';

const http = createRequire(import.meta.url)('node:http') as typeof import('node:http');

export const createServer = http.createServer;
export const STATUS_CODES = http.STATUS_CODES;
