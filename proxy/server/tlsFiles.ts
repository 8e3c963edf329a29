/**
 * The listener's certificate, kept current: read at start (a missing or mismatched pair stops
 * start-up with a message naming the files), and re-read when the files change. A new pair is
 * handed to the running server with setSecureContext, so connections already open keep theirs
 * and new handshakes get the new one: no request fails during a rotation. A pair that does not
 * load (the key rewritten before the certificate) is logged and the old one kept until the
 * next change.
 */
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import type { Logger } from 'pino';
import { watchFiles } from '../watchedFiles.ts';

export type TlsFiles = { certFile: string; keyFile: string };
export type KeyPair = { cert: Buffer; key: Buffer };

/** Reads and checks a certificate and its key; throws a message naming the files. */
export function readKeyPair(files: TlsFiles): KeyPair {
  let pair: KeyPair;
  try {
    pair = { cert: readFileSync(files.certFile), key: readFileSync(files.keyFile) };
  } catch (err) {
    throw new Error(`tls: cannot read ${(err as NodeJS.ErrnoException).path ?? files.certFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    // Parses both and checks that the key belongs to the certificate.
    createSecureContext(pair);
  } catch (err) {
    throw new Error(`tls: ${files.certFile} and ${files.keyFile} are not a usable PEM certificate and matching private key: ${(err as Error).message}`);
  }
  return pair;
}

/** Something that takes new TLS settings for future handshakes (a tls.Server, an http2 secure server). */
export type SecureContextTarget = { setSecureContext(options: KeyPair): void };

/** Re-reads the pair on change and installs it; returns a function that stops watching. */
export function keepKeyPairCurrent(files: TlsFiles, server: SecureContextTarget, logger: Logger): () => void {
  return watchFiles([files.certFile, files.keyFile], () => {
    let pair: KeyPair;
    try {
      pair = readKeyPair(files);
    } catch (err) {
      logger.warn({ reason: (err as Error).message }, 'tls: the changed certificate files do not load yet; still serving the previous certificate');
      return;
    }
    server.setSecureContext(pair);
    logger.info({ certFile: files.certFile }, 'tls: certificate reloaded');
  });
}
