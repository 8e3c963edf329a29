export { buildServer, type ServerOptions } from './app.ts';
export { STALE_HEADER } from './protocolRoutes.ts';
