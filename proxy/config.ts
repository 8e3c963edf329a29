/**
 * The proxy's settings: one zod schema, filled from (lowest to highest
 * precedence) built-in defaults, a YAML file, GOMODPROXY_* environment
 * variables and command-line flags. The words are the ones Go users already
 * know: upstream is GOPROXY syntax, private is GOPRIVATE syntax, nosumdb is
 * GONOSUMDB syntax, sumdb is GOSUMDB syntax.
 *
 * A bad setting stops start-up with one line naming the setting, the value
 * and what is allowed (ConfigError).
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';
import { z } from 'zod';
import { checkPatterns, parseProxyList } from './protocol/index.ts';
import { parseSumdbSetting } from './sumdb/index.ts';

/** The embedded default upstream: the public Go module mirror, then git. */
export const DEFAULT_UPSTREAM = 'https://proxy.golang.org,direct';

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

const listen = z.string().refine((value) => parseListen(value) !== null, {
  message: 'allowed: host:port, e.g. 127.0.0.1:3000, [::]:3000 or :3000',
});

/** GOPRIVATE-style pattern lists: a YAML list or one comma-separated string. */
const patternList = (what: string) =>
  z
    .union([z.array(z.string()), z.string()])
    .transform((value) => (Array.isArray(value) ? value : value.split(',')).map((p) => p.trim()).filter(Boolean))
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
  /** Folder laid out as the Go module cache's download folder; usable as GOPROXY=file://. */
  path: z.string().min(1).default('./data'),
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
    /** The bucket; it must exist (the proxy does not create it). */
    bucket: z.string({ error: 'required for storage type "s3": the name of an existing bucket' }).regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, {
      message: 'allowed: an S3 bucket name, 3 to 63 characters of a-z, 0-9, "." and "-"',
    }),
    /** Keys are kept under this path in the bucket, so several proxies or uses can share it. */
    prefix: z
      .string()
      .refine((value) => /^([a-z0-9._-]+(\/[a-z0-9._-]+)*\/?)?$/.test(value) && !value.split('/').some((element) => element === '.' || element === '..'), {
        message: 'allowed: a path such as "gomodproxy" or "team/gomodproxy/", of a-z, 0-9, ".", "_" and "-", without "." or ".." elements',
      })
      .transform((value) => (value === '' || value.endsWith('/') ? value : `${value}/`))
      .default(''),
    /** An S3-compatible server (MinIO, Ceph, R2…); without it, AWS S3 in `region`. */
    endpoint: z
      .string()
      .refine((value) => /^https?:\/\/[^\s/@]+(\/.*)?$/.test(value), { message: 'allowed: an http:// or https:// URL without credentials, e.g. https://minio.corp.example:9000' })
      .optional(),
    region: z.string().min(1).default('us-east-1'),
    /** Bucket in the URL path rather than the host name: true for most S3-compatible servers. */
    forcePathStyle: flag.default(false),
    /** Access keys as "env:NAME" or "file:/path"; without them the AWS SDK's chain (AWS_ACCESS_KEY_ID…, web identity, instance role). */
    credentials: z
      .object({ accessKeyId: secret, secretAccessKey: secret, sessionToken: secret.optional() })
      .strict()
      .optional(),
    /** Local folder where downloads are checked before they are uploaded. */
    stagingPath: z.string().min(1).default(path.join(os.tmpdir(), 'gomodproxy-staging')),
  })
  .strict();

/** Storage without a type is disk storage, so GOMODPROXY_STORAGE_PATH alone is enough. */
const storage = z.preprocess(
  (value) => (typeof value === 'object' && value !== null && !('type' in value) ? { type: 'disk', ...value } : value),
  z.discriminatedUnion('type', [diskStorage, s3Storage], { error: 'allowed: storage types "disk" and "s3"' }),
);

const gitHost = z
  .object({
    /** Base URL of the host's repositories: https://…, ssh://…, or http://… for a server on a trusted network. */
    url: z.string().refine((value) => /^(https?:\/\/[^\s@]+|ssh:\/\/([A-Za-z0-9._-]+@)?[^\s@]+)$/.test(value), {
      message: 'allowed: an https://, ssh:// or http:// base URL without credentials (ssh may name a user), e.g. https://git.corp.example',
    }),
    /** User name sent with the token or password over http(s) (default "git"). */
    username: z.string().min(1).optional(),
    /** A token or password for http(s), sent as Basic authentication. */
    token: secret.optional(),
    /** A private key file for ssh. */
    sshKeyFile: z.string().min(1).optional(),
    /** A known_hosts file for ssh (host keys are always checked). */
    knownHostsFile: z.string().min(1).optional(),
    /** CA certificates (PEM) to trust for this host's https, e.g. an internal GitLab's. */
    caFile: z.string().min(1).optional(),
    /** Find repositories by ?go-get=1 pages at `url` (for hosts with nested groups, e.g. GitLab). */
    discover: z.boolean().optional(),
  })
  .strict();

const git = z
  .object({
    /** Hosts and the base URLs of their repositories (github.com, gitlab.com and bitbucket.org need none). */
    hosts: z.record(z.string(), gitHost).default({}),
    /** Folder for the bare mirrors of the repositories modules are built from. */
    cacheDir: z.string().min(1).default(path.join(os.tmpdir(), 'gomodproxy-git')),
    /** How long one git command may run. */
    timeout: duration('git.timeout').default(120_000),
  })
  .strict();

export const configSchema = z
  .object({
    /** Address to serve on. */
    listen: listen.default('127.0.0.1:3000'),
    /** Where modules are kept. */
    storage: storage.default({ type: 'disk', path: './data' }),
    /** Upstream proxies in GOPROXY syntax: ',' falls back on 404/410, '|' on any error. */
    upstream: upstream.default(DEFAULT_UPSTREAM),
    /** GOPRIVATE patterns: never asked of an upstream proxy nor of a checksum database. */
    private: patternList('GOPRIVATE syntax (comma-separated path globs)').default([]),
    /** GONOSUMDB patterns: not looked up in the checksum database (private is implied). */
    nosumdb: patternList('GONOSUMDB syntax (comma-separated path globs)').default([]),
    /** Where private modules (and "direct") are fetched from. */
    git: git.default({ hosts: {}, cacheDir: path.join(os.tmpdir(), 'gomodproxy-git'), timeout: 120_000 }),
    /** GOSUMDB syntax: a name, "name+key", either followed by a URL (an internal mirror), or "off". */
    sumdb: sumdb.default('sum.golang.org'),
    /** When the checksum database cannot be reached: refuse new modules, or store them unverified (logged). */
    sumdbUnreachable: z
      .enum(['refuse', 'serve-unverified'], { error: 'allowed: refuse or serve-unverified' })
      .default('refuse'),
    /** How long one upstream request may wait for an answer (and between body chunks). */
    upstreamTimeout: duration('upstreamTimeout').default(30_000),
    /** How long a `list` or `@latest` answer from upstream is reused before asking again. */
    listTtl: duration('listTtl').default(60_000),
    /** pino log level. */
    logLevel: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { error: 'allowed: fatal, error, warn, info, debug, trace or silent' })
      .default('info'),
  })
  .strict();

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

/** A setting's place in the file, and the environment variable that overrides it. */
export const ENVIRONMENT_SETTINGS: ReadonlyArray<{ env: string; path: string[]; list?: boolean }> = [
  { env: 'GOMODPROXY_LISTEN', path: ['listen'] },
  { env: 'GOMODPROXY_STORAGE_TYPE', path: ['storage', 'type'] },
  { env: 'GOMODPROXY_STORAGE_PATH', path: ['storage', 'path'] },
  { env: 'GOMODPROXY_STORAGE_BUCKET', path: ['storage', 'bucket'] },
  { env: 'GOMODPROXY_STORAGE_PREFIX', path: ['storage', 'prefix'] },
  { env: 'GOMODPROXY_STORAGE_ENDPOINT', path: ['storage', 'endpoint'] },
  { env: 'GOMODPROXY_STORAGE_REGION', path: ['storage', 'region'] },
  { env: 'GOMODPROXY_STORAGE_FORCE_PATH_STYLE', path: ['storage', 'forcePathStyle'] },
  { env: 'GOMODPROXY_STORAGE_STAGING_PATH', path: ['storage', 'stagingPath'] },
  { env: 'GOMODPROXY_UPSTREAM', path: ['upstream'] },
  { env: 'GOMODPROXY_PRIVATE', path: ['private'], list: true },
  { env: 'GOMODPROXY_NOSUMDB', path: ['nosumdb'], list: true },
  { env: 'GOMODPROXY_SUMDB', path: ['sumdb'] },
  { env: 'GOMODPROXY_SUMDB_UNREACHABLE', path: ['sumdbUnreachable'] },
  { env: 'GOMODPROXY_UPSTREAM_TIMEOUT', path: ['upstreamTimeout'] },
  { env: 'GOMODPROXY_LIST_TTL', path: ['listTtl'] },
  { env: 'GOMODPROXY_LOG_LEVEL', path: ['logLevel'] },
  { env: 'GOMODPROXY_GIT_CACHE_DIR', path: ['git', 'cacheDir'] },
  { env: 'GOMODPROXY_GIT_TIMEOUT', path: ['git', 'timeout'] },
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

/** The settings that GOMODPROXY_* environment variables give. */
export function settingsFromEnvironment(env: NodeJS.ProcessEnv): Settings {
  const settings: Settings = {};
  for (const { env: name, path, list } of ENVIRONMENT_SETTINGS) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    setPath(settings, path, list ? value.split(',').map((s) => s.trim()).filter(Boolean) : value);
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
  const shown = value === undefined ? 'missing' : JSON.stringify(value);
  throw new ConfigError(`invalid setting ${settingName(issue.path)} = ${shown}: ${issue.message}`);
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
