/**
 * What the operator may do in the cluster, and nothing more: a ClusterRole for its service
 * account. Server-side apply is the verb patch, and create as well when the object is new.
 * Secrets the spec names are only listed and watched as metadata, to learn whether a referenced
 * one exists; their data is never read. Secrets the operator writes itself (the per-namespace
 * .netrc tokens in the selected namespaces, the tokens' hashes beside the proxy) are created,
 * applied, read back (by label) and deleted; RBAC cannot narrow verbs to a label, so the rule
 * names secrets whole. Pods are only listed and watched, those of the cleanup jobs, for the
 * report in their termination message (status.lastCleanup), and the serving pods, for what keeps
 * them from starting (the Degraded condition). Events are created (a Warning when a GoModuleProxy
 * turns Degraded). `gomoduleproxies/finalizers` update is what OwnerReferencesPermissionEnforcement
 * (on by default in OpenShift) asks of whoever sets an owner reference with blockOwnerDeletion.
 * PodMonitors (the Prometheus operator's) are read and applied one by one, for the spec that asks.
 * Leases are read and written for leader election.
 * test/cluster/rbac.test.ts runs the operator as a user bound to exactly this role.
 */
import { GROUP, PLURAL } from './goModuleProxy.ts';

export type PolicyRule = { apiGroups: string[]; resources: string[]; verbs: string[] };

export const OPERATOR_RULES: PolicyRule[] = [
  { apiGroups: [GROUP], resources: [PLURAL], verbs: ['get', 'list', 'watch', 'patch'] },
  { apiGroups: [GROUP], resources: [`${PLURAL}/status`], verbs: ['patch'] },
  { apiGroups: [GROUP], resources: [`${PLURAL}/finalizers`], verbs: ['update'] },
  { apiGroups: [''], resources: ['configmaps', 'services', 'persistentvolumeclaims'], verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'] },
  { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list', 'watch', 'create', 'patch'] },
  { apiGroups: ['batch'], resources: ['cronjobs'], verbs: ['get', 'list', 'watch', 'create', 'patch'] },
  { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'] },
  { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'] },
  { apiGroups: ['monitoring.coreos.com'], resources: ['podmonitors'], verbs: ['get', 'create', 'patch', 'delete'] },
  { apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch'] },
  { apiGroups: [''], resources: ['namespaces'], verbs: ['list', 'watch'] },
  { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'] },
  { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create', 'patch'] },
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
];

/**
 * What the chart's hooks may do, and only while they run (cli/lifecycle.ts): apply the CRD before
 * an upgrade; list and delete GoModuleProxies before an uninstall. test/helm/hooks.test.ts runs
 * both commands as a user bound to exactly this.
 */
export const HOOK_RULES: PolicyRule[] = [
  { apiGroups: ['apiextensions.k8s.io'], resources: ['customresourcedefinitions'], verbs: ['get', 'create', 'patch'] },
  { apiGroups: [GROUP], resources: [PLURAL], verbs: ['list', 'delete'] },
];

export function operatorClusterRole(name = 'gomodproxy-operator'): object {
  return { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name }, rules: OPERATOR_RULES };
}
