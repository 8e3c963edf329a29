export { buildServer } from './app.ts';
export { STALE_HEADER } from './cacheHeaders.ts';
export type { ServerOptions } from './serverOptions.ts';
export { keepKeyPairCurrent, readKeyPair, type KeyPair, type SecureContextTarget, type TlsFiles } from './tlsFiles.ts';
