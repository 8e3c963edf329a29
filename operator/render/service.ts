import type { GoModuleProxy } from '../api/goModuleProxy.ts';
import { ownedMetadata, type KubeObject } from './kubeObject.ts';
import { objectNames, podSelectorLabels } from './labels.ts';

export function renderService(proxy: GoModuleProxy): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: ownedMetadata(proxy, objectNames(proxy).service, 'server'),
    spec: {
      type: proxy.spec.service.type,
      selector: podSelectorLabels(proxy),
      ports: [{ name: 'http', port: proxy.spec.service.port, targetPort: 'http', protocol: 'TCP' }],
    },
  };
}
