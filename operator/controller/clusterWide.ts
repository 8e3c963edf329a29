/**
 * The cluster-wide ConfigMaps: one in every namespace the selector matches (and that is not being
 * deleted), none elsewhere. Namespaces coming and going enqueue every GoModuleProxy, and this
 * brings the set in step.
 *
 * A ConfigMap of that name that someone else holds is never overwritten: one published by another
 * GoModuleProxy stays that one's (the first to publish keeps it), and one the operator did not make
 * (a user's own, without the operator's labels, so not in its caches) is found by creating rather
 * than applying: the apiserver answers 409 AlreadyExists. Each such namespace is a conflict that
 * reconcile reports as Degraded.
 */
import type { GoModuleProxy } from '../api/goModuleProxy.ts';
import { PROXY_NAME_LABEL, PROXY_NAMESPACE_LABEL, MANAGED_SELECTOR, renderClusterWideConfigMap, selectorMatches, type KubeObject } from '../render/index.ts';
import { applyIfChanged, withAppliedHash } from './applyOwned.ts';
import type { Caches } from './caches.ts';
import { KubeApiError, objectPath, pluralOf, resourcePath, type KubeApi } from './kubeApi.ts';

const COMPONENT = 'app.kubernetes.io/component=cluster-wide-settings';

function publishedBy(proxy: { metadata: { name: string; namespace?: string } }): string {
  return `${MANAGED_SELECTOR},${COMPONENT},${PROXY_NAME_LABEL}=${proxy.metadata.name},${PROXY_NAMESPACE_LABEL}=${proxy.metadata.namespace}`;
}

function isPublishedBy(object: KubeObject, proxy: { metadata: { name: string; namespace?: string } }): boolean {
  const labels = object.metadata.labels ?? {};
  return labels['app.kubernetes.io/component'] === 'cluster-wide-settings' && labels[PROXY_NAME_LABEL] === proxy.metadata.name && labels[PROXY_NAMESPACE_LABEL] === proxy.metadata.namespace;
}

/** Who holds an object that is in the way, in words for the Degraded message. */
export function holder(object: KubeObject): string {
  const labels = object.metadata.labels ?? {};
  if (labels[PROXY_NAME_LABEL] && labels[PROXY_NAMESPACE_LABEL]) return `GoModuleProxy ${labels[PROXY_NAMESPACE_LABEL]}/${labels[PROXY_NAME_LABEL]}`;
  return 'someone else (it has no gomodproxy-operator labels)';
}

/**
 * Creates an object not seen before in another namespace; `ours` with the object when this proxy
 * made it a moment ago (not yet in the cache); 'taken' with its holder when one of that name exists
 * and isOurs says it is not this proxy's.
 */
export async function createUnlessTaken(api: KubeApi, desired: KubeObject, isOurs: (existing: KubeObject) => boolean): Promise<'created' | { ours: KubeObject } | { taken: string }> {
  try {
    await api.create(resourcePath(desired.apiVersion, pluralOf(desired.kind), desired.metadata.namespace), withAppliedHash(desired));
    return 'created';
  } catch (err) {
    if (!(err instanceof KubeApiError && err.status === 409)) throw err;
    // Perhaps this proxy's own, made a moment ago and not yet in the cache.
    const existing = await api.get(objectPath(desired));
    if (existing && isOurs(existing)) return { ours: existing };
    return { taken: existing ? holder(existing) : 'someone else' };
  }
}

/** The namespaces the cluster-wide selector picks, but those being deleted. */
export function selectedNamespaces(caches: Caches, proxy: GoModuleProxy): string[] {
  return caches.namespaces
    .list()
    .filter((namespace) => {
      const phase = (namespace['status'] as { phase?: string } | undefined)?.phase;
      if (namespace.metadata.deletionTimestamp || phase === 'Terminating') return false;
      return selectorMatches(proxy.spec.clusterWide.namespaceSelector, namespace.metadata.labels ?? {});
    })
    .map((namespace) => namespace.metadata.name);
}

export type Publication = { requests: number; conflicts: string[] };

/** Applies the ConfigMaps that should be there and deletes those that should not; returns the requests sent and the conflicts. */
export async function publishClusterWide(api: KubeApi, caches: Caches, proxy: GoModuleProxy): Promise<Publication> {
  let sent = 0;
  const conflicts: string[] = [];
  const wanted = new Set<string>();
  for (const namespace of selectedNamespaces(caches, proxy)) {
    const desired = renderClusterWideConfigMap(proxy, namespace);
    const where = `${namespace}/${desired.metadata.name}`;
    wanted.add(where);
    const current = caches.ownedObject('ConfigMap', namespace, desired.metadata.name);
    if (current && !isPublishedBy(current, proxy)) {
      conflicts.push(`ConfigMap ${where} is published by ${holder(current)}`);
      continue;
    }
    if (!current) {
      sent++;
      const created = await createUnlessTaken(api, desired, (existing) => isPublishedBy(existing, proxy));
      if (typeof created === 'object' && 'taken' in created) {
        conflicts.push(`ConfigMap ${where} is held by ${created.taken}`);
        continue;
      }
      if (created === 'created') continue;
    }
    if ((await applyIfChanged(api, desired, current)) === 'applied') sent++;
  }
  for (const configMap of caches.owned.get('ConfigMap')!.list()) {
    if (!isPublishedBy(configMap, proxy) || wanted.has(`${configMap.metadata.namespace}/${configMap.metadata.name}`)) continue;
    await api.delete(objectPath(configMap));
    sent++;
  }
  return { requests: sent, conflicts };
}

/**
 * Deletes every ConfigMap the GoModuleProxy published. With caches, from what they hold; without
 * (at deletion, where a stale cache must not leave one behind), from a fresh list.
 */
export async function withdrawClusterWide(api: KubeApi, proxy: KubeObject | GoModuleProxy, caches: Caches | undefined): Promise<number> {
  const published = caches
    ? caches.owned.get('ConfigMap')!.list().filter((configMap) => isPublishedBy(configMap, proxy))
    : (await api.list(resourcePath('v1', 'configmaps'), publishedBy(proxy))).items;
  for (const configMap of published) await api.delete(objectPath(configMap));
  return published.length;
}
