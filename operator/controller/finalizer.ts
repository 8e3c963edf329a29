/**
 * The finalizer that keeps a deleted GoModuleProxy until its cluster-wide ConfigMaps are gone:
 * they live in other namespaces, where an owner reference cannot point. Added and removed by
 * server-side apply with the operator's field manager, which owns this list entry and no other.
 */
import { API_VERSION, KIND } from '../api/goModuleProxy.ts';
import type { KubeObject } from '../render/index.ts';
import type { KubeApi } from './kubeApi.ts';

export const FINALIZER = 'gomodproxy.dev/cluster-wide-configmaps';

function finalizerApply(proxy: KubeObject, finalizers: string[]): KubeObject {
  return { apiVersion: API_VERSION, kind: KIND, metadata: { name: proxy.metadata.name, namespace: proxy.metadata.namespace!, finalizers } };
}

export async function addFinalizer(api: KubeApi, proxy: KubeObject): Promise<void> {
  await api.apply(finalizerApply(proxy, [FINALIZER]));
}

/** Applying an empty list gives up the entry this field manager owns; others' finalizers stay. */
export async function removeFinalizer(api: KubeApi, proxy: KubeObject): Promise<void> {
  await api.apply(finalizerApply(proxy, []));
}
