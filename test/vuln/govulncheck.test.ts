// The real govulncheck, pinned and built from its module, against a test program whose
// dependencies come through the proxy, with `-db http://127.0.0.1:<proxy>/vulndb`: it reports
// exactly what the test database holds for the program's call graph. Nothing leaves the machine:
// the modules come from a test upstream, the database from a test server, both on 127.0.0.1.
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeGoHome, type GoHome } from '../fixtures/goCommand.ts';
import { goSumLines, type FixtureModule } from '../fixtures/moduleTree.ts';
import { startUpstream, type Upstream } from '../fixtures/upstreamServer.ts';
import { writeVulnDatabase, type TestAdvisory } from '../fixtures/vulnDatabase.ts';
import { startProxiedTree, startTestProxy, tempFolder, type ProxiedTree } from '../e2e/harness.ts';
import { findingLevels, runGovulncheck } from './govulncheck.ts';

const vulnlib: FixtureModule = {
  path: 'github.com/acme/vulnlib',
  version: 'v1.1.0',
  files: {
    'vulnlib.go': [
      'package vulnlib',
      '',
      '// Parse is called by the program.',
      'func Parse(s string) int { return len(s) }',
      '',
      '// Render is in the same package, never called by the program.',
      'func Render(n int) string { return string(rune(n)) }',
      '',
    ].join('\n'),
  },
};

const advisories: TestAdvisory[] = [
  // Affects the called symbol at this version: reported as called.
  { id: 'GO-2025-0101', modified: '2025-02-01T00:00:00Z', aliases: ['CVE-2025-0101'], affected: [{ module: vulnlib.path, events: [{ introduced: '0' }, { fixed: '1.2.0' }], imports: [{ path: vulnlib.path, symbols: ['Parse'] }] }] },
  // Affects a symbol of an imported package that is never called: not reported as called.
  { id: 'GO-2025-0102', modified: '2025-02-02T00:00:00Z', affected: [{ module: vulnlib.path, events: [{ introduced: '0' }, { fixed: '1.3.0' }], imports: [{ path: vulnlib.path, symbols: ['Render'] }] }] },
  // Fixed before the version in use: not reported.
  { id: 'GO-2025-0103', modified: '2025-02-03T00:00:00Z', affected: [{ module: vulnlib.path, events: [{ introduced: '0' }, { fixed: '1.0.5' }], imports: [{ path: vulnlib.path, symbols: ['Parse'] }] }] },
  // A module the program does not use: not reported.
  { id: 'GO-2025-0104', modified: '2025-02-04T00:00:00Z', affected: [{ module: 'github.com/acme/unused', events: [{ introduced: '0' }] }] },
];

describe('govulncheck -db <proxy>/vulndb', () => {
  let work: { path: string; dispose(): Promise<void> };
  let database: Upstream;
  let proxied: ProxiedTree;
  let home: GoHome;
  let program: string;

  beforeAll(async () => {
    work = await tempFolder('gomodproxy-govulncheck-');
    await writeVulnDatabase(join(work.path, 'db'), advisories);
    database = await startUpstream(join(work.path, 'db'));
    proxied = await startProxiedTree([vulnlib], { vulndb: { url: database.url } });
    expect((await proxied.proxy.vulnDatabase!.refresh()).outcome).toBe('updated');
    home = await makeGoHome({ goproxy: proxied.proxy.url });
    program = join(work.path, 'program');
    await mkdir(program);
    await writeFile(join(program, 'go.mod'), `module example.test/program\n\ngo 1.21\n\nrequire ${vulnlib.path} ${vulnlib.version}\n`);
    await writeFile(join(program, 'go.sum'), goSumLines([vulnlib]));
    // No standard library import: govulncheck then has little but the program to analyse.
    await writeFile(join(program, 'main.go'), `package main\n\nimport "${vulnlib.path}"\n\nfunc main() {\n\tprintln(vulnlib.Parse("hello"))\n}\n`);
  });
  afterAll(async () => {
    await home?.dispose();
    await proxied?.dispose();
    await database?.close();
    await work?.dispose();
  });

  it('reports the advisory of the called symbol as called, the uncalled one as imported only, and nothing else', async () => {
    database.requests.length = 0;
    const dbUrl = `${proxied.proxy.url}/vulndb`;
    const run = await runGovulncheck(['-db', dbUrl, '-format', 'json', './...'], { cwd: program, env: home.env });
    expect(run.code, run.stderr).toBe(0);
    const config = run.messages.find((m) => m['config'])?.['config'] as Record<string, unknown>;
    expect(config['db']).toBe(dbUrl);
    expect(config['db_last_modified']).toBe('2025-02-04T00:00:00Z');
    expect(findingLevels(run.messages)).toEqual({ 'GO-2025-0101': 'called', 'GO-2025-0102': 'imported' });
    const fixed = run.messages.flatMap((m) => (m['finding'] ? [(m['finding'] as { osv: string; fixed_version?: string })] : [])).find((f) => f.osv === 'GO-2025-0101');
    expect(fixed?.fixed_version).toBe('v1.2.0');
    // Everything came from the proxy's snapshot: the test database was not asked again.
    expect(database.requests).toEqual([]);
  }, 300_000);

  it('the text report names the called advisory and exits 3, as govulncheck does when code is affected', async () => {
    const run = await runGovulncheck(['-db', `${proxied.proxy.url}/vulndb`, './...'], { cwd: program, env: home.env });
    expect(run.code, run.stderr).toBe(3);
    expect(run.stdout).toMatch(/Vulnerability #1: GO-2025-0101/);
    expect(run.stdout).not.toMatch(/GO-2025-0103|GO-2025-0104/);
  }, 300_000);

  it('with auth on, govulncheck reads /vulndb/ with the credentials in its -db URL, and is refused without', async () => {
    const token = 'govulncheck-token';
    const tokenFile = join(work.path, 'ci.sha256');
    await writeFile(tokenFile, createHash('sha256').update(token).digest('hex'));
    const guarded = await startTestProxy({ upstream: 'off', vulndb: { url: database.url }, auth: { tokens: [{ name: 'ci', sha256: `file:${tokenFile}` }] } });
    try {
      await guarded.vulnDatabase!.refresh();
      const host = guarded.url.replace(/^http:\/\//, '');
      const signedIn = await runGovulncheck(['-db', `http://ci:${token}@${host}/vulndb`, '-format', 'json', './...'], { cwd: program, env: home.env });
      expect(signedIn.code, signedIn.stderr).toBe(0);
      expect(findingLevels(signedIn.messages)).toEqual({ 'GO-2025-0101': 'called', 'GO-2025-0102': 'imported' });
      const anonymous = await runGovulncheck(['-db', `${guarded.url}/vulndb`, './...'], { cwd: program, env: home.env });
      // govulncheck probes the database when it starts; the proxy's 401 ends the run there.
      expect(anonymous.code).not.toBe(0);
      expect(anonymous.stderr).toMatch(/^creating client: unrecognized vulndb format/);
      expect(anonymous.messages).toEqual([]);
    } finally {
      await guarded.dispose();
    }
  }, 300_000);
});
