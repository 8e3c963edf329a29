import type { GoModuleProxy } from '../api/goModuleProxy.ts';
import { ownedMetadata, type KubeObject } from './kubeObject.ts';
import { SERVER_COMPONENT, objectNames, ownedLabels, podSelectorLabels } from './labels.ts';
import { containerSecurityContext, containerVolumeMounts, gitTokenEnvironment, podSecurityContext, podSpecExtras, podTemplateMetadata, podVolumes, proxyImage, scheduling, storageEnvironment, type RenderOptions } from './podParts.ts';
import { CONFIG_FILE, PROXY_PORT, portName } from './proxySettings.ts';
import { accessVolumeMounts, accessVolumes, type NamespaceTokenHashes } from './accessSettings.ts';
import { namespaceTokensDigest } from './namespaceTokens.ts';

/** The pod template annotation whose change rolls the pods when the settings change. */
export const CONFIG_CHECKSUM_ANNOTATION = 'gomodproxy.dev/config-checksum';

/**
 * The pod template annotation whose change rolls the pods when a Secret they read changes: a
 * variable from a Secret is read once, when the container starts, so a rotated token or key
 * reaches the proxy only in a new pod.
 */
export const SECRETS_VERSION_ANNOTATION = 'gomodproxy.dev/secrets-version';

/** The pod template annotation whose change rolls the pods when a per-namespace token is issued or rotated. */
export const NAMESPACE_TOKENS_ANNOTATION = 'gomodproxy.dev/namespace-tokens';

/**
 * A ReadWriteOnce volume can be mounted by one node at a time: a rolling update would start the
 * new pod while the old one holds it, and wait forever. Recreate stops the old pod first.
 */
export function needsRecreate(proxy: GoModuleProxy): boolean {
  const pvc = proxy.spec.storage.pvc;
  return pvc !== undefined && !pvc.accessModes.includes('ReadWriteMany');
}

/** The spec's spread constraints, selecting this proxy's serving pods unless they say otherwise. */
function topologySpread(proxy: GoModuleProxy): Record<string, unknown> {
  const constraints = proxy.spec.pod.topologySpreadConstraints;
  if (!constraints) return {};
  return { topologySpreadConstraints: constraints.map((constraint) => ({ labelSelector: { matchLabels: podSelectorLabels(proxy) }, ...constraint })) };
}

export function renderDeployment(proxy: GoModuleProxy, configChecksum: string, options: RenderOptions, secretsVersion?: string, namespaceTokens: NamespaceTokenHashes = new Map()): KubeObject {
  const tokensDigest = namespaceTokensDigest(namespaceTokens);
  const port = portName(proxy);
  const scheme = port === 'https' ? { scheme: 'HTTPS' } : {};
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: ownedMetadata(proxy, objectNames(proxy).deployment, SERVER_COMPONENT),
    spec: {
      replicas: proxy.spec.replicas,
      selector: { matchLabels: podSelectorLabels(proxy) },
      strategy: needsRecreate(proxy) ? { type: 'Recreate' } : { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: podTemplateMetadata(proxy, ownedLabels(proxy, SERVER_COMPONENT), {
          [CONFIG_CHECKSUM_ANNOTATION]: configChecksum,
          ...(secretsVersion ? { [SECRETS_VERSION_ANNOTATION]: secretsVersion } : {}),
          ...(tokensDigest ? { [NAMESPACE_TOKENS_ANNOTATION]: tokensDigest } : {}),
        }),
        spec: {
          securityContext: podSecurityContext,
          automountServiceAccountToken: false,
          ...podSpecExtras(proxy),
          ...scheduling(proxy),
          ...topologySpread(proxy),
          containers: [
            {
              name: 'gomodproxy',
              image: proxyImage(proxy, options),
              // The image's entrypoint is the gomodproxy command (Dockerfile): only its arguments here.
              args: ['serve', '--config', CONFIG_FILE],
              ports: [{ name: port, containerPort: PROXY_PORT, protocol: 'TCP' }],
              env: [...gitTokenEnvironment(proxy), ...storageEnvironment(proxy)],
              // Up to 5 minutes to start (a busy node, a slow volume) before liveness may restart it.
              startupProbe: { httpGet: { path: '/healthz', port, ...scheme }, periodSeconds: 5, failureThreshold: 60 },
              livenessProbe: { httpGet: { path: '/healthz', port, ...scheme }, periodSeconds: 10, failureThreshold: 3 },
              readinessProbe: { httpGet: { path: '/readyz', port, ...scheme }, periodSeconds: 5, failureThreshold: 2 },
              ...(proxy.spec.resources ? { resources: proxy.spec.resources } : {}),
              securityContext: containerSecurityContext,
              volumeMounts: [...containerVolumeMounts(proxy), ...accessVolumeMounts(proxy, namespaceTokens)],
            },
          ],
          volumes: [...podVolumes(proxy), ...accessVolumes(proxy, namespaceTokens)],
        },
      },
    },
  };
}
