/** metav1.LabelSelector matching, for the namespaces that get the cluster-wide ConfigMap. */
import type { GoModuleProxySpec } from '../api/goModuleProxy.ts';

export type LabelSelector = GoModuleProxySpec['clusterWide']['namespaceSelector'];

/** An empty selector matches every namespace, as in Kubernetes. */
export function selectorMatches(selector: LabelSelector, labels: Record<string, string>): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[key] !== value) return false;
  }
  for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, key);
    const value = labels[key];
    if (operator === 'Exists' && !has) return false;
    if (operator === 'DoesNotExist' && has) return false;
    if (operator === 'In' && !(has && values.includes(value!))) return false;
    if (operator === 'NotIn' && has && values.includes(value!)) return false;
  }
  return true;
}
