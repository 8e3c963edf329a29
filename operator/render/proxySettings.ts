/**
 * The proxy's settings file for a GoModuleProxy, checked with the proxy's own schema
 * (proxy/config.ts): what the operator puts in the ConfigMap is what `gomodproxy serve` accepts.
 * Secrets never appear in it: git tokens are `env:NAME` references to variables that the
 * Deployment fills from the Secrets the spec names.
 */
import yaml from 'js-yaml';
import { ConfigError, resolveConfig, type ConfigInput } from '../../proxy/config.ts';
import type { GoModuleProxy } from '../api/goModuleProxy.ts';

export const PROXY_PORT = 3000;
export const CONFIG_MOUNT = '/etc/gomodproxy';
export const CONFIG_FILE = `${CONFIG_MOUNT}/config.yaml`;
export const DATA_MOUNT = '/var/lib/gomodproxy';
export const GIT_CACHE_MOUNT = '/var/cache/gomodproxy-git';

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

export function proxySettings(proxy: GoModuleProxy): ConfigInput {
  const { spec } = proxy;
  if (spec.storage.s3) {
    // The schema of this proxy version knows only disk storage; say so instead of rendering
    // settings the proxy would refuse at start-up.
    throw new RenderError('spec.storage.s3: this version of the proxy keeps modules on disk only; use spec.storage.pvc');
  }
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
    storage: { type: 'disk', path: DATA_MOUNT },
    upstream: spec.upstream,
    private: spec.private,
    nosumdb: spec.nosumdb,
    sumdb: spec.sumdb,
    git: { hosts, cacheDir: GIT_CACHE_MOUNT },
    logLevel: 'info',
  };
}

/** The settings as YAML, after the proxy's schema accepted them; a RenderError names the spec field otherwise. */
export function proxySettingsYaml(proxy: GoModuleProxy): string {
  const settings = proxySettings(proxy);
  try {
    resolveConfig(settings as Record<string, unknown>);
  } catch (err) {
    if (err instanceof ConfigError) throw new RenderError(`the proxy refuses the settings rendered from spec: ${err.message}`);
    throw err;
  }
  return yaml.dump(settings, { lineWidth: -1, sortKeys: true });
}
