/**
 * Who may fetch what, in the proxy's settings and in the pod: the spec's auth, access, policy,
 * audit and tls become the proxy's own settings, and the Secrets they name become read-only files
 * (the proxy reads `file:` references and the certificate's paths).
 *
 * Two volumes, on purpose. The TLS Secret is a volume of its own, and no digest of it reaches the
 * pod template: the proxy re-reads the certificate when the files change, so a cert-manager renewal
 * never restarts a pod. The htpasswd file, the named tokens' hashes and the per-namespace tokens'
 * hashes are one projected volume under AUTH_MOUNT.
 */
import type { GoModuleProxy } from '../api/goModuleProxy.ts';
import type { ConfigInput } from '../../proxy/config.ts';
import { boundedName } from './labels.ts';

export const TLS_MOUNT = '/etc/gomodproxy-tls';
export const AUTH_MOUNT = '/etc/gomodproxy-auth';

/** The keys of a kubernetes.io/tls Secret. */
export const TLS_CERT_KEY = 'tls.crt';
export const TLS_KEY_KEY = 'tls.key';

/** The identity a per-namespace token signs in as. */
export function namespaceIdentity(namespace: string): string {
  return `namespace:${namespace}`;
}

/**
 * The per-namespace tokens' hashes, by namespace (sha256 hex of each token): what the controller
 * issued into the selected namespaces. Empty when the spec asks for none.
 */
export type NamespaceTokenHashes = ReadonlyMap<string, string>;

/** The Secret in the proxy's namespace holding the per-namespace tokens' hashes, one key per namespace. */
export function namespaceTokensSecretName(proxy: GoModuleProxy): string {
  return boundedName(proxy.metadata.name, '-namespace-tokens', 253);
}

export function netrcEnabled(proxy: GoModuleProxy): boolean {
  return proxy.spec.clusterWide.enabled && proxy.spec.clusterWide.netrc?.enabled === true;
}

const tokenFile = (index: number) => `${AUTH_MOUNT}/tokens/${index}`;
const namespaceTokenFile = (namespace: string) => `${AUTH_MOUNT}/namespaces/${namespace}`;
const HTPASSWD_FILE = `${AUTH_MOUNT}/htpasswd`;

/** The settings tls, auth, access, policy and audit of the proxy's settings file. */
export function accessSettings(proxy: GoModuleProxy, namespaceTokens: NamespaceTokenHashes): Pick<ConfigInput, 'tls' | 'auth' | 'access' | 'policy' | 'audit'> {
  const { spec } = proxy;
  const settings: Pick<ConfigInput, 'tls' | 'auth' | 'access' | 'policy' | 'audit'> = {};
  if (spec.tls) settings.tls = { certFile: `${TLS_MOUNT}/${TLS_CERT_KEY}`, keyFile: `${TLS_MOUNT}/${TLS_KEY_KEY}` };
  // With .netrc tokens asked for, auth is on even before the first namespace is selected, so that
  // who may read what does not change when a namespace comes or goes.
  if (spec.auth || netrcEnabled(proxy)) {
    const tokens = [
      ...(spec.auth?.tokens ?? []).map((token, index) => ({ name: token.name, sha256: `file:${tokenFile(index)}` })),
      ...[...namespaceTokens.keys()].sort().map((namespace) => ({ name: namespaceIdentity(namespace), sha256: `file:${namespaceTokenFile(namespace)}` })),
    ];
    settings.auth = {
      ...(spec.auth?.htpasswdSecretRef ? { htpasswd: HTPASSWD_FILE } : {}),
      tokens,
      ...(spec.auth?.groups ? { groups: spec.auth.groups } : {}),
      ...(spec.auth?.metrics ? { metrics: spec.auth.metrics } : {}),
    };
  }
  if (spec.access) settings.access = { rules: spec.access.rules, ...(spec.access.default ? { default: spec.access.default } : {}) };
  if (spec.policy) {
    settings.policy = {
      deny: spec.policy.deny.map((rule) => ({ module: rule.module, ...(rule.versions ? { versions: rule.versions } : {}), reason: rule.reason })),
      ...(spec.policy.allow ? { allow: spec.policy.allow } : {}),
      ...(spec.policy.vulnerable ? { vulnerable: spec.policy.vulnerable } : {}),
    };
  }
  if (spec.audit) settings.audit = { log: spec.audit.log, storage: spec.audit.storage };
  return settings;
}

/** The volumes of the TLS Secret and of the auth files, as the spec asks. */
export function accessVolumes(proxy: GoModuleProxy, namespaceTokens: NamespaceTokenHashes): object[] {
  const { spec } = proxy;
  const volumes: object[] = [];
  // Readable by the pod's group (fsGroup) only.
  if (spec.tls) volumes.push({ name: 'tls', secret: { secretName: spec.tls.secretName, defaultMode: 0o440 } });
  const sources: object[] = [];
  const htpasswd = spec.auth?.htpasswdSecretRef;
  if (htpasswd) sources.push({ secret: { name: htpasswd.name, items: [{ key: htpasswd.key, path: 'htpasswd' }] } });
  (spec.auth?.tokens ?? []).forEach((token, index) => {
    sources.push({ secret: { name: token.secretRef.name, items: [{ key: token.secretRef.key, path: `tokens/${index}` }] } });
  });
  if (namespaceTokens.size > 0) {
    const items = [...namespaceTokens.keys()].sort().map((namespace) => ({ key: namespace, path: `namespaces/${namespace}` }));
    sources.push({ secret: { name: namespaceTokensSecretName(proxy), items } });
  }
  if (sources.length > 0) volumes.push({ name: 'auth', projected: { sources, defaultMode: 0o440 } });
  return volumes;
}

export function accessVolumeMounts(proxy: GoModuleProxy, namespaceTokens: NamespaceTokenHashes): object[] {
  return accessVolumes(proxy, namespaceTokens).map((volume) => {
    const name = (volume as { name: string }).name;
    return { name, mountPath: name === 'tls' ? TLS_MOUNT : AUTH_MOUNT, readOnly: true };
  });
}
