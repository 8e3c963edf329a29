/**
 * Every GoModuleProxy deleted, and gone, before the operator is: what the chart's pre-delete hook
 * runs on `helm uninstall`. Deleting only marks them; the operator, still running, removes their
 * cluster-wide ConfigMaps and then its finalizer, and the garbage collector takes what they own. A
 * proxy still there at the deadline is named with its finalizers, so the person can see why (most
 * often: the operator is not running), and the hook fails rather than leave it Terminating unseen.
 */
import { API_VERSION, PLURAL } from '../api/goModuleProxy.ts';
import { KubeApi, KubeApiError, objectPath, resourcePath } from '../controller/kubeApi.ts';
import { pollUntil } from './applyCrd.ts';

export async function deleteProxies(options: { kubeconfig?: string; namespace?: string; timeoutMs: number }): Promise<string[]> {
  const api = await KubeApi.connect({ ...(options.kubeconfig ? { kubeconfig: options.kubeconfig } : {}), fieldManager: 'gomodproxy-delete-proxies' });
  const collection = resourcePath(API_VERSION, PLURAL, options.namespace);
  const remaining = async () => {
    try {
      return (await api.list(collection)).items;
    } catch (err) {
      // No CRD, no GoModuleProxies.
      if (err instanceof KubeApiError && err.status === 404) return [];
      throw err;
    }
  };
  try {
    const proxies = await remaining();
    for (const proxy of proxies) await api.delete(objectPath(proxy));
    await pollUntil(async () => (await remaining()).length === 0, options.timeoutMs, async () => {
      const left = (await remaining()).map((proxy) => `${proxy.metadata.namespace}/${proxy.metadata.name} (finalizers: ${(proxy.metadata.finalizers ?? []).join(', ') || 'none'})`);
      return `GoModuleProxies still Terminating after ${options.timeoutMs / 1000} s: ${left.join('; ')}: the operator removes its finalizer once it has deleted their cluster-wide ConfigMaps; is it running?`;
    });
    return proxies.map((proxy) => `${proxy.metadata.namespace}/${proxy.metadata.name}`);
  } finally {
    await api.close();
  }
}
