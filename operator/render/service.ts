import type { GoModuleProxy } from '../api/goModuleProxy.ts';
import { ownedMetadata, type KubeObject } from './kubeObject.ts';
import { SERVER_COMPONENT, objectNames, podSelectorLabels } from './labels.ts';
import { portName } from './proxySettings.ts';

export function renderService(proxy: GoModuleProxy): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: ownedMetadata(proxy, objectNames(proxy).service, SERVER_COMPONENT),
    spec: {
      type: proxy.spec.service.type,
      selector: podSelectorLabels(proxy),
      ports: [{ name: portName(proxy), port: proxy.spec.service.port, targetPort: portName(proxy), protocol: 'TCP' }],
    },
  };
}
