/**
 * The proxy's settings: one zod schema, filled from (lowest to highest
 * precedence) built-in defaults, a YAML file, GOMODPROXY_* environment
 * variables and command-line flags. The words are the ones Go users already
 * know: upstream is GOPROXY syntax, private is GOPRIVATE syntax, nosumdb is
 * GONOSUMDB syntax, sumdb is GOSUMDB syntax.
 *
 * A bad setting stops start-up with one line naming the setting, the value
 * and what is allowed (ConfigError).
 *
 * This is the one module of proxy/ that the operator imports (test/imports.test.ts holds the
 * line), so that the ConfigMap it renders is checked by the schema the proxy loads.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { isIP } from 'node:net';
import path from 'node:path';
import yaml from 'js-yaml';
import { z } from 'zod';
import { checkPatterns, parseGovcs, parseProxyList, parseVersionRange } from './protocol/index.ts';
import { parseAllowInternal } from './sources/git/index.ts';
import { parseSumdbSetting } from './sumdb/index.ts';

/** The embedded default upstream: the public Go module mirror, then git. */
export const DEFAULT_UPSTREAM = 'https://proxy.golang.org,direct';

/** The Go vulnerability database the proxy mirrors by default (golang.org/x/vuln's default). */
export const DEFAULT_VULNDB_URL = 'https://vuln.go.dev';

/** pino's levels, quietest last. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const DURATION_UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** Parses "500ms", "30s", "5m", "12h", "180d" into milliseconds; NaN when malformed. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (!match) return Number.NaN;
  return Number(match[1]) * (DURATION_UNITS[match[2]!] ?? Number.NaN);
}

/** Milliseconds in the largest unit that holds them whole: 60000 is "1m"; parseDuration reads it back. */
export function formatDuration(ms: number): string {
  const [unit, size] = Object.entries(DURATION_UNITS).sort(([, a], [, b]) => b - a).find(([, size]) => ms % size === 0) ?? ['ms', 1];
  return `${ms / size}${unit}`;
}

const duration = (what: string) =>
  z
    .union([z.string(), z.number()])
    .transform((value, ctx) => {
      const ms = typeof value === 'number' ? value * 1000 : parseDuration(value);
      if (!Number.isFinite(ms) || ms < 0) {
        ctx.addIssue({ code: 'custom', message: `allowed: a duration such as 30s, 5m, 12h or 180d (${what})` });
        return z.NEVER;
      }
      return ms;
    });

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12 };

/** Parses "500MiB", "10GiB", "64MB", "4096" into bytes; NaN when malformed. */
export function parseByteSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([kmgt]i?b|b)?$/i.exec(text.trim());
  if (!match) return Number.NaN;
  return Math.floor(Number(match[1]) * (SIZE_UNITS[(match[2] ?? '').toLowerCase()] ?? Number.NaN));
}

const byteSize = (what: string, max = Number.POSITIVE_INFINITY) =>
  z.union([z.string(), z.number()]).transform((value, ctx) => {
    const bytes = typeof value === 'number' ? value : parseByteSize(value);
    if (!Number.isFinite(bytes) || bytes < 1 || bytes > max) {
      ctx.addIssue({ code: 'custom', message: `allowed: a size such as 512MiB, 10GiB or 64MB${Number.isFinite(max) ? `, at most ${max >> 20} MiB` : ''} (${what})` });
      return z.NEVER;
    }
    return bytes;
  });

/** The module zip limit (golang.org/x/mod/zip MaxZipFile), also the most a git export may unpack to. */
const MODULE_ZIP_LIMIT = 500 << 20;

/** A whole number of at least `min` (environment variables give text, so it is coerced). */
const wholeNumber = (min: number) => {
  const error = `allowed: a whole number, ${min} or more`;
  return z.coerce.number({ error }).int({ error }).min(min, { error });
};

const listen = z.string().refine((value) => parseListen(value) !== null, {
  message: 'allowed: host:port, e.g. 127.0.0.1:3000, [::]:3000 or :3000',
});

/** A list as YAML gives it, or as one comma-separated string (an environment variable). */
const commaList = () =>
  z.union([z.array(z.string()), z.string()]).transform((value) => (Array.isArray(value) ? value : value.split(',')).map((p) => p.trim()).filter(Boolean));

/** GOPRIVATE-style pattern lists: a YAML list or one comma-separated string. */
const patternList = (what: string) =>
  commaList()
    .superRefine((patterns, ctx) => {
      try {
        checkPatterns(patterns);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `${(err as Error).message}; allowed: ${what}` });
      }
    });

const upstream = z.string().superRefine((value, ctx) => {
  try {
    parseProxyList(value);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});

const sumdb = z.string().superRefine((value, ctx) => {
  try {
    parseSumdbSetting(value);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `${(err as Error).message}; allowed: GOSUMDB syntax, e.g. sum.golang.org, "name+hash+key https://mirror", or off` });
  }
});

const diskStorage = z.object({
  type: z.literal('disk'),
  path: z.string().min(1).default('./data').describe("`disk`: the store's folder, laid out as the Go module cache's download folder (usable as `GOPROXY=file://`)."),
});

/** A secret given as "env:NAME" or "file:/path", never inline, so settings files can be shared. */
const secret = z.string().refine((value) => /^(env:[A-Za-z_][A-Za-z0-9_]*|file:\/.+)$/.test(value), {
  message: 'allowed: "env:NAME" (an environment variable) or "file:/path" (a file holding the secret)',
});

/** "true"/"false" as environment variables give them, or a YAML boolean. */
const flag = z.union([z.boolean(), z.enum(['true', 'false'], { error: 'allowed: true or false' })]).transform((value) => value === true || value === 'true');

const s3Storage = z
  .object({
    type: z.literal('s3'),
    bucket: z
      .string({ error: 'required for storage type "s3": the name of an existing bucket' })
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { message: 'allowed: an S3 bucket name, 3 to 63 characters of a-z, 0-9, "." and "-"' })
      .describe('`s3`: the bucket, which must exist (the proxy does not create it).'),
    prefix: z
      .string()
      .refine((value) => /^([a-z0-9._-]+(\/[a-z0-9._-]+)*\/?)?$/.test(value) && !value.split('/').some((element) => element === '.' || element === '..'), {
        message: 'allowed: a path such as "gomodproxy" or "team/gomodproxy/", of a-z, 0-9, ".", "_" and "-", without "." or ".." elements',
      })
      .transform((value) => (value === '' || value.endsWith('/') ? value : `${value}/`))
      .default('')
      .describe('`s3`: keys are kept under this path in the bucket (a `/` is added), so several proxies or uses can share it.')
      .meta({ shownDefault: 'none' }),
    endpoint: z
      .string()
      .refine((value) => /^https?:\/\/[^\s/@]+(\/.*)?$/.test(value), { message: 'allowed: an http:// or https:// URL without credentials, e.g. https://minio.corp.example:9000' })
      .optional()
      .describe('`s3`: the URL of an S3-compatible server (MinIO, Ceph, R2…), e.g. `https://minio.corp.example:9000`.')
      .meta({ shownDefault: 'AWS S3' }),
    region: z.string().min(1).default('us-east-1').describe('`s3`: the region (signed into every request).'),
    forcePathStyle: flag
      .default(false)
      .describe('`s3`: the bucket in the URL path instead of the host name; `true` for MinIO and most S3-compatible servers.'),
    credentials: z
      .object({
        accessKeyId: secret.describe('`s3`: the access key, as `env:NAME` or `file:/path`.'),
        secretAccessKey: secret.describe('`s3`: the secret key, as `env:NAME` or `file:/path`.'),
        sessionToken: secret.optional().describe('`s3`: a session token, as `env:NAME` or `file:/path`.'),
      })
      .strict()
      .optional()
      .describe(
        '`s3`: access keys. Without them, the AWS SDK finds credentials itself: `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`, a profile, web identity (EKS), an instance role.',
      )
      .meta({ shownDefault: "the AWS SDK's chain" }),
    stagingPath: z
      .string()
      .min(1)
      .default(path.join(os.tmpdir(), 'gomodproxy-staging'))
      .describe('`s3`: the local folder where downloads are checked before they are uploaded.')
      .meta({ shownDefault: '`$TMPDIR/gomodproxy-staging`' }),
  })
  .strict();

/** Storage without a type is disk storage, so GOMODPROXY_STORAGE_PATH alone is enough. */
const storage = z.preprocess(
  (value) => (typeof value === 'object' && value !== null && !('type' in value) ? { type: 'disk', ...value } : value),
  z.discriminatedUnion('type', [diskStorage, s3Storage], { error: 'allowed: storage types "disk" and "s3"' }),
);

const gitHost = z
  .object({
    url: z
      .string()
      .refine((value) => /^(https?:\/\/[^\s@]+|ssh:\/\/([A-Za-z0-9._-]+@)?[^\s@]+)$/.test(value), {
        message: 'allowed: an https://, ssh:// or http:// base URL without credentials (ssh may name a user), e.g. https://git.corp.example',
      })
      .describe('The base URL of the host\'s repositories: `https://…`, `ssh://…`, or `http://…` for a server on a trusted network. A module `host/owner/repo[/sub]` is fetched from `<url>/owner/repo`.'),
    username: z.string().min(1).optional().describe('The user name sent with the token over http(s).').meta({ shownDefault: '`git`' }),
    token: secret.optional().describe('A token or password for http(s), as `env:NAME` or `file:/path`, sent as Basic authentication.'),
    sshKeyFile: z.string().min(1).optional().describe('A private key file for `ssh://` URLs.'),
    knownHostsFile: z.string().min(1).optional().describe('A known_hosts file for `ssh://` URLs (host keys are always checked).'),
    caFile: z.string().min(1).optional().describe("CA certificates (PEM) to trust for the host's https, e.g. an internal GitLab's. TLS checks are never switched off."),
    discover: z.boolean().optional().describe("Find repositories by `?go-get=1` pages at the host's `url` (for hosts with nested groups, e.g. GitLab).").meta({ shownDefault: '`false`' }),
    discoverOrigins: z
      .array(
        z.string().refine((value) => /^(https?|ssh):\/\/[^\s/@]+\/?$/.test(value), {
          message: 'allowed: origins such as https://git2.corp.example or https://git.corp.example:8443 (scheme, host, port; no path, no credentials)',
        }),
      )
      .optional()
      .describe(
        "Other origins (`https://host[:port]`) that the host's `?go-get=1` pages may name for its repositories; these are fetched without the host's credentials. A page that names any other origin is refused.",
      )
      .meta({ shownDefault: 'none' }),
  })
  .strict();

const git = z
  .object({
    hosts: z
      .record(z.string(), gitHost)
      .default({})
      .describe('Git hosts of private modules, by host name. github.com, gitlab.com and bitbucket.org need no entry; a path element ending in `.git` marks the repository on any host.')
      .meta({ shownDefault: 'none' }),
    cacheDir: z
      .string()
      .min(1)
      .default(path.join(os.tmpdir(), 'gomodproxy-git'))
      .describe('Where the bare mirrors of the repositories modules are built from are kept.')
      .meta({ shownDefault: '`$TMPDIR/gomodproxy-git`' }),
    timeout: duration('git.timeout').default(120_000).describe('How long one git command may run.').meta({ shownDefault: '`2m`' }),
    maxProcesses: wholeNumber(1)
      .default(4)
      .describe('How many git processes may run at once; more requests wait in line.'),
    cacheSize: byteSize('git.cacheSize')
      .default(10 * 1024 ** 3)
      .describe('How much the mirrors in `cacheDir` may take; beyond it the least recently used mirrors not in use are removed (and cloned again when asked for).')
      .meta({ shownDefault: '`10GiB`' }),
    exportLimit: byteSize('git.exportLimit', MODULE_ZIP_LIMIT)
      .default(MODULE_ZIP_LIMIT)
      .describe('The most the files of one module version exported from git may add up to; the export stops as soon as it passes. At most the module zip limit, 500 MiB.')
      .meta({ shownDefault: '`500MiB`' }),
  })
  .strict();

const direct = z
  .object({
    vcs: z
      .string()
      .superRefine((value, ctx) => {
        try {
          const rules = parseGovcs(value);
          const other = rules.flatMap((r) => r.vcs).find((v) => !['git', 'all', 'off'].includes(v));
          if (other) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(other)}: the proxy fetches with git only; allowed: git, all or off per pattern` });
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: `${(err as Error).message}; allowed: GOVCS syntax, e.g. "*:git" or "github.com:git,*:off"` });
        }
      })
      .default('*:git')
      .describe(
        'Which public module paths `direct` may fetch with git, in GOVCS syntax (`pattern:git`, `pattern:off`, first match decides; a path no rule matches may use git). `*:off` turns `direct` off.',
      )
      .meta({ shownDefault: '`*:git`' }),
    allowInternal: commaList()
      .superRefine((entries, ctx) => {
        try {
          parseAllowInternal(entries);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message });
        }
      })
      .default([])
      .describe(
        '`direct` connects only to hosts whose every address is public, and never to a host given as an IP address. These host names (globs such as `*.lab.example`), addresses and CIDR ranges (`10.0.0.0/8`) are allowed although they are not public.',
      )
      .meta({ shownDefault: 'none' }),
  })
  .strict();

const retention = z
  .object({
    keepSince: duration('retention.keepSince')
      .default(180 * 86_400_000)
      .describe('`cleanup` keeps every version downloaded within this time.')
      .meta({ shownDefault: '`180d`' }),
    keepLatest: wholeNumber(0)
      .default(3)
      .describe('`cleanup` keeps the newest this many releases of every module.'),
    pins: z
      .array(z.string().min(1))
      .default([])
      .describe('Versions `cleanup` never removes: `module@version`, or a module path pattern (GOPRIVATE syntax) for all its versions.')
      .meta({ shownDefault: 'none' }),
    recordEvery: duration('retention.recordEvery')
      .default(60_000)
      .describe('How often a serving proxy writes the download times it gathered to storage (and at shutdown), for `cleanup`.')
      .meta({ shownDefault: '`1m`' }),
  })
  .strict();

/** HTTPS on the listener; the go command sends credentials (.netrc, GOAUTH) only over https. */
const tls = z
  .object({
    certFile: z.string().min(1).describe('The server certificate chain (PEM), re-read when the file changes (e.g. rotated by cert-manager).'),
    keyFile: z.string().min(1).describe('The private key (PEM) of `tls.certFile`, re-read with it.'),
  })
  .strict()
  .optional()
  .describe('Serve https (HTTP/2 and HTTP/1.1) instead of http. Needed for authentication unless a TLS-terminating Ingress is in front.')
  .meta({ shownDefault: 'none (http)' });

/** A name in an allow list: a user, a token name, a group, or one of the two words below. */
const principal = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@:-]*$/, { message: 'allowed: a user, token or group name (letters, digits, ".", "_", "@", ":", "-"), "authenticated" or "anonymous"' });

/** Who may sign in: htpasswd users and named tokens, and the groups they belong to. */
const auth = z
  .object({
    htpasswd: z
      .string()
      .min(1)
      .optional()
      .describe('An Apache htpasswd file with bcrypt hashes (`htpasswd -B`), re-read when it changes. Users sign in with Basic authentication.')
      .meta({ shownDefault: 'none' }),
    tokens: z
      .array(
        z
          .object({
            name: principal.describe('The identity the token signs in as.'),
            sha256: secret.describe('The token\'s SHA-256 (hex), as `env:NAME` or `file:/path`; the token itself is never stored. Clients send the token as the Basic password with any user name.'),
          })
          .strict(),
      )
      .default([])
      .describe('Named tokens `{ name, sha256 }`, e.g. for CI: `name` is the identity, `sha256` the token\'s SHA-256 in hex as `env:NAME` or `file:/path` (the token itself is never stored); clients send the token as the Basic password, with any user name. Make one with `openssl rand -hex 32`, store `printf %s "$TOKEN" | sha256sum`.')
      .meta({ shownDefault: 'none' }),
    groups: z
      .record(principal, z.array(principal).describe('The members of the group: users or token names.'))
      .default({})
      .describe('Groups for `access` rules: a name and its members, e.g. `team-a: [alice, bob, ci]`.')
      .meta({ shownDefault: 'none', keyName: '<group>' }),
    realm: z.string().regex(/^[\x20-\x7e]+$/).refine((value) => !value.includes('"'), { message: 'allowed: printable ASCII without "' }).default('gomodproxy').describe('The realm named in `WWW-Authenticate: Basic realm="…"`.'),
    metrics: z
      .array(principal)
      .optional()
      .describe('Who may read `/metrics` (users, groups, `authenticated`); `/healthz` and `/readyz` are always open.')
      .meta({ shownDefault: 'as `access.default`' }),
    admin: z
      .array(principal)
      .default([])
      .describe('Who may see the admin views of the web page and its API (`/api/health`, `/api/settings`, top users and denied requests in `/api/usage`, the cleanup dry run): users, groups, `authenticated`. Without `auth` everyone may.')
      .meta({ shownDefault: 'nobody' }),
    maxFailedLogins: wholeNumber(1)
      .default(10)
      .describe('Failed sign-ins a client address (an IPv6 /64) may make per minute, per replica; more are answered 429 without checking them.'),
  })
  .strict()
  .optional()
  .describe('Authentication of clients (Basic, from the go command\'s `.netrc`, `GOAUTH` or the GOPROXY URL; needs https).')
  .meta({ shownDefault: 'none: every client is anonymous' });

const accessRule = z
  .object({
    modules: patternList('GOPRIVATE syntax (path globs)').describe('GOPRIVATE-style patterns of module paths this rule is about.'),
    allow: z.array(principal).describe('Who may read them: users, token names, groups, `authenticated`, `anonymous`; `[]` for nobody.'),
  })
  .strict();

/** Rules as a list, or { rules, default }. */
const access = z.preprocess(
  (value) => (Array.isArray(value) ? { rules: value } : value),
  z
    .object({
      rules: z.array(accessRule).default([]).describe('Ordered rules `{ modules, allow }`; the first whose patterns match a module path decides.').meta({ shownDefault: 'none' }),
      default: z
        .array(principal)
        .optional()
        .describe('Who may read a module no rule matches, and the checksum database\'s tiles and tree head.')
        .meta({ shownDefault: '`[authenticated]` with `auth`, else `[anonymous]`' }),
    })
    .strict(),
)
  .optional()
  .describe('Who may read which modules: the module files, `list`, `@latest` and checksum database lookups alike (403 for all when denied).')
  .meta({ shownDefault: 'none' });
const versionRange = z.string().superRefine((value, ctx) => {
  try {
    parseVersionRange(value);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `${(err as Error).message}; allowed: e.g. "<v1.2.3", ">=v1.0.0 <v1.4.2", "v1.2.3", "<v1.0.5 || >=v2.0.0"` });
  }
});

const denyRule = z
  .object({
    module: z
      .string({ error: 'required: a GOPRIVATE-style pattern of the module paths the rule denies' })
      .min(1)
      .superRefine((value, ctx) => {
        try {
          checkPatterns([value]);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: `${(err as Error).message}; allowed: a GOPRIVATE-style pattern such as github.com/acme/old or github.com/acme/*` });
        }
      }),
    versions: z.union([versionRange, z.array(versionRange).min(1, { error: 'allowed: at least one version or range (leave versions out to deny every version)' })]).optional(),
    reason: z.string({ error: 'required: the reason shown to the go command and in the audit trail' }).min(1).max(500),
  })
  .strict();

/** An advisory as the vulnerability database names it: its Go ID, or an alias (CVE, GHSA). */
const advisoryId = z.string().regex(/^(GO-\d{4}-\d{4,}|CVE-\d{4}-\d{4,}|GHSA(-[23456789cfghjmpqrvwx]{4}){3})$/i, {
  message: 'allowed: a Go vulnerability ID (GO-2024-1234), a CVE (CVE-2024-12345) or a GHSA ID (GHSA-xxxx-xxxx-xxxx)',
});

const VULNERABLE_ACTIONS = ['allow', 'warn', 'deny'] as const;

/** `allow | warn | deny`, or `{ action, ids }`; always read as the object. */
const vulnerable = z.preprocess(
  // An unknown word stays a string, so the error names the whole setting and its value.
  (value) => (typeof value === 'string' && (VULNERABLE_ACTIONS as readonly string[]).includes(value) ? { action: value } : value),
  z
    .object(
      {
        action: z.enum(VULNERABLE_ACTIONS, { error: 'allowed: allow, warn or deny' }).describe('`allow`, `warn` or `deny` (the word alone is the same as `{ action }`).'),
        ids: z
          .array(advisoryId)
          .min(1, { error: 'allowed: at least one ID (leave ids out to act on every advisory)' })
          .optional()
          .describe('The advisories the action applies to, by Go ID or alias (`GO-2024-1234`, `CVE-2024-12345`, `GHSA-…`); the others are recorded as with `warn`.')
          .meta({ shownDefault: 'every advisory' }),
      },
      { error: 'allowed: allow, warn, deny, or { action: deny|warn, ids: [GO-…, CVE-…] }' },
    )
    .strict()
    .refine((setting) => setting.ids === undefined || setting.action !== 'allow', { message: 'ids go with action deny or warn (allow looks at no advisory)' }),
);

const policy = z
  .object({
    deny: z
      .array(denyRule)
      .default([])
      .describe(
        'Module versions never served: `{ module: <GOPRIVATE-style pattern>, versions: <range or list>, reason: <text> }`. A denied version answers 403 with the reason, is left out of `list` and `@latest`, even when stored. Without `versions`, every version. Ranges: `<v1.2.3`, `>=v1.0.0 <v1.4.2`, `v1.2.3`, alternatives joined by `||`.',
      )
      .meta({ shownDefault: 'none' }),
    allow: patternList('GOPRIVATE syntax (comma-separated path globs)')
      .refine((patterns) => patterns.length > 0, { message: 'allowed: at least one pattern (leave allow out to fetch every module)' })
      .optional()
      .describe('Allow-list mode: only modules matching these GOPRIVATE-style patterns are fetched (from upstreams or git); others answer 403. Stored versions are still served.')
      .meta({ shownDefault: 'every module' }),
    vulnerable: vulnerable
      .default({ action: 'warn' })
      .describe(
        'Versions an advisory of the vulnerability database (`vulndb`) affects: `allow` (served, not looked up), `warn` (served; the audit line and the request\'s log line name the advisories, and a metric counts it), `deny` (403 naming the advisories and fixed versions, left out of `list` and `@latest`, so `go get m@latest` picks a fixed version). `{ action: deny, ids: [GO-…, CVE-…] }` denies those advisories only (by ID or alias) and warns of the rest. Before the first database snapshot exists versions are served and recorded as unchecked.',
      )
      .meta({ shownDefault: '`warn`' }),
  })
  .strict();

/** An IPv4 or IPv6 address, or a CIDR block such as 10.0.0.0/8 or fd00::/8. */
const cidr = z.string().refine(
  (value) => {
    const [address = '', bits, ...rest] = value.split('/');
    const family = isIP(address);
    if (family === 0 || rest.length > 0) return false;
    if (bits === undefined) return true;
    return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
  },
  { message: 'allowed: an IP address or a CIDR block, e.g. 10.0.0.0/8, 127.0.0.1 or fd00::/8' },
);

const audit = z
  .object({
    log: flag.default(true).describe('One `audit` JSON line per served `.info`/`.mod`/`.zip` and per denied (403) or unauthorized (401) request on the log stream.'),
    storage: flag
      .default(false)
      .describe('Also keep the audit lines in the store as day files under `gomodproxy/audit/<day>/` (replicas sharing a bucket share one trail); `gomodproxy audit` reads them.'),
    file: z.string().min(1).optional().describe('Also append the audit lines to this local file; `gomodproxy audit --file` reads it.').meta({ shownDefault: 'none' }),
    flushEvery: duration('audit.flushEvery')
      .default(10_000)
      .describe('How often gathered audit lines are written to the store and the file (and at shutdown).')
      .meta({ shownDefault: '`10s`' }),
  })
  .strict();

/**
 * The vulnerability database mirror: `vulndb: off`, or `{ url, refresh }` (`url: off` is the same as
 * `vulndb: off`, so one environment variable can turn it off). The output is "off" or the settings.
 */
const vulndb = z.preprocess(
  (value) => (value === 'off' || value === false ? { url: 'off' } : value),
  z
    .object({
      url: z
        .string()
        .refine((value) => value === 'off' || /^https?:\/\/[^\s@/]+(\/[^\s@]*)?$/.test(value), {
          message: 'allowed: an http:// or https:// URL without credentials of a Go vulnerability database (e.g. https://vuln.go.dev), or off',
        })
        .transform((value) => value.replace(/\/+$/, ''))
        .default(DEFAULT_VULNDB_URL)
        .describe(
          'The Go vulnerability database to mirror (its `index/db.json`, `index/modules.json`, `ID/<id>.json`), served under `/vulndb/` for `govulncheck -db`; `off` (or `vulndb: off`) turns the mirror off.',
        ),
      refresh: duration('vulndb.refresh')
        .refine((ms) => ms >= 1000, { message: 'allowed: a duration of at least 1s, e.g. 15m or 1h' })
        .default(3_600_000)
        .describe("How often the database's `index/db.json` is checked; entries are fetched only when its `modified` changed.")
        .meta({ shownDefault: '`1h`' }),
    })
    .strict()
    .transform((settings) => (settings.url === 'off' ? ('off' as const) : settings)),
);

export const configSchema = z
  .object({
    listen: listen.default('127.0.0.1:3000').describe('The address to serve on (`host:port`, `[::]:port`, `:port`).'),
    storage: storage.default({ type: 'disk', path: './data' }).describe('Where modules are kept: `disk` or `s3`.'),
    upstream: upstream
      .default(DEFAULT_UPSTREAM)
      .describe(
        'Upstream proxies in GOPROXY syntax: after `,` the next entry is tried on 404 or 410, after `|` on any error; `direct` fetches public modules from git (see `direct.*`); `off`. A proxy behind a login: `https://user:password@host/path`, the password also as `env:NAME` or `file:/path` (written `file:%2Fpath`); sent as Basic authentication to that origin only, never logged.',
      ),
    private: patternList('GOPRIVATE syntax (comma-separated path globs)')
      .default([])
      .describe('GOPRIVATE patterns: fetched from git, never asked of an upstream proxy nor looked up in the checksum database.')
      .meta({ shownDefault: 'none' }),
    nosumdb: patternList('GONOSUMDB syntax (comma-separated path globs)')
      .default([])
      .describe('GONOSUMDB patterns: never looked up in the checksum database (`private` paths never are).')
      .meta({ shownDefault: 'none' }),
    git: git.default({ hosts: {}, cacheDir: path.join(os.tmpdir(), 'gomodproxy-git'), timeout: 120_000, maxProcesses: 4, cacheSize: 10 * 1024 ** 3, exportLimit: MODULE_ZIP_LIMIT }),
    direct: direct.default({ vcs: '*:git', allowInternal: [] }),
    retention: retention.default({ keepSince: 180 * 86_400_000, keepLatest: 3, pins: [], recordEvery: 60_000 }),
    sumdb: sumdb
      .default('sum.golang.org')
      .describe('The checksum database, GOSUMDB syntax: `sum.golang.org`, `name+hash+key`, either followed by the URL of a mirror (`sum.golang.org https://mirror.corp.example/sumdb/sum.golang.org`), or `off`.'),
    sumdbUnreachable: z
      .enum(['refuse', 'serve-unverified'], { error: 'allowed: refuse or serve-unverified' })
      .default('refuse')
      .describe('When the checksum database cannot be reached: `refuse` new modules, or `serve-unverified` (stored, logged and counted as unverified).'),
    upstreamTimeout: duration('upstreamTimeout')
      .default(30_000)
      .describe('How long an upstream (or the checksum database) may take to answer, and to send the next chunk.')
      .meta({ shownDefault: '`30s`' }),
    listTtl: duration('listTtl')
      .default(60_000)
      .describe('How long `list`, `@latest` and checksum database `latest` and lookup answers are reused.')
      .meta({ shownDefault: '`1m`' }),
    fetchAhead: z
      .enum(['onInfo', 'onMod', 'off'], { error: 'allowed: onInfo, onMod or off' })
      .default('onInfo')
      .describe(
        'What a cold request fetches ahead: `onInfo`, a cold `.info` of a version also fetches its `.mod` and `.zip` in the background (the go command asks them next to download it); `onMod`, a cold `.mod` too (faster for `go mod download`, but `go get`, `go list -m all` and `go mod graph` read the go.mod of many versions whose zips they never need); `off`.',
      ),
    memoryCacheBytes: z.coerce
      .number({ error: 'allowed: a whole number of bytes, 0 or more' })
      .int({ error: 'allowed: a whole number of bytes, 0 or more' })
      .min(0, { error: 'allowed: a whole number of bytes, 0 or more' })
      .default(64 << 20)
      .describe(
        'The most bytes of answers kept in memory, all together: stored `.info`/`.mod` files, zip hashes, upstream `list`/`@latest` answers, checksum database lookups and tiles, discovered git repositories, files and times of git commits. The least recently used are forgotten first (they are still in storage); `0` keeps nothing in memory.',
      )
      .meta({ shownDefault: '`67108864` (64 MiB)' }),
    tls,
    auth,
    access,
    policy: policy.default({ deny: [], vulnerable: { action: 'warn' } }).describe('What the proxy refuses to serve or fetch.'),
    audit: audit.default({ log: true, storage: false, flushEvery: 10_000 }),
    vulndb: vulndb.default({ url: DEFAULT_VULNDB_URL, refresh: 3_600_000 }),
    trustedProxies: z
      .array(cidr)
      .default([])
      .describe('Addresses (CIDR blocks) of reverse proxies whose `X-Forwarded-For` names the client in the audit trail; from any other peer the header is ignored.')
      .meta({ shownDefault: 'none' }),
    logLevel: z
      .enum(LOG_LEVELS, { error: `allowed: ${LOG_LEVELS.slice(0, -1).join(', ')} or ${LOG_LEVELS.at(-1)}` })
      .default('info')
      .describe('The pino log level.'),
  })
  .strict();

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

/**
 * The flag that overrides a setting on the command line (above the environment): its name, the
 * placeholder of its value and a short help text. The command line is made from this table; only
 * `serve` takes every flag, the other commands those marked `everyCommand`.
 */
export type SettingFlag = { name: string; value: string; help: string; everyCommand?: boolean; choices?: readonly string[] };

/** A setting's place in the file, the environment variable that overrides it, and the flag that overrides both. */
export const ENVIRONMENT_SETTINGS: ReadonlyArray<{ env: string; path: string[]; list?: boolean; flag?: SettingFlag }> = [
  { env: 'GOMODPROXY_LISTEN', path: ['listen'], flag: { name: '--listen', value: '<host:port>', help: 'address to serve on' } },
  { env: 'GOMODPROXY_STORAGE_TYPE', path: ['storage', 'type'] },
  {
    env: 'GOMODPROXY_STORAGE_PATH',
    path: ['storage', 'path'],
    flag: { name: '--storage-path', value: '<dir>', help: 'disk storage folder, laid out like GOMODCACHE/cache/download', everyCommand: true },
  },
  { env: 'GOMODPROXY_STORAGE_BUCKET', path: ['storage', 'bucket'] },
  { env: 'GOMODPROXY_STORAGE_PREFIX', path: ['storage', 'prefix'] },
  { env: 'GOMODPROXY_STORAGE_ENDPOINT', path: ['storage', 'endpoint'] },
  { env: 'GOMODPROXY_STORAGE_REGION', path: ['storage', 'region'] },
  { env: 'GOMODPROXY_STORAGE_FORCE_PATH_STYLE', path: ['storage', 'forcePathStyle'] },
  { env: 'GOMODPROXY_STORAGE_STAGING_PATH', path: ['storage', 'stagingPath'] },
  { env: 'GOMODPROXY_UPSTREAM', path: ['upstream'], flag: { name: '--upstream', value: '<list>', help: 'upstream proxies in GOPROXY syntax', everyCommand: true } },
  {
    env: 'GOMODPROXY_PRIVATE',
    path: ['private'],
    list: true,
    flag: { name: '--private', value: '<patterns>', help: 'GOPRIVATE-style patterns never asked of an upstream', everyCommand: true },
  },
  { env: 'GOMODPROXY_NOSUMDB', path: ['nosumdb'], list: true, flag: { name: '--nosumdb', value: '<patterns>', help: 'GONOSUMDB-style patterns never looked up in the checksum database' } },
  {
    env: 'GOMODPROXY_SUMDB',
    path: ['sumdb'],
    flag: { name: '--sumdb', value: '<setting>', help: 'checksum database in GOSUMDB syntax: name, "name+key [url]" or off', everyCommand: true },
  },
  { env: 'GOMODPROXY_SUMDB_UNREACHABLE', path: ['sumdbUnreachable'] },
  { env: 'GOMODPROXY_UPSTREAM_TIMEOUT', path: ['upstreamTimeout'], flag: { name: '--upstream-timeout', value: '<duration>', help: 'how long an upstream may take to answer' } },
  { env: 'GOMODPROXY_LIST_TTL', path: ['listTtl'], flag: { name: '--list-ttl', value: '<duration>', help: 'how long list and @latest answers are reused' } },
  { env: 'GOMODPROXY_FETCH_AHEAD', path: ['fetchAhead'], flag: { name: '--fetch-ahead', value: '<when>', help: 'what a cold request fetches ahead', choices: ['onInfo', 'onMod', 'off'] } },
  { env: 'GOMODPROXY_MEMORY_CACHE_BYTES', path: ['memoryCacheBytes'] },
  { env: 'GOMODPROXY_LOG_LEVEL', path: ['logLevel'], flag: { name: '--log-level', value: '<level>', help: 'log level', choices: LOG_LEVELS } },
  { env: 'GOMODPROXY_RETENTION_KEEP_SINCE', path: ['retention', 'keepSince'] },
  { env: 'GOMODPROXY_RETENTION_KEEP_LATEST', path: ['retention', 'keepLatest'] },
  { env: 'GOMODPROXY_RETENTION_RECORD_EVERY', path: ['retention', 'recordEvery'] },
  { env: 'GOMODPROXY_GIT_CACHE_DIR', path: ['git', 'cacheDir'] },
  { env: 'GOMODPROXY_GIT_TIMEOUT', path: ['git', 'timeout'] },
  { env: 'GOMODPROXY_GIT_MAX_PROCESSES', path: ['git', 'maxProcesses'] },
  { env: 'GOMODPROXY_GIT_CACHE_SIZE', path: ['git', 'cacheSize'] },
  { env: 'GOMODPROXY_GIT_EXPORT_LIMIT', path: ['git', 'exportLimit'] },
  { env: 'GOMODPROXY_TLS_CERT_FILE', path: ['tls', 'certFile'] },
  { env: 'GOMODPROXY_TLS_KEY_FILE', path: ['tls', 'keyFile'] },
  { env: 'GOMODPROXY_AUTH_HTPASSWD', path: ['auth', 'htpasswd'] },
  { env: 'GOMODPROXY_DIRECT_VCS', path: ['direct', 'vcs'] },
  { env: 'GOMODPROXY_DIRECT_ALLOW_INTERNAL', path: ['direct', 'allowInternal'], list: true },
  { env: 'GOMODPROXY_POLICY_ALLOW', path: ['policy', 'allow'], list: true },
  { env: 'GOMODPROXY_POLICY_VULNERABLE', path: ['policy', 'vulnerable'] },
  { env: 'GOMODPROXY_AUDIT_LOG', path: ['audit', 'log'] },
  { env: 'GOMODPROXY_AUDIT_STORAGE', path: ['audit', 'storage'] },
  { env: 'GOMODPROXY_AUDIT_FILE', path: ['audit', 'file'] },
  { env: 'GOMODPROXY_VULNDB_URL', path: ['vulndb', 'url'] },
  { env: 'GOMODPROXY_VULNDB_REFRESH', path: ['vulndb', 'refresh'] },
  { env: 'GOMODPROXY_TRUSTED_PROXIES', path: ['trustedProxies'], list: true },
];

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Settings = Record<string, unknown>;

function setPath(target: Settings, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Settings;
  }
  node[path[path.length - 1]!] = value;
}

function getPath(source: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let node = source;
  for (const key of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

/** Reads a YAML settings file; a missing or malformed file is a ConfigError. */
export function readConfigFile(file: string): Settings {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read settings file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = yaml.load(text);
  } catch (err) {
    throw new ConfigError(`settings file ${file} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (parsed === undefined || parsed === null) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`settings file ${file} must hold a mapping of settings, e.g. "listen: 127.0.0.1:3000"`);
  }
  return parsed as Settings;
}

/**
 * A GOMODPROXY_* variable named for a group of settings (GOMODPROXY_VULNDB, GOMODPROXY_STORAGE…)
 * sets nothing, and would be ignored without a word: `GOMODPROXY_VULNDB=off` would leave the
 * mirror fetching from its public default. It stops start-up, naming the group's variables.
 * Other GOMODPROXY_* names stay free (secret references such as `env:GOMODPROXY_GIT_TOKEN`).
 */
function refuseGroupVariables(env: NodeJS.ProcessEnv): void {
  for (const name of Object.keys(env)) {
    if (!name.startsWith('GOMODPROXY_') || env[name] === undefined || env[name] === '') continue;
    if (ENVIRONMENT_SETTINGS.some((setting) => setting.env === name)) continue;
    const members = ENVIRONMENT_SETTINGS.filter((setting) => setting.env.startsWith(`${name}_`)).map((setting) => setting.env);
    if (members.length === 0) continue;
    const group = ENVIRONMENT_SETTINGS.find((setting) => setting.env === members[0])!.path.slice(0, -1).join('.');
    const off = env[name]!.trim() === 'off' && members.includes(`${name}_URL`) ? `; ${name}_URL=off turns it off` : '';
    throw new ConfigError(`${name} is not a setting: the ${group} settings are ${members.join(', ')}${off}`);
  }
}

/** The settings that GOMODPROXY_* environment variables give. */
export function settingsFromEnvironment(env: NodeJS.ProcessEnv): Settings {
  refuseGroupVariables(env);
  const settings: Settings = {};
  for (const { env: name, path, list } of ENVIRONMENT_SETTINGS) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    setPath(settings, path, list ? value.split(',').map((s) => s.trim()).filter(Boolean) : value);
  }
  return settings;
}

/** The settings that command-line flags give; valueOf answers the value given for a flag, if any. */
export function settingsFromFlags(valueOf: (flag: SettingFlag) => string | undefined): Settings {
  const settings: Settings = {};
  for (const { path, flag } of ENVIRONMENT_SETTINGS) {
    const value = flag && valueOf(flag);
    if (value !== undefined) setPath(settings, path, value);
  }
  return settings;
}

function merge(base: Settings, override: Settings): Settings {
  const out: Settings = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = out[key];
    const bothObjects =
      typeof value === 'object' && value !== null && !Array.isArray(value) &&
      typeof current === 'object' && current !== null && !Array.isArray(current);
    out[key] = bothObjects ? merge(current as Settings, value as Settings) : value;
  }
  return out;
}

function settingName(path: ReadonlyArray<PropertyKey>): string {
  const dotted = path.map(String).join('.');
  const env = ENVIRONMENT_SETTINGS.find((s) => s.path.join('.') === dotted);
  return env ? `${dotted} (${env.env})` : dotted || '(settings)';
}

/**
 * Validates merged settings. Layers are applied in order, later ones winning:
 * typically [file, environment, flags].
 */
export function resolveConfig(...layers: Settings[]): Config {
  const input = layers.reduce<Settings>((acc, layer) => merge(acc, layer), {});
  const result = configSchema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const where = issue.path.length ? `${issue.path.join('.')}.` : '';
    throw new ConfigError(`unknown setting ${where}${issue.keys.join(', ')}: allowed settings are ${allowedKeys(issue.path, input)}`);
  }
  const value = getPath(input, issue.path);
  const shown = value === undefined ? 'missing' : redactUrlPasswords(JSON.stringify(value));
  throw new ConfigError(`invalid setting ${settingName(issue.path)} = ${shown}: ${issue.message}`);
}

/** A URL's password is never repeated in an error (as Go's URL.Redacted: "xxxxx"). */
function redactUrlPasswords(text: string): string {
  return text.replace(/([A-Za-z][A-Za-z0-9+.-]*:\/\/[^/@?#:,|"\s]*:)[^/@?#,|"\s]*@/g, '$1xxxxx@');
}

function allowedKeys(path: ReadonlyArray<PropertyKey>, input: Settings): string {
  if (path.length === 0) return Object.keys(configSchema.shape).join(', ');
  if (path[0] === 'storage') {
    const type = getPath(input, ['storage', 'type']);
    const schema = type === 's3' ? s3Storage : diskStorage;
    if (path[1] === 'credentials') return 'accessKeyId, secretAccessKey, sessionToken';
    return Object.keys(schema.shape).join(', ');
  }
  return '(see README)';
}

/** Loads the settings the way `gomodproxy serve` does. */
export function loadConfig(options: { file?: string; env?: NodeJS.ProcessEnv; flags?: Settings } = {}): Config {
  const fromFile = options.file ? readConfigFile(options.file) : {};
  const fromEnv = settingsFromEnvironment(options.env ?? process.env);
  return resolveConfig(fromFile, fromEnv, options.flags ?? {});
}

/** Splits "host:port", "[::1]:port" or ":port" into parts; null when malformed. */
export function parseListen(value: string): { host: string; port: number } | null {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(value);
  if (!match) return null;
  const port = Number(match[3]);
  if (port > 65535) return null;
  const host = match[1] ?? (match[2] || '0.0.0.0');
  return { host, port };
}
