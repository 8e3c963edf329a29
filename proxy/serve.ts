/**
 * Assembles a running proxy from its settings: storage, the upstream chain,
 * the module service and the HTTP server. Used by `gomodproxy serve` and by tests.
 */
import { destination, pino, type Logger } from 'pino';
import type { FastifyInstance } from 'fastify';
import { createAccessControl } from './access/index.ts';
import { CatalogUpkeep, ModuleCatalog } from './catalog/index.ts';
import { RequestStats, UsageHistory } from './usage/index.ts';
import { parseListen, type Config } from './config.ts';
import { AuditTrail } from './access/audit.ts';
import { clientAddressResolver } from './access/clientAddress.ts';
import { ModulePolicy } from './access/policy.ts';
import { VulnerablePolicy } from './access/vulnerablePolicy.ts';
import { VulnerableVersions } from './vulndb/vulnerableVersions.ts';
import { MemoryCache } from './memoryCache.ts';
import { ModuleService } from './moduleService.ts';
import { createMetrics, type ProxyMetrics } from './metrics.ts';
import { matchPrefixPatterns } from './protocol/index.ts';
import { buildServer, keepKeyPairCurrent, readKeyPair, type SecureContextTarget } from './server/index.ts';
import { DirectPolicy, GitSource, PrivateSource, ProcessSlots, SourceChain, sourceChainFromSetting } from './sources/index.ts';
import { DownloadLog, type Storage } from './storage/index.ts';
import { createStorage } from './storage/fromConfig.ts';
import { ChecksumDatabase, ModuleChecksums, parseSumdbSetting, type UpstreamEntry } from './sumdb/index.ts';
import { VulnDatabase } from './vulndb/index.ts';

export type RunningProxy = {
  /** Base URL to put in GOPROXY, e.g. http://127.0.0.1:3000. */
  url: string;
  app: FastifyInstance;
  storage: Storage;
  modules: ModuleService;
  /** The checksum database it verifies against and proxies; null with `sumdb: off`. */
  checksumDatabase: ChecksumDatabase | null;
  /** The vulnerability database mirror served under /vulndb/; null with `vulndb: off`. */
  vulnDatabase: VulnDatabase | null;
  metrics: ProxyMetrics;
  /** The advisories of module versions by the newest vulnerability database snapshot (`advisoriesFor`). */
  vulnerabilities: VulnerableVersions;
  /** What the store holds, as the API sees it (listed in the background after start). */
  catalog: ModuleCatalog;
  /** Lists the store into the catalog again (tests wait for it). */
  relistCatalog(): Promise<void>;
  close(): Promise<void>;
};

/**
 * The checksum database and the rule for which paths are checked against it. Without a URL in
 * the setting, the database is looked for through `upstream` first, as the go command does.
 */
export function createChecksums(
  config: Config,
  storage: Storage,
  logger: Logger,
  metrics: ProxyMetrics,
  memoryCache: MemoryCache,
  upstream?: SourceChain,
): { database: ChecksumDatabase | null; checksums: ModuleChecksums } {
  const setting = parseSumdbSetting(config.sumdb);
  const database = setting.off
    ? null
    : new ChecksumDatabase({
        name: setting.name,
        verifier: setting.verifier,
        url: setting.url,
        ...(!setting.urlGiven && upstream ? { upstreams: databaseUpstreams(upstream) } : {}),
        storage,
        timeoutMs: config.upstreamTimeout,
        ttlMs: config.listTtl,
        logger,
        metrics,
        memoryCache,
      });
  // GONOSUMDB and GOPRIVATE paths are never looked up.
  const exempt = [...config.private, ...config.nosumdb];
  const checksums = new ModuleChecksums({
    database,
    isExempt: (modulePath) => exempt.length > 0 && matchPrefixPatterns(exempt, modulePath),
    whenUnreachable: config.sumdbUnreachable,
    logger,
    metrics,
  });
  return { database, checksums };
}

/** The upstream list as the checksum database's client walks it: GOPROXY URLs can be read, keywords end it. */
function databaseUpstreams(chain: SourceChain): UpstreamEntry[] {
  return chain.entries.map(({ source, proxy, fallBackOnAnyError }) => ({
    name: source.name,
    fallBackOnAnyError,
    ...(proxy && { read: (path: string, maxBytes: number) => proxy.readPath(path, maxBytes) }),
  }));
}

/** JSON lines on stdout, written without blocking the request that logs them. */
export function defaultLogger(config: Config): Logger {
  return pino({ level: config.logLevel }, destination({ sync: false }));
}

/** The parts of a proxy below HTTP: what `serve` runs, and what prefetch and import use directly. */
export type ProxyCore = {
  storage: Storage;
  upstream: SourceChain;
  modules: ModuleService;
  checksumDatabase: ChecksumDatabase | null;
  checksums: ModuleChecksums;
  metrics: ProxyMetrics;
  policy: ModulePolicy;
  /** The chain that builds private modules from git. */
  privateSource: SourceChain;
  /** The vulnerability database mirror (not started: `serve` starts its refreshes); null with `vulndb: off`. */
  vulnDatabase: VulnDatabase | null;
  /** policy.vulnerable, reading the advisories of `vulnerabilities`. */
  vulnerable: VulnerablePolicy;
  /** The advisories of module versions by the mirror's newest snapshot. */
  vulnerabilities: VulnerableVersions;
};

/**
 * Opens storage (a clear error when it cannot be used) and assembles sources, checksums and the
 * module service; `onVersionStored` is told of every .mod and .zip it stores.
 */
export async function assembleProxy(
  config: Config,
  logger: Logger,
  onVersionStored?: (modulePath: string, version: string, file: 'mod' | 'zip') => void,
): Promise<ProxyCore> {
  // Sources first: a missing upstream secret stops start-up before storage is opened.
  const memoryCache = new MemoryCache(config.memoryCacheBytes);
  const gitOptions = {
    cacheDir: config.git.cacheDir,
    hosts: config.git.hosts,
    refreshMs: config.listTtl,
    timeoutMs: config.git.timeout,
    // One cap on git processes for both sources together.
    slots: new ProcessSlots(config.git.maxProcesses),
    cacheBytes: config.git.cacheSize,
    exportLimitBytes: config.git.exportLimit,
    logger,
    memoryCache,
  };
  // Private modules get the host map's credentials; `direct` (public modules) never does.
  const git = new GitSource(gitOptions);
  const direct = new GitSource({ ...gitOptions, direct: new DirectPolicy(config.direct) });
  const upstream = sourceChainFromSetting(config.upstream, { timeoutMs: config.upstreamTimeout, direct });
  const storage = await createStorage(config);
  try {
    await storage.open();
  } catch (err) {
    await storage.close?.();
    throw err;
  }
  const metrics = createMetrics();
  const { database, checksums } = createChecksums(config, storage, logger, metrics, memoryCache, upstream);
  const vulnDatabase =
    config.vulndb === 'off'
      ? null
      : new VulnDatabase({ url: config.vulndb.url, refreshMs: config.vulndb.refresh, storage, logger, metrics, timeoutMs: config.upstreamTimeout });
  const vulnerabilities = new VulnerableVersions(vulnDatabase ?? undefined);
  const vulnerable = new VulnerablePolicy(config.policy.vulnerable, vulnerabilities);
  const policy = new ModulePolicy(config.policy, vulnerable);
  const privateSource = new SourceChain([{ source: new PrivateSource(git), fallBackOnAnyError: false }]);
  const modules = new ModuleService({
    fetchRefusal: (modulePath) => policy.fetchRefusal(modulePath),
    storage,
    upstream,
    privatePatterns: config.private,
    privateSource,
    listTtlMs: config.listTtl,
    fetchAhead: config.fetchAhead,
    checksums,
    logger,
    memoryCache,
    ...(onVersionStored ? { onVersionStored } : {}),
  });
  if (!database) {
    logger.warn('checksum verification is off (sumdb: off): modules from upstream proxies are stored without a check against a checksum database');
  }
  if (config.vulndb === 'off' && config.policy.vulnerable.action === 'deny') {
    logger.warn('policy.vulnerable is deny, but vulndb is off: without a vulnerability database no version is found vulnerable');
  }
  return { storage, upstream, modules, checksumDatabase: database, checksums, metrics, policy, privateSource, vulnDatabase, vulnerable, vulnerabilities };
}

export async function startProxy(config: Config, logger: Logger = defaultLogger(config)): Promise<RunningProxy> {
  const catalog = new ModuleCatalog();
  const core = await assembleProxy(config, logger, (modulePath, version, file) => catalog.noteFile(modulePath, version, file));
  const { storage, upstream, modules, checksumDatabase: database, checksums, metrics, policy, vulnDatabase, vulnerable, vulnerabilities } = core;
  const usageHistory = new UsageHistory(storage);
  const downloads = new DownloadLog({
    storage,
    logger,
    flushEveryMs: config.retention.recordEvery,
    onRecord: (modulePath, version, at) => catalog.noteDownload(modulePath, version, at),
    onWritten: (key, usage) => usageHistory.noteWritten(key, usage),
  });
  usageHistory.attach(downloads);
  const keyPair = config.tls ? readKeyPair(config.tls) : undefined;
  const access = config.auth || config.access ? createAccessControl(config, logger) : undefined;
  if (!access && config.private.length > 0) {
    logger.warn('no auth or access settings: anyone who can reach the port can read the private modules');
  }
  const audit =
    config.audit.log || config.audit.storage || config.audit.file
      ? new AuditTrail({
          logger,
          log: config.audit.log,
          flushEveryMs: config.audit.flushEvery,
          ...(config.audit.storage ? { storage } : {}),
          ...(config.audit.file ? { file: config.audit.file } : {}),
        })
      : undefined;
  const app = buildServer({
    modules,
    storage,
    checksumDatabase: database,
    checksums,
    ...(vulnDatabase ? { vulnDatabase } : {}),
    metrics,
    downloads,
    policy,
    vulnerable,
    vulnerabilities,
    ...(audit ? { audit } : {}),
    clientAddressOf: clientAddressResolver(config.trustedProxies),
    logger,
    listMaxAgeSeconds: Math.floor(config.listTtl / 1000),
    ...(keyPair ? { tls: keyPair } : {}),
    ...(access ? { access } : {}),
    catalog,
    requests: new RequestStats(),
    usageHistory,
    sourceChains: config.private.length > 0 ? [upstream, core.privateSource] : [upstream],
    config,
  });
  const { host, port } = parseListen(config.listen)!;
  await app.listen({ host, port });
  // Listed after the proxy serves: start-up never waits for a scan of the store.
  const catalogUpkeep = new CatalogUpkeep({ catalog, storage, logger });
  catalogUpkeep.start();
  vulnDatabase?.start();
  const stopWatchingTls = config.tls ? keepKeyPairCurrent(config.tls, app.server as unknown as SecureContextTarget, logger) : () => {};
  const address = app.server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  const shownHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  const url = `${config.tls ? 'https' : 'http'}://${shownHost}:${boundPort}`;
  logger.info(
    { url, storage: storage.description, upstream: upstream.description, private: config.private, sumdb: database?.description ?? 'off', vulndb: vulnDatabase?.url ?? 'off' },
    'gomodproxy serving',
  );
  return {
    url,
    app,
    storage,
    modules,
    checksumDatabase: database,
    vulnDatabase,
    metrics,
    vulnerabilities,
    catalog,
    relistCatalog: () => catalogUpkeep.relist(),
    close: async () => {
      stopWatchingTls();
      access?.close();
      await catalogUpkeep.close();
      await app.close();
      // Background fetches and list rewrites end before the store closes.
      await modules.settle();
      await vulnDatabase?.close();
      await downloads.close();
      await audit?.close();
      await storage.close?.();
      logger.flush();
    },
  };
}
