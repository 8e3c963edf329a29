import type { GoModuleProxy } from '../api/goModuleProxy.ts';
import { ownedMetadata, type KubeObject } from './kubeObject.ts';
import { SERVER_COMPONENT, objectNames, ownedLabels, podSelectorLabels } from './labels.ts';
import { containerSecurityContext, containerVolumeMounts, gitTokenEnvironment, podSecurityContext, podVolumes, proxyImage, scheduling, storageEnvironment, type RenderOptions } from './podParts.ts';
import { CONFIG_FILE, PROXY_PORT } from './proxySettings.ts';

/** The pod template annotation whose change rolls the pods when the settings change. */
export const CONFIG_CHECKSUM_ANNOTATION = 'gomodproxy.dev/config-checksum';

/**
 * A ReadWriteOnce volume can be mounted by one node at a time: a rolling update would start the
 * new pod while the old one holds it, and wait forever. Recreate stops the old pod first.
 */
export function needsRecreate(proxy: GoModuleProxy): boolean {
  const pvc = proxy.spec.storage.pvc;
  return pvc !== undefined && !pvc.accessModes.includes('ReadWriteMany');
}

export function renderDeployment(proxy: GoModuleProxy, configChecksum: string, options: RenderOptions): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: ownedMetadata(proxy, objectNames(proxy).deployment, SERVER_COMPONENT),
    spec: {
      replicas: proxy.spec.replicas,
      selector: { matchLabels: podSelectorLabels(proxy) },
      strategy: needsRecreate(proxy) ? { type: 'Recreate' } : { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: {
          labels: ownedLabels(proxy, SERVER_COMPONENT),
          annotations: { [CONFIG_CHECKSUM_ANNOTATION]: configChecksum },
        },
        spec: {
          securityContext: podSecurityContext,
          automountServiceAccountToken: false,
          ...scheduling(proxy),
          containers: [
            {
              name: 'gomodproxy',
              image: proxyImage(proxy, options),
              // The image's entrypoint is the gomodproxy command (Dockerfile): only its arguments here.
              args: ['serve', '--config', CONFIG_FILE],
              ports: [{ name: 'http', containerPort: PROXY_PORT, protocol: 'TCP' }],
              env: [...gitTokenEnvironment(proxy), ...storageEnvironment(proxy)],
              livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 10, failureThreshold: 3 },
              readinessProbe: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 5, failureThreshold: 2 },
              ...(proxy.spec.resources ? { resources: proxy.spec.resources } : {}),
              securityContext: containerSecurityContext,
              volumeMounts: containerVolumeMounts(proxy),
            },
          ],
          volumes: podVolumes(proxy),
        },
      },
    },
  };
}
