/**
 * The rule the module service applies before a fetched .mod or .zip becomes visible: its h1 must be
 * the one the checksum database holds for the module version.
 *
 * - Paths matching the private or nosumdb patterns (GOPRIVATE / GONOSUMDB syntax) are never
 *   looked up: nothing that names them leaves the proxy. They are stored unchecked, as the go
 *   command stores them.
 * - With `sumdb: off` nothing is looked up (the proxy says so once, at start).
 * - A version the database does not know is refused: it cannot be verified.
 * - When the database cannot be reached, a new module is refused, or stored and logged as
 *   unverified when the settings say `sumdbUnreachable: serve-unverified`.
 *   Modules verified earlier are in storage and keep being served without asking.
 */
import type { Logger } from 'pino';
import { isProxyError, proxyError } from '../errors.ts';
import type { ProxyMetrics } from '../metrics.ts';
import { isUnreachable, type ChecksumDatabase } from './database.ts';

export type UnreachablePolicy = 'refuse' | 'serve-unverified';

export type ModuleChecksumsOptions = {
  /** null when verification is off. */
  database: ChecksumDatabase | null;
  /** Paths never looked up: private and nosumdb patterns. */
  isExempt: (modulePath: string) => boolean;
  whenUnreachable: UnreachablePolicy;
  logger: Logger;
  metrics?: ProxyMetrics;
};

export type ChecksumOutcome = 'verified' | 'exempt' | 'off' | 'unverified';

export class ModuleChecksums {
  private readonly options: ModuleChecksumsOptions;

  constructor(options: ModuleChecksumsOptions) {
    this.options = options;
  }

  /** Whether the database may be asked about this path (for /sumdb/…/lookup from clients too). */
  mayLookUp(modulePath: string): boolean {
    return this.options.database !== null && !this.options.isExempt(modulePath);
  }

  /** Starts looking module@version up while it is being fetched (nothing for exempt paths). */
  startLookup(modulePath: string, version: string): void {
    if (this.mayLookUp(modulePath)) this.options.database!.startLookup(modulePath, version);
  }

  /**
   * Checks the h1 of a fetched file against the database; throws a ProxyError that says what
   * was served and what the database says when they differ, or why it could not be checked.
   */
  async verify(modulePath: string, version: string, file: 'mod' | 'zip', hash: string, servedBy: string): Promise<ChecksumOutcome> {
    const { database, logger, metrics } = this.options;
    if (database === null) return 'off';
    if (this.options.isExempt(modulePath)) return 'exempt';
    const line = `${modulePath} ${version}${file === 'mod' ? '/go.mod' : ''}`;
    let want: string | undefined;
    try {
      want = (await database.hashes(modulePath, version))[file];
    } catch (err) {
      if (isUnreachable(err) && this.options.whenUnreachable === 'serve-unverified') {
        metrics?.checksumChecks.inc({ result: 'unverified' });
        logger.warn({ module: modulePath, version, file, hash, reason: (err as Error).message }, 'stored without verification: the checksum database cannot be reached');
        return 'unverified';
      }
      if (isProxyError(err) && err.isNotFound) {
        metrics?.checksumChecks.inc({ result: 'not_found' });
        throw proxyError(
          'NOT_IN_CHECKSUM_DATABASE',
          `${modulePath}@${version} is not in checksum database ${database.name}, so it cannot be verified; if it is a private module, add its path to the proxy's private or nosumdb patterns`,
        );
      }
      metrics?.checksumChecks.inc({ result: 'refused' });
      if (isUnreachable(err)) {
        throw proxyError(
          (err as { code: 'CHECKSUM_DATABASE_FAILED' | 'CHECKSUM_DATABASE_TIMEOUT' }).code,
          `cannot verify ${modulePath}@${version}: ${(err as Error).message}; try again later; ${database.unreachableHint()}`,
        );
      }
      throw err;
    }
    if (want === undefined) {
      metrics?.checksumChecks.inc({ result: 'not_found' });
      throw proxyError('NOT_IN_CHECKSUM_DATABASE', `checksum database ${database.name} has no "${line}" line, so ${modulePath}@${version} cannot be verified`);
    }
    if (want !== hash) {
      metrics?.checksumChecks.inc({ result: 'mismatch' });
      const message =
        `SECURITY ERROR: ${servedBy} served ${line} with ${hash}, but checksum database ${database.name} says ${want}; ` +
        `refusing it: this module may have been tampered with`;
      logger.error({ module: modulePath, version, file, served: hash, database: database.name, want, upstream: servedBy }, 'checksum mismatch');
      throw proxyError('CHECKSUM_MISMATCH', message);
    }
    metrics?.checksumChecks.inc({ result: 'verified' });
    return 'verified';
  }
}
