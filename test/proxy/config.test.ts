// Settings: defaults, YAML file, GOMODPROXY_* environment and flags in that order of precedence,
// and one line naming the setting, the value and what is allowed when something is wrong.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_UPSTREAM, loadConfig, parseDuration, resolveConfig } from '../../proxy/config.ts';
import { makeTempDir, removeTempDir } from '../fixtures/goCommand.ts';
import { repositoryRoot } from '../e2e/harness.ts';

describe('settings', () => {
  it('has defaults a laptop can start with', () => {
    const config = resolveConfig({});
    expect(config).toMatchObject({
      listen: '127.0.0.1:3000',
      storage: { type: 'disk', path: './data' },
      upstream: DEFAULT_UPSTREAM,
      private: [],
      sumdb: 'sum.golang.org',
      upstreamTimeout: 30_000,
      listTtl: 60_000,
    });
  });

  it('reads a YAML file, then the environment, then flags', async () => {
    const dir = await makeTempDir('gomodproxy-config-');
    try {
      const file = join(dir, 'gomodproxy.yaml');
      await writeFile(
        file,
        ['listen: 127.0.0.1:4000', 'storage: { type: disk, path: /srv/modules }', 'private: ["git.corp.example", "*.corp.example"]', 'listTtl: 5m'].join('\n'),
      );
      const config = loadConfig({
        file,
        env: { GOMODPROXY_LISTEN: '127.0.0.1:5000', GOMODPROXY_PRIVATE: 'a.example,b.example/x' },
        flags: { listen: '127.0.0.1:6000' },
      });
      expect(config.listen).toBe('127.0.0.1:6000');
      expect(config.storage).toEqual({ type: 'disk', path: '/srv/modules' });
      expect(config.private).toEqual(['a.example', 'b.example/x']);
      expect(config.listTtl).toBe(300_000);
    } finally {
      await removeTempDir(dir);
    }
  });

  it('takes GOMODPROXY_STORAGE_PATH alone as disk storage', () => {
    expect(loadConfig({ env: { GOMODPROXY_STORAGE_PATH: '/var/lib/gomodproxy' } }).storage).toEqual({ type: 'disk', path: '/var/lib/gomodproxy' });
  });

  it('reads S3 storage from the environment, with a prefix that ends in "/"', () => {
    const config = loadConfig({
      env: {
        GOMODPROXY_STORAGE_TYPE: 's3',
        GOMODPROXY_STORAGE_BUCKET: 'go-modules',
        GOMODPROXY_STORAGE_PREFIX: 'team/proxy',
        GOMODPROXY_STORAGE_ENDPOINT: 'http://127.0.0.1:9000',
        GOMODPROXY_STORAGE_FORCE_PATH_STYLE: 'true',
        GOMODPROXY_STORAGE_STAGING_PATH: '/var/tmp/gomodproxy',
      },
    });
    expect(config.storage).toEqual({
      type: 's3',
      bucket: 'go-modules',
      prefix: 'team/proxy/',
      endpoint: 'http://127.0.0.1:9000',
      region: 'us-east-1',
      forcePathStyle: true,
      stagingPath: '/var/tmp/gomodproxy',
    });
  });

  it('takes S3 credentials as env: and file: references from the settings file', () => {
    const config = resolveConfig({
      storage: { type: 's3', bucket: 'go-modules', credentials: { accessKeyId: 'env:S3_KEY', secretAccessKey: 'file:/run/secrets/s3' } },
    });
    expect(config.storage).toMatchObject({ credentials: { accessKeyId: 'env:S3_KEY', secretAccessKey: 'file:/run/secrets/s3' }, prefix: '', forcePathStyle: false });
  });

  const bad: Array<{ name: string; layer: Record<string, unknown>; message: RegExp }> = [
    { name: 'S3 storage without a bucket', layer: { storage: { type: 's3' } }, message: /^invalid setting storage\.bucket \(GOMODPROXY_STORAGE_BUCKET\) = missing: required for storage type "s3": the name of an existing bucket$/ },
    { name: 'an S3 bucket name with upper case', layer: { storage: { type: 's3', bucket: 'Go_Modules' } }, message: /^invalid setting storage\.bucket .* = "Go_Modules": allowed: an S3 bucket name, 3 to 63 characters/ },
    { name: 'an S3 endpoint without a scheme', layer: { storage: { type: 's3', bucket: 'b-1', endpoint: 'minio:9000' } }, message: /^invalid setting storage\.endpoint \(GOMODPROXY_STORAGE_ENDPOINT\) = "minio:9000": allowed: an http:\/\/ or https:\/\/ URL/ },
    { name: 'an S3 prefix that starts with "/"', layer: { storage: { type: 's3', bucket: 'b-1', prefix: '/x' } }, message: /^invalid setting storage\.prefix .* = "\/x": allowed: a path such as/ },
    { name: 'an S3 prefix with ".."', layer: { storage: { type: 's3', bucket: 'b-1', prefix: 'a/../b' } }, message: /^invalid setting storage\.prefix .* = "a\/\.\.\/b": allowed: .*without "\." or "\.\." elements$/ },
    { name: 'forcePathStyle that is not true or false', layer: { storage: { type: 's3', bucket: 'b-1', forcePathStyle: 'yes' } }, message: /^invalid setting storage\.forcePathStyle \(GOMODPROXY_STORAGE_FORCE_PATH_STYLE\) = "yes"/ },
    {
      name: 'an S3 secret written inline',
      layer: { storage: { type: 's3', bucket: 'b-1', credentials: { accessKeyId: 'AKIA123', secretAccessKey: 'env:S3_SECRET' } } },
      message: /^invalid setting storage\.credentials\.accessKeyId = "AKIA123": allowed: "env:NAME"/,
    },
    { name: 'a disk setting in S3 storage', layer: { storage: { type: 's3', bucket: 'b-1', path: '/data' } }, message: /^unknown setting storage\.path: allowed settings are type, bucket, prefix, endpoint, region, forcePathStyle, credentials, stagingPath$/ },
    { name: 'a listen address without a port', layer: { listen: 'localhost' }, message: /^invalid setting listen \(GOMODPROXY_LISTEN\) = "localhost": allowed: host:port/ },
    { name: 'a port out of range', layer: { listen: '127.0.0.1:70000' }, message: /listen .* = "127\.0\.0\.1:70000"/ },
    { name: 'an ftp upstream', layer: { upstream: 'ftp://mirror.example' }, message: /^invalid setting upstream \(GOMODPROXY_UPSTREAM\) = "ftp:\/\/mirror\.example": .*scheme "ftp"; allowed: http:\/\/, https:\/\/ or file:\/\// },
    { name: 'an empty upstream', layer: { upstream: '' }, message: /upstream .* = "": .*empty/i },
    { name: 'a malformed private glob', layer: { private: ['git.corp.example/[x'] }, message: /^invalid setting private .* = \["git\.corp\.example\/\[x"\]: malformed .*; allowed: GOPRIVATE syntax/ },
    { name: 'a duration without a unit', layer: { listTtl: '5 minutes' }, message: /^invalid setting listTtl \(GOMODPROXY_LIST_TTL\) = "5 minutes": allowed: a duration such as 30s/ },
    { name: 'an unknown storage type', layer: { storage: { type: 'tape' } }, message: /^invalid setting storage\.type .* = "tape": allowed: storage types "disk"/ },
    { name: 'an unknown setting', layer: { upstrem: 'https://x' }, message: /^unknown setting upstrem: allowed settings are listen, storage, upstream/ },
    {
      name: 'a git token written inline',
      layer: { git: { hosts: { 'git.corp.example': { url: 'https://git.corp.example', token: 'glpat-123' } } } },
      message: /^invalid setting git\.hosts\.git\.corp\.example\.token = "glpat-123": allowed: "env:NAME"/,
    },
    {
      name: 'a git URL with credentials in it',
      layer: { git: { hosts: { 'git.corp.example': { url: 'https://user:pw@git.corp.example' } } } },
      message: /^invalid setting git\.hosts\.git\.corp\.example\.url = .*without credentials/,
    },
    { name: 'a checksum database without a key', layer: { sumdb: 'sumdb.corp.example' }, message: /^invalid setting sumdb \(GOMODPROXY_SUMDB\) = "sumdb\.corp\.example": unknown checksum database .*verifier key/ },
    { name: 'a checksum database key with a bad hash', layer: { sumdb: 'sum.golang.org+00000000+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8' }, message: /^invalid setting sumdb .*key hash 00000000 does not match/ },
    { name: 'a checksum database with three fields', layer: { sumdb: 'sum.golang.org https://a https://b' }, message: /^invalid setting sumdb .*too many fields/ },
    { name: 'an unknown unreachable policy', layer: { sumdbUnreachable: 'ignore' }, message: /^invalid setting sumdbUnreachable \(GOMODPROXY_SUMDB_UNREACHABLE\) = "ignore": allowed: refuse or serve-unverified/ },
    { name: 'an unknown log level', layer: { logLevel: 'loud' }, message: /^invalid setting logLevel .* = "loud": allowed: .*info/ },
    { name: 'a VCS direct cannot use', layer: { direct: { vcs: '*:hg' } }, message: /^invalid setting direct\.vcs \(GOMODPROXY_DIRECT_VCS\) = "\*:hg": "hg": the proxy fetches with git only/ },
    { name: 'a malformed GOVCS rule', layer: { direct: { vcs: 'github.com' } }, message: /^invalid setting direct\.vcs .*missing colon.*allowed: GOVCS syntax/ },
    { name: 'a malformed address range', layer: { direct: { allowInternal: ['10.0.0.0/33'] } }, message: /^invalid setting direct\.allowInternal .*"10\.0\.0\.0\/33" is neither a host name/ },
    {
      name: 'a discovery origin with a path',
      layer: { git: { hosts: { 'git.corp.example': { url: 'https://git.corp.example', discoverOrigins: ['https://git2.corp.example/group'] } } } },
      message: /^invalid setting git\.hosts\.git\.corp\.example\.discoverOrigins\.0 = "https:\/\/git2\.corp\.example\/group": allowed: origins/,
    },
    {
      name: 'a bad upstream list, without repeating a password in it',
      layer: { upstream: 'https://ci:hunter2@mirror.corp.example,ftp://x' },
      message: /^(?!.*hunter2).*upstream .* = "https:\/\/ci:xxxxx@mirror\.corp\.example,ftp:\/\/x"/,
    },
  ];

  it.each(bad)('refuses $name with one line that names it', ({ layer, message }) => {
    let error: unknown;
    try {
      resolveConfig(layer);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('\n');
  });

  it('takes the direct settings from the environment, and keeps the safe default without them', () => {
    expect(resolveConfig({}).direct).toEqual({ vcs: '*:git', allowInternal: [] });
    const config = loadConfig({ env: { GOMODPROXY_DIRECT_VCS: 'github.com:git,*:off', GOMODPROXY_DIRECT_ALLOW_INTERNAL: '10.0.0.0/8, git.lab.example' } });
    expect(config.direct).toEqual({ vcs: 'github.com:git,*:off', allowInternal: ['10.0.0.0/8', 'git.lab.example'] });
  });

  it('parses durations', () => {
    expect([parseDuration('500ms'), parseDuration('30s'), parseDuration('5m'), parseDuration('12h'), parseDuration('180d')]).toEqual([
      500, 30_000, 300_000, 43_200_000, 15_552_000_000,
    ]);
    expect(parseDuration('soon')).toBeNaN();
  });
});

describe('the command line', () => {
  const cli = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [join(repositoryRoot, 'bin', 'gomodproxy.js'), ...args], {
      env: { PATH: process.env['PATH'] ?? '', ...env },
      encoding: 'utf8',
      timeout: 20_000,
    });

  it('documents every flag of serve', () => {
    const help = cli(['serve', '--help']);
    expect(help.status).toBe(0);
    for (const flag of ['--config', '--listen', '--storage-path', '--upstream', '--private', '--sumdb', '--nosumdb', '--list-ttl', '--upstream-timeout', '--log-level']) {
      expect(help.stdout).toContain(flag);
    }
  });

  it('stops at start-up on a bad setting with one line and exit code 2', () => {
    const run = cli(['serve'], { GOMODPROXY_UPSTREAM: 'ftp://mirror.example' });
    expect(run.status).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/^gomodproxy: invalid setting upstream \(GOMODPROXY_UPSTREAM\) = "ftp:\/\/mirror\.example"/);
  });

  it('names an S3 secret that is not there, before anything is contacted', async () => {
    const dir = await makeTempDir('gomodproxy-config-');
    try {
      const file = join(dir, 'gomodproxy.yaml');
      await writeFile(file, ['storage:', '  type: s3', '  bucket: go-modules', '  endpoint: http://127.0.0.1:9', '  credentials: { accessKeyId: env:NO_SUCH_VARIABLE, secretAccessKey: env:NO_SUCH_VARIABLE }', ''].join('\n'));
      const run = cli(['serve', '--config', file]);
      expect(run.status).toBe(1);
      expect(run.stderr).toBe('gomodproxy: storage.credentials.accessKeyId: the environment variable NO_SUCH_VARIABLE is not set\n');
    } finally {
      await removeTempDir(dir);
    }
  });

  it('refuses a variable named for a group of settings, which would set nothing', () => {
    // The rest keeps a proxy that wrongly started on this machine alone: nothing but 127.0.0.1.
    const run = cli(['serve'], { GOMODPROXY_VULNDB: 'off', GOMODPROXY_VULNDB_URL: 'off', GOMODPROXY_UPSTREAM: 'off', GOMODPROXY_SUMDB: 'off', GOMODPROXY_LISTEN: '127.0.0.1:0' });
    expect(run.status).toBe(2);
    expect(run.stderr).toBe(
      'gomodproxy: GOMODPROXY_VULNDB is not a setting: the vulndb settings are GOMODPROXY_VULNDB_URL, GOMODPROXY_VULNDB_REFRESH; GOMODPROXY_VULNDB_URL=off turns it off\n',
    );
    expect(() => loadConfig({ env: { GOMODPROXY_STORAGE: 's3' } })).toThrow(
      /^GOMODPROXY_STORAGE is not a setting: the storage settings are GOMODPROXY_STORAGE_TYPE, GOMODPROXY_STORAGE_PATH, .*GOMODPROXY_STORAGE_STAGING_PATH$/,
    );
    // Names that no setting begins with stay free for secret references (env:NAME).
    expect(loadConfig({ env: { GOMODPROXY_GIT_TOKEN_0: 'secret', GOMODPROXY_UPSTREAM: 'off' } }).upstream).toBe('off');
  });

  it('names a missing settings file', () => {
    const run = cli(['serve', '--config', '/nonexistent/gomodproxy.yaml']);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/cannot read settings file \/nonexistent\/gomodproxy\.yaml: ENOENT/);
  });
});
