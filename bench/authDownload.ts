// What authentication and access rules cost a warm download: `go mod download` of the same
// module versions from two proxies over https, one with auth (an htpasswd user signing in
// through .netrc, access rules before the default) and one without. Both serve the same warm
// store; the order of the sides rotates from round to round. Target: with / without ≤ 1.05.
//
//   node bench/authDownload.ts [--rounds 5] [--versions 240]

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import bcrypt from 'bcryptjs';
import { pino } from 'pino';
import { resolveConfig, type ConfigInput } from '../proxy/config.ts';
import { startProxy } from '../proxy/serve.ts';
import { fileProxyUrl } from '../test/fixtures/goCommand.ts';
import { largeCorpus, writeModuleTree } from '../test/fixtures/moduleTree.ts';
import { makeTestCa } from '../test/fixtures/testCertificates.ts';
import { withCleanup } from './cleanup.ts';
import { timedGoModDownload } from './goDownload.ts';
import { progress, runStandalone, sideBySide, type BenchResult } from './results.ts';

export type AuthDownloadOptions = { rounds: number; versions: number };
export const authDownloadDefaults: AuthDownloadOptions = { rounds: 5, versions: 240 };

export function authDownload(options: Partial<AuthDownloadOptions> = {}): Promise<BenchResult> {
  const { rounds, versions } = { ...authDownloadDefaults, ...options };
  const began = performance.now();
  return withCleanup(async (cleanup) => {
    progress(`auth download: writing ${versions} module versions`);
    const corpus = largeCorpus(versions);
    const tree = await cleanup.tempFolder('gomodproxy-bench-tree-');
    await writeModuleTree(tree, corpus);
    const files = await cleanup.tempFolder('gomodproxy-bench-auth-');
    const ca = makeTestCa(files);
    const htpasswd = join(files, 'htpasswd');
    // Cost 10, as `htpasswd -B` writes by default.
    await writeFile(htpasswd, `alice:${bcrypt.hashSync('wonderland', 10).replace(/^\$2b\$/, '$2y$')}\n`);

    const start = async (name: string, settings: Partial<ConfigInput>) => {
      const storage = await cleanup.tempFolder(`gomodproxy-bench-store-${name}-`);
      const config = resolveConfig({
        listen: '127.0.0.1:0',
        storage: { type: 'disk', path: storage },
        upstream: fileProxyUrl(tree),
        sumdb: 'off',
        vulndb: 'off',
        logLevel: 'warn',
        tls: ca.issue(name),
        ...settings,
      });
      const proxy = await startProxy(config, pino({ level: 'warn' }));
      cleanup.defer(`stop the ${name} proxy`, () => proxy.close());
      return proxy;
    };
    const open = await start('open', {});
    const guarded = await start('guarded', {
      auth: { htpasswd, groups: { 'team-a': ['alice'] } },
      access: {
        rules: [
          { modules: ['git.corp.example/team-b/*'], allow: ['team-b'] },
          { modules: ['git.corp.example/team-a/*'], allow: ['team-a'] },
          { modules: ['github.com/acme/bench-999'], allow: [] },
        ],
        default: ['authenticated'],
      },
    });
    const netrc = join(files, 'netrc');
    await writeFile(netrc, `machine ${new URL(guarded.url).host} login alice password wonderland\n`);
    const moduleVersions = corpus.map((m) => `${m.path}@${m.version}`);
    const sides = {
      open: () => timedGoModDownload(moduleVersions, { goproxy: open.url, extra: { SSL_CERT_FILE: ca.caFile } }),
      guarded: () => timedGoModDownload(moduleVersions, { goproxy: guarded.url, extra: { SSL_CERT_FILE: ca.caFile, NETRC: netrc } }),
    };
    const names = Object.keys(sides) as Array<keyof typeof sides>;
    progress('auth download: filling and warming both proxies');
    for (const side of names) await sides[side]();
    for (const side of names) await sides[side]();

    const seconds: Record<keyof typeof sides, number[]> = { open: [], guarded: [] };
    for (let round = 0; round < rounds; round++) {
      const order = names.map((_, i) => names[(i + round) % names.length]!);
      for (const side of order) seconds[side].push(await sides[side]());
      progress(`auth download: round ${round + 1}/${rounds}: ` + names.map((side) => `${side} ${seconds[side].at(-1)!.toFixed(2)} s`).join(', '));
    }
    return {
      name: 'auth',
      title: 'Warm download with authentication',
      setup:
        `\`go mod download\` of ${versions} module versions (largeCorpus) into a fresh GOMODCACHE, median of ${rounds} rounds, order rotating; ` +
        `two proxies in one node process, both https (HTTP/2) with a test CA, each with its own warm disk store; ` +
        `"guarded": an htpasswd user (bcrypt cost 10) sent by the go command from .netrc, three access rules before the default [authenticated]; "open": no auth.`,
      measurements: [
        sideBySide(
          { measure: `\`go mod download\` ${versions} versions over https, with auth and access rules vs without`, unit: 's', baselineName: 'no auth', target: { on: 'ratio', atMost: 1.05 } },
          seconds.guarded,
          seconds.open,
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
    authDownload({
      ...(values.rounds !== undefined && { rounds: Number(values.rounds) }),
      ...(values.versions !== undefined && { versions: Number(values.versions) }),
    }),
  );
}
