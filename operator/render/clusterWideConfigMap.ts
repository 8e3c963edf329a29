/**
 * The cluster-wide publication: a ConfigMap with the go command's settings for this proxy in each
 * selected namespace, for pods to load with envFrom. GOPRIVATE is deliberately not published: on
 * a client it implies GONOPROXY, and the go command would then bypass the proxy for exactly the
 * private modules the proxy fetches from git. Private paths go into GONOSUMDB instead, since the
 * public checksum database cannot know them.
 */
import type { GoModuleProxy } from '../api/goModuleProxy.ts';
import type { KubeObject } from './kubeObject.ts';
import { MANAGED_BY, MANAGED_BY_LABEL, PROXY_NAME_LABEL, PROXY_NAMESPACE_LABEL, proxyUrl } from './labels.ts';

export function clusterWideSettings(proxy: GoModuleProxy): Record<string, string> {
  const noSumDb = [...new Set([...proxy.spec.private, ...proxy.spec.nosumdb])];
  return {
    GOPROXY: proxyUrl(proxy),
    GONOSUMDB: noSumDb.join(','),
    GOSUMDB: proxy.spec.sumdb,
  };
}

export function renderClusterWideConfigMap(proxy: GoModuleProxy, namespace: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: proxy.spec.clusterWide.configMapName,
      namespace,
      labels: {
        [MANAGED_BY_LABEL]: MANAGED_BY,
        'app.kubernetes.io/component': 'cluster-wide-settings',
        [PROXY_NAME_LABEL]: proxy.metadata.name,
        [PROXY_NAMESPACE_LABEL]: proxy.metadata.namespace,
      },
    },
    data: clusterWideSettings(proxy),
  };
}
