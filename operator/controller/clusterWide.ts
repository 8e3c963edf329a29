/**
 * The cluster-wide ConfigMaps: one in every namespace the selector matches (and that is not being
 * deleted), none elsewhere. Namespaces coming and going enqueue every GoModuleProxy, and this
 * brings the set in step.
 */
import type { GoModuleProxy } from '../api/goModuleProxy.ts';
import { PROXY_NAME_LABEL, PROXY_NAMESPACE_LABEL, MANAGED_SELECTOR, renderClusterWideConfigMap, selectorMatches, type KubeObject } from '../render/index.ts';
import { applyIfChanged } from './applyOwned.ts';
import type { Caches } from './caches.ts';
import { objectPath, resourcePath, type KubeApi } from './kubeApi.ts';

const COMPONENT = 'app.kubernetes.io/component=cluster-wide-settings';

function publishedBy(proxy: { metadata: { name: string; namespace?: string } }): string {
  return `${MANAGED_SELECTOR},${COMPONENT},${PROXY_NAME_LABEL}=${proxy.metadata.name},${PROXY_NAMESPACE_LABEL}=${proxy.metadata.namespace}`;
}

function isPublishedBy(object: KubeObject, proxy: GoModuleProxy): boolean {
  const labels = object.metadata.labels ?? {};
  return labels['app.kubernetes.io/component'] === 'cluster-wide-settings' && labels[PROXY_NAME_LABEL] === proxy.metadata.name && labels[PROXY_NAMESPACE_LABEL] === proxy.metadata.namespace;
}

/** Applies the ConfigMaps that should be there and deletes those that should not; returns the requests sent. */
export async function publishClusterWide(api: KubeApi, caches: Caches, proxy: GoModuleProxy): Promise<number> {
  let sent = 0;
  const wanted = new Set<string>();
  for (const namespace of caches.namespaces.list()) {
    const phase = (namespace['status'] as { phase?: string } | undefined)?.phase;
    if (namespace.metadata.deletionTimestamp || phase === 'Terminating') continue;
    if (!selectorMatches(proxy.spec.clusterWide.namespaceSelector, namespace.metadata.labels ?? {})) continue;
    const desired = renderClusterWideConfigMap(proxy, namespace.metadata.name);
    wanted.add(`${namespace.metadata.name}/${desired.metadata.name}`);
    const current = caches.ownedObject('ConfigMap', namespace.metadata.name, desired.metadata.name);
    if ((await applyIfChanged(api, desired, current)) === 'applied') sent++;
  }
  for (const configMap of caches.owned.get('ConfigMap')!.list()) {
    if (!isPublishedBy(configMap, proxy) || wanted.has(`${configMap.metadata.namespace}/${configMap.metadata.name}`)) continue;
    await api.delete(objectPath(configMap));
    sent++;
  }
  return sent;
}

/**
 * Deletes every ConfigMap the GoModuleProxy published. With caches, from what they hold; without
 * (at deletion, where a stale cache must not leave one behind), from a fresh list.
 */
export async function withdrawClusterWide(api: KubeApi, proxy: KubeObject | GoModuleProxy, caches: Caches | undefined): Promise<number> {
  const published = caches
    ? caches.owned.get('ConfigMap')!.list().filter((configMap) => isPublishedBy(configMap, proxy as GoModuleProxy))
    : (await api.list(resourcePath('v1', 'configmaps'), publishedBy(proxy))).items;
  for (const configMap of published) await api.delete(objectPath(configMap));
  return published.length;
}
