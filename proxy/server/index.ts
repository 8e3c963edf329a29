export { buildServer, type ServerOptions } from './app.ts';
export { STALE_HEADER } from './protocolRoutes.ts';
export { keepKeyPairCurrent, readKeyPair, type KeyPair, type SecureContextTarget, type TlsFiles } from './tlsFiles.ts';
