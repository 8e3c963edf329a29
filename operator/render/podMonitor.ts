/**
 * A PodMonitor (monitoring.coreos.com/v1, the Prometheus operator's) for the proxy's /metrics,
 * when the spec asks for one. The kind is a third party's: whether the cluster serves it is the
 * controller's question (controller/podMonitor.ts); rendering only says what it should be.
 */
import type { GoModuleProxy } from '../api/goModuleProxy.ts';
import { ownedMetadata, type KubeObject } from './kubeObject.ts';
import { SERVER_COMPONENT, objectNames, podSelectorLabels } from './labels.ts';

export const POD_MONITOR_API_VERSION = 'monitoring.coreos.com/v1';
export const POD_MONITOR_KIND = 'PodMonitor';

export function renderPodMonitor(proxy: GoModuleProxy): KubeObject | undefined {
  const podMonitor = proxy.spec.monitoring?.podMonitor;
  if (!podMonitor?.enabled) return undefined;
  const metadata = ownedMetadata(proxy, objectNames(proxy).deployment, SERVER_COMPONENT);
  return {
    apiVersion: POD_MONITOR_API_VERSION,
    kind: POD_MONITOR_KIND,
    // The operator's own labels win: they are how it finds what it owns.
    metadata: { ...metadata, labels: { ...podMonitor.labels, ...metadata.labels } },
    spec: {
      selector: { matchLabels: podSelectorLabels(proxy) },
      podMetricsEndpoints: [{ port: 'http', path: '/metrics', interval: podMonitor.interval }],
    },
  };
}
