/**
 * Objects a platform team expects beside a replicated service: a PodDisruptionBudget, so that a
 * node drain never takes every replica at once (only with more than one replica: with one, a
 * budget would block every drain), and, when asked, a NetworkPolicy that admits clients to the
 * proxy's port from the peers the spec names.
 */
import type { GoModuleProxy } from '../api/goModuleProxy.ts';
import { ownedMetadata, type KubeObject } from './kubeObject.ts';
import { SERVER_COMPONENT, objectNames, podSelectorLabels } from './labels.ts';
import { PROXY_PORT } from './proxySettings.ts';

export function renderPodDisruptionBudget(proxy: GoModuleProxy): KubeObject | undefined {
  if (proxy.spec.replicas <= 1) return undefined;
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: ownedMetadata(proxy, objectNames(proxy).deployment, SERVER_COMPONENT),
    spec: { maxUnavailable: 1, selector: { matchLabels: podSelectorLabels(proxy) } },
  };
}

export function renderNetworkPolicy(proxy: GoModuleProxy): KubeObject | undefined {
  const policy = proxy.spec.networkPolicy;
  if (!policy?.enabled) return undefined;
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: ownedMetadata(proxy, objectNames(proxy).deployment, SERVER_COMPONENT),
    spec: {
      podSelector: { matchLabels: podSelectorLabels(proxy) },
      policyTypes: ['Ingress'],
      // No peers: every pod in the cluster may reach the port (and nothing else of the pod).
      ingress: [{ ports: [{ protocol: 'TCP', port: PROXY_PORT }], ...(policy.from.length > 0 ? { from: policy.from } : {}) }],
    },
  };
}
