// What the audit trail costs a warm `go mod download`: two proxy processes on the same disk store,
// one with the audit trail on (a log line per file and day files in the store) and one with it
// off, both at log level info (so both write their request lines), downloading the same versions
// into fresh module caches, the order of the sides alternating. Target: audit on / off ≤ 1.05.
//
//   node bench/auditOverhead.ts [--rounds 6] [--versions 160]

import { parseArgs } from 'node:util';
import { fileProxyUrl } from '../test/fixtures/goCommand.ts';
import { largeCorpus, writeModuleTree } from '../test/fixtures/moduleTree.ts';
import { withCleanup } from './cleanup.ts';
import { timedGoModDownload } from './goDownload.ts';
import { spawnProxyProcess } from './processes.ts';
import { alternatingWarmRounds } from './alternatingRounds.ts';
import { progress, runStandalone, sideBySide, type BenchResult } from './results.ts';

export type AuditOverheadOptions = { rounds: number; versions: number };

export const auditOverheadDefaults: AuditOverheadOptions = { rounds: 6, versions: 160 };

export function auditOverhead(options: Partial<AuditOverheadOptions> = {}): Promise<BenchResult> {
  const { rounds, versions } = { ...auditOverheadDefaults, ...options };
  const began = performance.now();
  return withCleanup(async (cleanup) => {
    progress(`audit overhead: writing ${versions} module versions`);
    const corpus = largeCorpus(versions);
    const tree = await cleanup.tempFolder('gomodproxy-bench-tree-');
    await writeModuleTree(tree, corpus);
    const storage = await cleanup.tempFolder('gomodproxy-bench-store-');
    const common = { upstream: fileProxyUrl(tree), storagePath: storage, logLevel: 'info' };
    const sides = {
      on: await spawnProxyProcess(cleanup, { ...common, env: { GOMODPROXY_AUDIT_LOG: 'true', GOMODPROXY_AUDIT_STORAGE: 'true' } }),
      off: await spawnProxyProcess(cleanup, { ...common, env: { GOMODPROXY_AUDIT_LOG: 'false', GOMODPROXY_AUDIT_STORAGE: 'false' } }),
    };
    const moduleVersions = corpus.map((m) => `${m.path}@${m.version}`);
    const download = (url: string) => timedGoModDownload(moduleVersions, { goproxy: url });

    const seconds = await alternatingWarmRounds('audit overhead', sides, ['on', 'off'], rounds, download);
    return {
      name: 'audit',
      title: 'Audit trail overhead',
      setup:
        `\`go mod download\` of ${versions} module versions (largeCorpus) into a fresh GOMODCACHE from a warm proxy, median of ${rounds} rounds, ` +
        'sides alternating; two proxy child processes on one disk store, log level info, checksum verification off; ' +
        'on: audit.log and audit.storage (day files flushed every 10 s); off: no audit trail.',
      measurements: [
        sideBySide(
          { measure: `\`go mod download\` ${versions} versions, audit on vs off`, unit: 's', baselineName: 'audit off', target: { on: 'ratio', atMost: 1.05 } },
          seconds.on,
          seconds.off,
        ),
      ],
      notes: [],
      seconds: (performance.now() - began) / 1000,
    };
  });
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { rounds: { type: 'string' }, versions: { type: 'string' } } });
  await runStandalone(() =>
    auditOverhead({
      ...(values.rounds !== undefined && { rounds: Number(values.rounds) }),
      ...(values.versions !== undefined && { versions: Number(values.versions) }),
    }),
  );
}
