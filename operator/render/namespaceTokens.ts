/**
 * Per-namespace tokens: each namespace the cluster-wide selector picks gets a token of its own
 * (identity `namespace:<name>`), written there as a Secret with a `.netrc` that a CI pod mounts and
 * points NETRC at. The proxy's side holds only the tokens' SHA-256, in a Secret of its own
 * namespace, one key per namespace. The token lives only in the namespace's Secret: its hash is
 * computed from it, so the two can never disagree.
 */
import { createHash } from 'node:crypto';
import type { GoModuleProxy } from '../api/goModuleProxy.ts';
import { namespaceTokensSecretName, type NamespaceTokenHashes } from './accessSettings.ts';
import { ownedMetadata, type KubeObject } from './kubeObject.ts';
import { MANAGED_BY, MANAGED_BY_LABEL, PROXY_NAME_LABEL, PROXY_NAMESPACE_LABEL, proxyHost } from './labels.ts';

export const NETRC_COMPONENT = 'namespace-netrc';
export const NETRC_KEY = '.netrc';
export const TOKEN_KEY = 'token';
/** The spec's clusterWide.netrc.rotation the token was issued under: a different one issues a new token. */
export const TOKEN_ROTATION_ANNOTATION = 'gomodproxy.dev/token-rotation';

export function tokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The user name in the .netrc; the proxy ignores it (a token signs in as its own identity), a log reader does not. */
export function netrcLogin(namespace: string): string {
  return `namespace-${namespace}`;
}

/**
 * The .netrc line. The go command sends credentials only when `machine` names the host with the
 * port as the GOPROXY URL writes it, which is how the proxy's URL is published (even 443).
 */
export function netrcText(proxy: GoModuleProxy, namespace: string, token: string): string {
  return `machine ${proxyHost(proxy)} login ${netrcLogin(namespace)} password ${token}\n`;
}

export function renderNetrcSecret(proxy: GoModuleProxy, namespace: string, token: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: proxy.spec.clusterWide.netrc!.secretName,
      namespace,
      labels: {
        [MANAGED_BY_LABEL]: MANAGED_BY,
        'app.kubernetes.io/component': NETRC_COMPONENT,
        [PROXY_NAME_LABEL]: proxy.metadata.name,
        [PROXY_NAMESPACE_LABEL]: proxy.metadata.namespace,
      },
      annotations: { [TOKEN_ROTATION_ANNOTATION]: String(proxy.spec.clusterWide.netrc!.rotation) },
    },
    type: 'Opaque',
    // data, not stringData: the apiserver keeps data only, and the drift check compares with it.
    data: {
      [NETRC_KEY]: Buffer.from(netrcText(proxy, namespace, token)).toString('base64'),
      [TOKEN_KEY]: Buffer.from(token).toString('base64'),
    },
  };
}

/** The hashes the proxy's pods read, one key per namespace. */
export function renderNamespaceTokensSecret(proxy: GoModuleProxy, hashes: NamespaceTokenHashes): KubeObject {
  const data = Object.fromEntries([...hashes.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([namespace, hash]) => [namespace, Buffer.from(hash).toString('base64')]));
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: ownedMetadata(proxy, namespaceTokensSecretName(proxy), 'namespace-tokens'),
    type: 'Opaque',
    data,
  };
}

/**
 * A digest of the hashes, for the pod template: the proxy reads tokens when it starts, so a new or
 * rotated token reaches it in a new pod.
 */
export function namespaceTokensDigest(hashes: NamespaceTokenHashes): string | undefined {
  if (hashes.size === 0) return undefined;
  const lines = [...hashes.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([namespace, hash]) => `${namespace}=${hash}`);
  return createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 32);
}
