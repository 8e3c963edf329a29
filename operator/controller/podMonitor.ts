/**
 * The PodMonitor of a GoModuleProxy. PodMonitor is the Prometheus operator's kind, which a cluster
 * may not serve: that is asked by discovery before anything is applied, and a spec that asks for a
 * PodMonitor where there is none becomes a problem (Degraded, with what to do) rather than an apply
 * that fails, is retried with back-off and fails again. Installing the CRDs later is picked up at
 * the next reconcile (a resync or any change of the resource).
 *
 * Not cached by an informer (an informer of a kind that is not served would never fill): the
 * current PodMonitor is read when there should be one, and drift is judged as for every owned
 * object (applyOwned.ts), so a steady resource costs two reads and no write.
 */
import type { GoModuleProxy } from '../api/goModuleProxy.ts';
import { POD_MONITOR_API_VERSION, POD_MONITOR_KIND, renderPodMonitor } from '../render/index.ts';
import { applyIfChanged } from './applyOwned.ts';
import { REASONS } from './conditions.ts';
import { objectPath, pluralOf, type KubeApi } from './kubeApi.ts';
import type { Problem } from './status.ts';

export type PodMonitorOutcome = { requests: number; problem?: Problem };

export async function reconcilePodMonitor(api: KubeApi, proxy: GoModuleProxy): Promise<PodMonitorOutcome> {
  const desired = renderPodMonitor(proxy);
  const plural = pluralOf(POD_MONITOR_KIND);
  // Never asked for: nothing to read (one the spec asked for before is deleted with the proxy, or below).
  if (!desired && !proxy.spec.monitoring?.podMonitor) return { requests: 0 };
  if (!(await api.serves(POD_MONITOR_API_VERSION, plural))) {
    if (!desired) return { requests: 0 };
    return {
      requests: 0,
      problem: {
        reason: REASONS.podMonitorUnavailable,
        message: `spec.monitoring.podMonitor: this cluster does not serve ${POD_MONITOR_API_VERSION} ${POD_MONITOR_KIND}: install the Prometheus operator's CRDs (then it is made at the next reconcile), or set spec.monitoring.podMonitor.enabled to false`,
      },
    };
  }
  const path = objectPath({ apiVersion: POD_MONITOR_API_VERSION, kind: POD_MONITOR_KIND, metadata: { name: proxy.metadata.name, namespace: proxy.metadata.namespace } });
  const current = await api.get(path);
  if (desired) return { requests: (await applyIfChanged(api, desired, current)) === 'applied' ? 1 : 0 };
  // Turned off: deleted if it is this proxy's own.
  if (!current || current.metadata.deletionTimestamp || !current.metadata.ownerReferences?.some((owner) => owner.uid === proxy.metadata.uid)) return { requests: 0 };
  await api.delete(path);
  return { requests: 1 };
}
