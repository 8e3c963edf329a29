import type { GoModuleProxy } from '../api/goModuleProxy.ts';
import { controllerReference, type KubeObject } from './kubeObject.ts';
import { objectNames, ownedLabels, podSelectorLabels } from './labels.ts';

export function renderService(proxy: GoModuleProxy): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: objectNames(proxy).service,
      namespace: proxy.metadata.namespace,
      labels: ownedLabels(proxy, 'server'),
      ownerReferences: [controllerReference(proxy)],
    },
    spec: {
      type: proxy.spec.service.type,
      selector: podSelectorLabels(proxy),
      ports: [{ name: 'http', port: proxy.spec.service.port, targetPort: 'http', protocol: 'TCP' }],
    },
  };
}
