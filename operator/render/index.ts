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

export { renderClusterWideConfigMap, clusterWideSettings } from './clusterWideConfigMap.ts';
export { CONFIG_KEY, configChecksum } from './configMap.ts';
export { cleanupArgs } from './cronJob.ts';
export { CONFIG_CHECKSUM_ANNOTATION, SECRETS_VERSION_ANNOTATION, needsRecreate } from './deployment.ts';
export type { KubeObject, OwnerReference } from './kubeObject.ts';
export * from './labels.ts';
export { selectorMatches } from './namespaceSelector.ts';
export type { RenderOptions } from './podParts.ts';
export { POD_MONITOR_API_VERSION, POD_MONITOR_KIND, renderPodMonitor } from './podMonitor.ts';
export { RenderError, proxySettings } from './proxySettings.ts';

/**
 * Every object in the GoModuleProxy's namespace, in the order they are applied (what others mount
 * first). secretsVersion: what the Secrets the pods read are now (the controller's digest of their
 * resourceVersions), so that a change of one rolls the pods.
 */
export function renderOwnedObjects(proxy: GoModuleProxy, options: RenderOptions, secretsVersion?: string): KubeObject[] {
  const configMap = renderConfigMap(proxy);
  const pvc = renderPersistentVolumeClaim(proxy);
  const budget = renderPodDisruptionBudget(proxy);
  const networkPolicy = renderNetworkPolicy(proxy);
  return [
    configMap,
    ...(pvc ? [pvc] : []),
    renderService(proxy),
    renderDeployment(proxy, configChecksum(configMap), options, secretsVersion),
    renderCronJob(proxy, options),
    ...(budget ? [budget] : []),
    ...(networkPolicy ? [networkPolicy] : []),
  ];
}

/**
 * Kinds rendered only under some spec: an object of one that the rendering no longer asks for
 * (replicas down to one, the NetworkPolicy turned off) is deleted. Other kinds are never deleted
 * by reconcile (the PVC holds the modules).
 */
export const CONDITIONAL_KINDS = ['PodDisruptionBudget', 'NetworkPolicy'] as const;
