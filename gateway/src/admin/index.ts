export { type AdminServer, type AdminServerOptions, formatHost, startAdminServer } from './server.js';
