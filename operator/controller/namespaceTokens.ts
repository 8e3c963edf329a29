/**
 * The per-namespace tokens (render/namespaceTokens.ts): a `.netrc` Secret in every namespace the
 * cluster-wide selector picks, none elsewhere. A namespace keeps its token while its Secret holds
 * one issued under the spec's current clusterWide.netrc.rotation; a missing Secret, or a rotation
 * changed in the spec, issues a new random token. The hashes returned are what the proxy's pods
 * are given (renderOwnedObjects), computed from the tokens themselves.
 *
 * As with the cluster-wide ConfigMaps, a Secret of that name that someone else holds is never
 * overwritten: its namespace gets no token and is reported as a conflict. The finalizer deletes
 * them all when the GoModuleProxy goes.
 */
import { randomBytes } from 'node:crypto';
import type { GoModuleProxy } from '../api/goModuleProxy.ts';
import {
  MANAGED_SELECTOR,
  NETRC_COMPONENT,
  PROXY_NAME_LABEL,
  PROXY_NAMESPACE_LABEL,
  TOKEN_KEY,
  TOKEN_ROTATION_ANNOTATION,
  netrcEnabled,
  renderNetrcSecret,
  tokenHash,
  type KubeObject,
} from '../render/index.ts';
import { applyIfChanged } from './applyOwned.ts';
import type { Caches } from './caches.ts';
import { createUnlessTaken, holder, selectedNamespaces } from './clusterWide.ts';
import { objectPath, resourcePath, type KubeApi } from './kubeApi.ts';

function isIssuedBy(object: KubeObject, proxy: { metadata: { name: string; namespace?: string } }): boolean {
  const labels = object.metadata.labels ?? {};
  return labels['app.kubernetes.io/component'] === NETRC_COMPONENT && labels[PROXY_NAME_LABEL] === proxy.metadata.name && labels[PROXY_NAMESPACE_LABEL] === proxy.metadata.namespace;
}

/** The token a Secret of ours holds, when it was issued under the spec's rotation. */
function currentToken(secret: KubeObject | undefined, proxy: GoModuleProxy): string | undefined {
  if (!secret || secret.metadata.annotations?.[TOKEN_ROTATION_ANNOTATION] !== String(proxy.spec.clusterWide.netrc!.rotation)) return undefined;
  const encoded = (secret['data'] as Record<string, string> | undefined)?.[TOKEN_KEY];
  const token = encoded ? Buffer.from(encoded, 'base64').toString('utf8') : '';
  return /^[0-9a-f]{64}$/.test(token) ? token : undefined;
}

/** 256 random bits, as hex: what a person would make with `openssl rand -hex 32`. */
function newToken(): string {
  return randomBytes(32).toString('hex');
}

export type Issued = { hashes: Map<string, string>; requests: number; conflicts: string[] };

/** Writes the .netrc Secrets that should be there, deletes those that should not; returns the hashes of the tokens in force. */
export async function issueNamespaceTokens(api: KubeApi, caches: Caches, proxy: GoModuleProxy, watchNamespace: string | undefined): Promise<Issued> {
  const issued: Issued = { hashes: new Map(), requests: 0, conflicts: [] };
  const wanted = new Set<string>();
  if (netrcEnabled(proxy)) {
    const name = proxy.spec.clusterWide.netrc!.secretName;
    for (const namespace of selectedNamespaces(caches, proxy)) {
      const where = `${namespace}/${name}`;
      if (watchNamespace !== undefined && namespace !== watchNamespace) {
        issued.conflicts.push(`Secret ${where} cannot be written: the operator is installed for namespace ${watchNamespace} only (watchNamespace)`);
        continue;
      }
      wanted.add(where);
      const current = caches.ownedObject('Secret', namespace, name);
      if (current && !isIssuedBy(current, proxy)) {
        issued.conflicts.push(`Secret ${where} is issued by ${holder(current)}`);
        continue;
      }
      let token = currentToken(current, proxy);
      if (current && !token) {
        // The cache may lag behind a rotation this operator wrote a moment ago: ask the apiserver
        // before issuing, so that one rotation issues one token.
        issued.requests++;
        token = currentToken(await api.get(objectPath(current)), proxy);
      }
      token ??= newToken();
      if (!current) {
        issued.requests++;
        const created = await createUnlessTaken(api, renderNetrcSecret(proxy, namespace, token), (existing) => isIssuedBy(existing, proxy));
        if (typeof created === 'object' && 'taken' in created) {
          issued.conflicts.push(`Secret ${where} is held by ${created.taken}`);
          continue;
        }
        // Made a moment ago by an earlier reconcile, not yet in the cache: its token stays (no churn).
        if (typeof created === 'object') {
          token = currentToken(created.ours, proxy) ?? token;
          if ((await applyIfChanged(api, renderNetrcSecret(proxy, namespace, token), created.ours)) === 'applied') issued.requests++;
        }
      } else if ((await applyIfChanged(api, renderNetrcSecret(proxy, namespace, token), current)) === 'applied') {
        issued.requests++;
      }
      issued.hashes.set(namespace, tokenHash(token));
    }
  }
  for (const secret of caches.owned.get('Secret')!.list()) {
    if (!isIssuedBy(secret, proxy) || wanted.has(`${secret.metadata.namespace}/${secret.metadata.name}`)) continue;
    await api.delete(objectPath(secret));
    issued.requests++;
  }
  return issued;
}

/** Deletes every .netrc Secret the GoModuleProxy issued, from a fresh list (at deletion, a stale cache must not leave one behind). */
export async function withdrawNamespaceTokens(api: KubeApi, proxy: KubeObject, watchNamespace: string | undefined): Promise<number> {
  const selector = `${MANAGED_SELECTOR},app.kubernetes.io/component=${NETRC_COMPONENT},${PROXY_NAME_LABEL}=${proxy.metadata.name},${PROXY_NAMESPACE_LABEL}=${proxy.metadata.namespace}`;
  const { items } = await api.list(resourcePath('v1', 'secrets', watchNamespace), selector, true);
  // Metadata only (the tokens are not read to delete them): items of kind PartialObjectMetadata, so the path is the Secret's.
  for (const secret of items) await api.delete(resourcePath('v1', 'secrets', secret.metadata.namespace, secret.metadata.name));
  return items.length;
}
