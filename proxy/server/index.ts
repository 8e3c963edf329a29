export { buildServer } from './app.ts';
export { STALE_HEADER } from './cacheHeaders.ts';
export type { ServerOptions } from './serverOptions.ts';
