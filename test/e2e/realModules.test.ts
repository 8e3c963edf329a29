// Real modules, not only generated ones: the go command fills a module cache of its own from the
// registry it is configured for (its ordinary use, outside the proxy), and the proxy then serves
// that cache as a file:// upstream. Every module version in it must come through the proxy with
// the very hashes the go command recorded when it downloaded (and verified) them.
//
// The proxy under test never talks to anything but the folder and a checksum database on
// 127.0.0.1 that holds the recorded sums; only the go command that fills the cache uses the
// machine's own GOPROXY and GOSUMDB.
import { readFile, readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { hashGoMod } from '../../proxy/modzip/index.ts';
import { unescapePath, unescapeVersion } from '../../proxy/protocol/index.ts';
import { goModDownloadJson, makeGoHome, makeTempDir, removeTempDir, runGo } from '../fixtures/goCommand.ts';
import { startChecksumDatabase } from '../fixtures/sumdbServer.ts';
import { startTestProxy } from './harness.ts';

/** Widely used modules with the shapes that matter: upper case, /vN, gopkg.in, +incompatible, a pseudo-version. */
const REAL_MODULES = [
  'golang.org/x/mod@v0.22.0',
  'golang.org/x/text@v0.21.0',
  'golang.org/x/sync@v0.10.0',
  'golang.org/x/sys@v0.28.0',
  'github.com/google/go-cmp@v0.6.0',
  'github.com/google/uuid@v1.6.0',
  'github.com/stretchr/testify@v1.9.0',
  'github.com/davecgh/go-spew@v1.1.1',
  'github.com/pmezard/go-difflib@v1.0.0',
  'gopkg.in/yaml.v3@v3.0.1',
  'gopkg.in/check.v1@v1.0.0-20201130134442-10cb98267c6c',
  'github.com/BurntSushi/toml@v1.4.0',
  'github.com/Masterminds/semver/v3@v3.3.1',
  'github.com/pkg/errors@v0.9.1',
  'github.com/sirupsen/logrus@v1.9.3',
  'github.com/spf13/cobra@v1.8.1',
  'github.com/spf13/pflag@v1.0.5',
  'github.com/kr/pretty@v0.3.1',
  'github.com/kr/text@v0.2.0',
  'github.com/rogpeppe/go-internal@v1.13.1',
  'golang.org/x/mod@v0.21.0',
  'golang.org/x/net@v0.33.0',
  'golang.org/x/crypto@v0.31.0',
  'github.com/gorilla/mux@v1.8.1',
  'github.com/cespare/xxhash/v2@v2.3.0',
  'github.com/beorn7/perks@v1.0.1',
  'github.com/prometheus/client_golang@v1.20.5',
  'github.com/klauspost/compress@v1.17.11',
  'github.com/fsnotify/fsnotify@v1.8.0',
  'github.com/mattn/go-isatty@v0.0.20',
  'github.com/inconshreveable/mousetrap@v1.1.0',
  'github.com/cpuguy83/go-md2man/v2@v2.0.4',
  'github.com/russross/blackfriday/v2@v2.1.0',
  'github.com/stretchr/objx@v0.5.2',
  'gopkg.in/yaml.v2@v2.4.0',
  'github.com/golang/protobuf@v1.5.4',
  'google.golang.org/protobuf@v1.35.2',
  'github.com/go-logr/logr@v1.4.2',
  'github.com/dgrijalva/jwt-go@v3.2.0+incompatible',
];

/** Kept between runs, like any module cache: later runs need no registry at all. */
const realCache = process.env['GOMODPROXY_REAL_MODCACHE'] ?? join(tmpdir(), 'gomodproxy-real-modcache');

async function fillRealCache(): Promise<void> {
  const work = await makeTempDir('gomodproxy-real-fill-');
  try {
    // The machine's own go settings (its configured registry and checksum database).
    const env: NodeJS.ProcessEnv = { ...process.env, GOMODCACHE: realCache, GOFLAGS: '-modcacherw', GOTOOLCHAIN: 'local', GOWORK: 'off' };
    await runGo(['mod', 'download', ...REAL_MODULES], { cwd: work, env, timeoutMs: 300_000 });
  } finally {
    await removeTempDir(work);
  }
}

/** Every module@version that has a zip in a module cache's download folder. */
async function cachedVersions(download: string): Promise<Array<{ path: string; version: string; dir: string; escapedVersion: string }>> {
  const found: Array<{ path: string; version: string; dir: string; escapedVersion: string }> = [];
  for (const entry of await readdir(download, { recursive: true })) {
    if (!entry.endsWith('.zip') || !entry.includes('/@v/')) continue;
    const [escapedPath, file] = entry.split('/@v/') as [string, string];
    const escapedVersion = file.slice(0, -'.zip'.length);
    found.push({ path: unescapePath(escapedPath), version: unescapeVersion(escapedVersion), dir: join(download, escapedPath, '@v'), escapedVersion });
  }
  return found;
}

describe('real modules from a go module cache', () => {
  it('come through the proxy with the hashes the go command recorded', { timeout: 600_000 }, async () => {
    await fillRealCache();
    const download = join(realCache, 'cache', 'download');
    const versions = await cachedVersions(download);
    expect(versions.length).toBeGreaterThanOrEqual(REAL_MODULES.length);

    // A checksum database on 127.0.0.1 holding the sums the go command recorded: the proxy
    // verifies every file against it, and the go command verifies through the proxy's /sumdb/.
    const recorded = await Promise.all(
      versions.map(async (v) => ({
        path: v.path,
        version: v.version,
        zipHash: (await readFile(join(v.dir, `${v.escapedVersion}.ziphash`), 'utf8')).trim(),
        modHash: hashGoMod(await readFile(join(v.dir, `${v.escapedVersion}.mod`))),
      })),
    );
    const db = await startChecksumDatabase();
    await db.add(recorded);
    const proxy = await startTestProxy({ upstream: `file://${download}`, sumdb: db.setting });
    const home = await makeGoHome({ goproxy: proxy.url, gosumdb: db.vkey });
    try {
      const results = await goModDownloadJson(
        versions.map((v) => `${v.path}@${v.version}`),
        { env: home.env },
      );
      const byKey = new Map(results.map((r) => [`${r.Path}@${r.Version}`, r]));
      let bytes = 0;
      versions.forEach((v, i) => {
        const result = byKey.get(`${v.path}@${v.version}`);
        expect(result?.Error, `${v.path}@${v.version}`).toBeUndefined();
        expect(result!.Sum, `${v.path}@${v.version} zip`).toBe(recorded[i]!.zipHash);
        expect(result!.GoModSum, `${v.path}@${v.version} go.mod`).toBe(recorded[i]!.modHash);
      });
      for (const v of versions) bytes += (await stat(join(v.dir, `${v.escapedVersion}.zip`))).size;
      expect(db.requests.filter((p) => p.startsWith('/lookup/'))).toHaveLength(versions.length);
      console.log(`real modules checked through the proxy: ${versions.length} versions, ${(bytes / (1 << 20)).toFixed(1)} MiB of zips, from ${relative(tmpdir(), realCache) || realCache}`);
    } finally {
      await home.dispose();
      await proxy.dispose();
      await db.close();
    }
  });
});
