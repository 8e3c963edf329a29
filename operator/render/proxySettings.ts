/**
 * The proxy's settings file for a GoModuleProxy, checked with the proxy's own schema
 * (proxy/config.ts): what the operator puts in the ConfigMap is what `gomodproxy serve` accepts.
 * Secrets never appear in it: git tokens are `env:NAME` references to variables that the
 * Deployment fills from the Secrets the spec names; auth files are `file:` paths of mounted Secrets.
 */
import yaml from 'js-yaml';
import { ConfigError, resolveConfig, type ConfigInput } from '../../proxy/config.ts';
import type { GoModuleProxy } from '../api/goModuleProxy.ts';
import { accessSettings, type NamespaceTokenHashes } from './accessSettings.ts';

export const PROXY_PORT = 3000;
/** The image's settings folder (Dockerfile): the ConfigMap mounted here replaces the image's own file. */
export const CONFIG_MOUNT = '/etc/gomodproxy';
export const CONFIG_FILE = `${CONFIG_MOUNT}/config.yaml`;
export const DATA_MOUNT = '/var/lib/gomodproxy';
export const GIT_CACHE_MOUNT = '/var/cache/gomodproxy-git';
/** With S3 storage, downloads are checked here (the pod's /tmp) before they are uploaded. */
export const S3_STAGING_PATH = '/tmp/gomodproxy-staging';

/** The name of the proxy's port: https with a TLS Secret, which is also what the probes speak. */
export function portName(proxy: GoModuleProxy): 'http' | 'https' {
  return proxy.spec.tls ? 'https' : 'http';
}

/** A setting that the proxy's schema refused, or one the operator cannot express. */
export class RenderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RenderError';
  }
}

/** The environment variable holding the token of the n-th git credential. */
export function gitTokenVariable(index: number): string {
  return `GOMODPROXY_GIT_TOKEN_${index}`;
}

export function proxySettings(proxy: GoModuleProxy, namespaceTokens: NamespaceTokenHashes = new Map()): ConfigInput {
  const { spec } = proxy;
  const hosts: Record<string, { url: string; username?: string; token: string }> = {};
  spec.gitCredentials.forEach((credential, index) => {
    hosts[credential.host] = {
      url: credential.url ?? `https://${credential.host}`,
      ...(credential.username ? { username: credential.username } : {}),
      token: `env:${gitTokenVariable(index)}`,
    };
  });
  return {
    listen: `0.0.0.0:${PROXY_PORT}`,
    storage: storageSettings(spec.storage),
    upstream: spec.upstream,
    private: spec.private,
    nosumdb: spec.nosumdb,
    sumdb: spec.sumdb,
    git: { hosts, cacheDir: GIT_CACHE_MOUNT },
    logLevel: 'info',
    ...vulndbSettings(spec.vulndb),
    ...accessSettings(proxy, namespaceTokens),
  };
}

/** The mirror as the spec asks: off, or its URL and refresh where given (the proxy's defaults otherwise). */
function vulndbSettings(vulndb: GoModuleProxy['spec']['vulndb']): Pick<ConfigInput, 'vulndb'> {
  if (!vulndb) return {};
  if (!vulndb.enabled) return { vulndb: 'off' };
  return { vulndb: { ...(vulndb.url ? { url: vulndb.url } : {}), ...(vulndb.refresh ? { refresh: vulndb.refresh } : {}) } };
}

/**
 * Disk storage on the PVC, or the bucket. An S3 endpoint of the spec is an S3-compatible server
 * (MinIO, Ceph…), which wants the bucket in the path; credentials come from the environment.
 */
function storageSettings(storage: GoModuleProxy['spec']['storage']): ConfigInput['storage'] {
  const s3 = storage.s3;
  if (!s3) return { type: 'disk', path: DATA_MOUNT };
  return {
    type: 's3',
    bucket: s3.bucket,
    region: s3.region,
    ...(s3.prefix ? { prefix: s3.prefix } : {}),
    ...(s3.endpoint ? { endpoint: s3.endpoint, forcePathStyle: true } : {}),
    stagingPath: S3_STAGING_PATH,
  };
}

/** The settings as YAML, after the proxy's schema accepted them; a RenderError names the spec field otherwise. */
export function proxySettingsYaml(proxy: GoModuleProxy, namespaceTokens: NamespaceTokenHashes = new Map()): string {
  const settings = proxySettings(proxy, namespaceTokens);
  try {
    resolveConfig(settings as Record<string, unknown>);
  } catch (err) {
    if (err instanceof ConfigError) throw new RenderError(`the proxy refuses the settings rendered from spec: ${err.message}`);
    throw err;
  }
  return yaml.dump(settings, { lineWidth: -1, sortKeys: true });
}
