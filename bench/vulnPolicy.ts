// What policy.vulnerable costs a warm `go mod download`: two proxy processes on the same disk
// store, one mirroring a generated vulnerability database the size of today's public one (~500
// modules, ~600 entries, plus advisories of every downloaded module whose ranges the downloaded
// versions are outside of, so that each lookup walks real ranges) with `policy.vulnerable: deny`,
// the other with `vulndb: off`, downloading the same versions into fresh module caches, the order of
// the sides alternating. Target: deny / off ≤ 1.05.
//
//   node bench/vulnPolicy.ts [--rounds 6] [--versions 160]

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileProxyUrl } from '../test/fixtures/goCommand.ts';
import { largeCorpus, writeModuleTree } from '../test/fixtures/moduleTree.ts';
import { syntheticAdvisories, writeVulnDatabase, type TestAdvisory } from '../test/fixtures/vulnDatabase.ts';
import { withCleanup } from './cleanup.ts';
import { timedGoModDownload } from './goDownload.ts';
import { spawnProxyProcess, spawnStaticFileServer } from './processes.ts';
import { alternatingWarmRounds } from './alternatingRounds.ts';
import { progress, runStandalone, sideBySide, type BenchResult } from './results.ts';

export type VulnPolicyOptions = { rounds: number; versions: number };

export const vulnPolicyDefaults: VulnPolicyOptions = { rounds: 6, versions: 160 };

/** Waits until the proxy at url has its first database snapshot (GET /vulndb/status). */
async function firstSnapshot(url: string): Promise<string> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const status = (await (await fetch(`${url}/vulndb/status`)).json()) as { modified: string | null; lastFailure: string | null };
    if (status.modified) return status.modified;
    if (Date.now() > deadline) throw new Error(`no vulnerability database snapshot within 120 s: ${status.lastFailure ?? 'no failure reported'}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export function vulnPolicy(options: Partial<VulnPolicyOptions> = {}): Promise<BenchResult> {
  const { rounds, versions } = { ...vulnPolicyDefaults, ...options };
  const began = performance.now();
  return withCleanup(async (cleanup) => {
    progress(`vulnerable policy: writing ${versions} module versions and a database of ~600 entries`);
    const corpus = largeCorpus(versions);
    const tree = await cleanup.tempFolder('gomodproxy-bench-tree-');
    await writeModuleTree(tree, corpus);
    // Every downloaded module has advisories, none of which affects the downloaded versions (deny
    // would refuse them): fixed before v1.0.0, or introduced at v2.0.0.
    const modules = [...new Set(corpus.map((m) => m.path))];
    const ownAdvisories: TestAdvisory[] = modules.flatMap((module, n) => [
      { id: `GO-2019-${String(1000 + 2 * n).padStart(4, '0')}`, modified: '2025-12-01T00:00:00Z', aliases: [`CVE-2019-${10000 + 2 * n}`], affected: [{ module, events: [{ introduced: '0' }, { fixed: '0.9.0' }] }] },
      { id: `GO-2019-${String(1001 + 2 * n).padStart(4, '0')}`, modified: '2025-12-01T00:00:00Z', affected: [{ module, events: [{ introduced: '2.0.0' }, { fixed: '2.0.5' }] }] },
    ]);
    const advisories = [...syntheticAdvisories(500, 600), ...ownAdvisories];
    const databaseRoot = await cleanup.tempFolder('gomodproxy-bench-vulndb-');
    await mkdir(join(databaseRoot, 'db'));
    await writeVulnDatabase(join(databaseRoot, 'db'), advisories);
    const database = await spawnStaticFileServer(cleanup, join(databaseRoot, 'db'));
    const storage = await cleanup.tempFolder('gomodproxy-bench-store-');
    const common = { upstream: fileProxyUrl(tree), storagePath: storage };
    const sides = {
      deny: await spawnProxyProcess(cleanup, { ...common, env: { GOMODPROXY_VULNDB_URL: database.url, GOMODPROXY_POLICY_VULNERABLE: 'deny' } }),
      off: await spawnProxyProcess(cleanup, { ...common, env: { GOMODPROXY_VULNDB_URL: 'off', GOMODPROXY_POLICY_VULNERABLE: 'allow' } }),
    };
    const modified = await firstSnapshot(sides.deny.url);
    const moduleVersions = corpus.map((m) => `${m.path}@${m.version}`);
    const download = (url: string) => timedGoModDownload(moduleVersions, { goproxy: url });

    const seconds = await alternatingWarmRounds('vulnerable policy', sides, ['deny', 'off'], rounds, download);
    return {
      name: 'vulnpolicy',
      title: 'Vulnerable-version policy overhead',
      setup:
        `\`go mod download\` of ${versions} module versions (largeCorpus) into a fresh GOMODCACHE from a warm proxy, median of ${rounds} rounds, ` +
        `sides alternating; two proxy child processes on one disk store, checksum verification off; deny: vulndb mirroring a generated database of ` +
        `${advisories.length} entries (modified ${modified}; 600 synthetic over 500 modules, 2 per downloaded module, none affecting the downloaded versions) ` +
        'served on 127.0.0.1, policy.vulnerable deny; off: vulndb off.',
      measurements: [
        sideBySide(
          { measure: `\`go mod download\` ${versions} versions, policy.vulnerable deny vs vulndb off`, unit: 's', baselineName: 'vulndb off', target: { on: 'ratio', atMost: 1.05 } },
          seconds.deny,
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
    vulnPolicy({
      ...(values.rounds !== undefined && { rounds: Number(values.rounds) }),
      ...(values.versions !== undefined && { versions: Number(values.versions) }),
    }),
  );
}
