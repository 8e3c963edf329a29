/**
 * A GoModuleProxy -> the objects it should own, as pure functions: no cluster, no clock. The
 * controller applies what these return; tests check them without a cluster.
 */
import type { GoModuleProxy } from '../api/goModuleProxy.ts';
import { renderNetworkPolicy, renderPodDisruptionBudget } from './availability.ts';
import { configChecksum, renderConfigMap } from './configMap.ts';
import { renderCronJob } from './cronJob.ts';
import { renderDeployment } from './deployment.ts';
import type { KubeObject } from './kubeObject.ts';
import { renderPersistentVolumeClaim } from './persistentVolumeClaim.ts';
import type { RenderOptions } from './podParts.ts';
import { renderService } from './service.ts';
import { netrcEnabled, type NamespaceTokenHashes } from './accessSettings.ts';
import { renderNamespaceTokensSecret } from './namespaceTokens.ts';

export { renderClusterWideConfigMap, clusterWideSettings } from './clusterWideConfigMap.ts';
export { CONFIG_KEY, configChecksum } from './configMap.ts';
export { cleanupArgs } from './cronJob.ts';
export { CONFIG_CHECKSUM_ANNOTATION, NAMESPACE_TOKENS_ANNOTATION, SECRETS_VERSION_ANNOTATION, needsRecreate } from './deployment.ts';
export { AUTH_MOUNT, TLS_CERT_KEY, TLS_KEY_KEY, TLS_MOUNT, namespaceIdentity, namespaceTokensSecretName, netrcEnabled, type NamespaceTokenHashes } from './accessSettings.ts';
export { NETRC_COMPONENT, NETRC_KEY, TOKEN_KEY, TOKEN_ROTATION_ANNOTATION, netrcText, renderNetrcSecret, tokenHash } from './namespaceTokens.ts';
export type { KubeObject, OwnerReference } from './kubeObject.ts';
export * from './labels.ts';
export { selectorMatches } from './namespaceSelector.ts';
export type { RenderOptions } from './podParts.ts';
export { POD_MONITOR_API_VERSION, POD_MONITOR_KIND, renderPodMonitor } from './podMonitor.ts';
export { RenderError, proxySettings } from './proxySettings.ts';

/**
 * Every object in the GoModuleProxy's namespace, in the order they are applied (what others mount
 * first). secretsVersion: what the Secrets the pods read are now (the controller's digest of their
 * resourceVersions), so that a change of one rolls the pods. namespaceTokens: the hashes of the
 * per-namespace tokens the controller issued (namespaceTokens.ts).
 */
export function renderOwnedObjects(proxy: GoModuleProxy, options: RenderOptions, secretsVersion?: string, namespaceTokens: NamespaceTokenHashes = new Map()): KubeObject[] {
  const configMap = renderConfigMap(proxy, namespaceTokens);
  const tokensSecret = netrcEnabled(proxy) ? renderNamespaceTokensSecret(proxy, namespaceTokens) : undefined;
  const pvc = renderPersistentVolumeClaim(proxy);
  const budget = renderPodDisruptionBudget(proxy);
  const networkPolicy = renderNetworkPolicy(proxy);
  return [
    configMap,
    ...(tokensSecret ? [tokensSecret] : []),
    ...(pvc ? [pvc] : []),
    renderService(proxy),
    renderDeployment(proxy, configChecksum(configMap), options, secretsVersion, namespaceTokens),
    renderCronJob(proxy, options),
    ...(budget ? [budget] : []),
    ...(networkPolicy ? [networkPolicy] : []),
  ];
}

/**
 * Kinds rendered only under some spec: an object of one that the rendering no longer asks for
 * (replicas down to one, the NetworkPolicy turned off, the namespace tokens' Secret when .netrc
 * tokens are no longer asked for) is deleted. Other kinds are never deleted
 * by reconcile (the PVC holds the modules).
 */
export const CONDITIONAL_KINDS = ['PodDisruptionBudget', 'NetworkPolicy', 'Secret'] as const;
