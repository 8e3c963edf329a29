/**
 * The proxy's Prometheus metrics, served at /metrics. Each running proxy has
 * its own registry (tests run several in one process); the process metrics
 * (memory, CPU, event loop, GC) are collected once per process and merged in.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export type ProxyMetrics = {
  registry: Registry;
  /** Protocol requests by file kind, status and cache outcome. */
  requests: Counter<'kind' | 'status' | 'cache'>;
  /**
   * Checks of fetched content against the checksum database: verified, mismatch,
   * not_found (the database does not know it), unverified (served without a check because
   * the database was unreachable and the settings allow it), refused (unreachable or misbehaving).
   */
  checksumChecks: Counter<'result'>;
  /** 1 once the checksum database has served a forked tree or a bad signature or proof. */
  checksumDatabaseAlarm: Gauge<'database'>;
  /**
   * Requests for the .info, .mod or .zip of a version a known advisory affects, by what
   * policy.vulnerable did: warn (served) or deny (refused with 403).
   */
  vulnerableDownloads: Counter<'action' | 'file'>;
  /** Versions served before the vulnerability database had a snapshot, so unchecked. */
  uncheckedDownloads: Counter<'file'>;
  /** Refreshes of the vulnerability database mirror: updated, unchanged, failed. */
  vulndbRefreshes: Counter<'outcome'>;
  /** The current snapshot's db.json `modified` and when the source last confirmed it (Unix seconds). */
  vulndbSnapshot: Gauge<'time'>;
};

let processRegistry: Registry | undefined;

function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry, prefix: 'gomodproxy_' });
  }
  return processRegistry;
}

export function createMetrics(): ProxyMetrics {
  const registry = new Registry();
  return {
    registry,
    requests: new Counter({
      name: 'gomodproxy_requests_total',
      help: 'GOPROXY protocol requests by file kind, HTTP status and cache outcome.',
      labelNames: ['kind', 'status', 'cache'],
      registers: [registry],
    }),
    checksumChecks: new Counter({
      name: 'gomodproxy_checksum_checks_total',
      help: 'Checks of fetched .mod and .zip files against the checksum database, by result.',
      labelNames: ['result'],
      registers: [registry],
    }),
    checksumDatabaseAlarm: new Gauge({
      name: 'gomodproxy_checksum_database_alarm',
      help: '1 once the checksum database served a forked tree, a bad signature or a bad proof.',
      labelNames: ['database'],
      registers: [registry],
    }),
    vulnerableDownloads: new Counter({
      name: 'gomodproxy_vulnerable_downloads_total',
      help: 'Requests for .info, .mod or .zip files of versions a known advisory affects, by the policy.vulnerable action taken (warn: served, deny: refused) and file.',
      labelNames: ['action', 'file'],
      registers: [registry],
    }),
    uncheckedDownloads: new Counter({
      name: 'gomodproxy_unchecked_downloads_total',
      help: 'Requests for .info, .mod or .zip files served while the vulnerability database had no snapshot yet, so not checked against it.',
      labelNames: ['file'],
      registers: [registry],
    }),
    vulndbRefreshes: new Counter({
      name: 'gomodproxy_vulndb_refreshes_total',
      help: 'Refreshes of the vulnerability database mirror, by outcome (updated, unchanged, failed).',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    vulndbSnapshot: new Gauge({
      name: 'gomodproxy_vulndb_snapshot_seconds',
      help: "The served vulnerability database snapshot: time=\"modified\" is its db.json's modified, time=\"refreshed\" when the source last confirmed it (Unix seconds).",
      labelNames: ['time'],
      registers: [registry],
    }),
  };
}

/** The text a Prometheus scrape gets: this proxy's metrics and the process's. */
export async function scrapeMetrics(metrics: ProxyMetrics): Promise<{ contentType: string; body: string }> {
  const merged = Registry.merge([metrics.registry, processMetrics()]);
  return { contentType: merged.contentType, body: await merged.metrics() };
}
