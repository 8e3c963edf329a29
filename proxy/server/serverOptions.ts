/** What the server is built from: the services behind its routes, and its settings. */
import type { Logger } from 'pino';
import type { AccessControl } from '../access/index.ts';
import type { ModuleCatalog } from '../catalog/index.ts';
import type { Config } from '../config.ts';
import type { SourceChain } from '../sources/index.ts';
import type { RequestStats, UsageHistory } from '../usage/index.ts';
import type { AuditTrail } from '../access/audit.ts';
import type { ClientAddressOf } from '../access/clientAddress.ts';
import type { ModulePolicy } from '../access/policy.ts';
import type { VulnerablePolicy } from '../access/vulnerablePolicy.ts';
import type { VulnerableVersions } from '../vulndb/vulnerableVersions.ts';
import type { ModuleService } from '../moduleService.ts';
import type { ProxyMetrics } from '../metrics.ts';
import type { DownloadLog, Storage } from '../storage/index.ts';
import type { ChecksumDatabase, ModuleChecksums } from '../sumdb/index.ts';
import type { VulnDatabase } from '../vulndb/index.ts';
import type { KeyPair } from './tlsFiles.ts';

export type ServerOptions = {
  modules: ModuleService;
  storage: Storage;
  /** The checksum database proxied under /sumdb/; null when verification is off. */
  checksumDatabase: ChecksumDatabase | null;
  checksums: ModuleChecksums;
  /** The Go vulnerability database mirror served under /vulndb/; none: `vulndb: off`. */
  vulnDatabase?: VulnDatabase;
  metrics: ProxyMetrics;
  /** Where served module versions are noted for retention cleanup; none: not noted. */
  downloads?: DownloadLog;
  logger: Logger;
  /** Deny rules applied to every protocol request; none: everything may be served. */
  policy?: ModulePolicy;
  /** What advisories of the vulnerability database mean for served versions (recorded, or refused through `policy`); none: not looked up. */
  vulnerable?: VulnerablePolicy;
  /** The advisories of each stored version (shown by /api/module and /api/version); none: not shown. */
  vulnerabilities?: VulnerableVersions;
  /** Where served module files and refused requests are recorded; none: not recorded. */
  audit?: AuditTrail;
  /** The client address of a request, for the audit trail (X-Forwarded-For from trusted proxies). */
  clientAddressOf?: ClientAddressOf;
  /** Seconds a list or @latest answer may be cached by clients. */
  listMaxAgeSeconds: number;
  /** Serve https (HTTP/2, and HTTP/1.1 for older clients) with this certificate; none: plain http. */
  tls?: KeyPair;
  /** Who may read what; none: everyone may read everything. */
  access?: AccessControl;
  /** What the store holds, for the JSON API (/api/…); none: no API. */
  catalog?: ModuleCatalog;
  /** Who was served and who refused, since start (for /api/usage); none: not kept. */
  requests?: RequestStats;
  /** Every replica's request counts over time (for /api/usage). */
  usageHistory?: UsageHistory;
  /** The source chains whose upstreams /api/usage and /api/health report: the upstream list, then the private (git) one. */
  sourceChains?: SourceChain[];
  /** The settings in effect, for the admin views of the API (/api/health, /api/settings, the cleanup dry run); none: no admin views. */
  config?: Config;
};
