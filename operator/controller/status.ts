/**
 * The status of a GoModuleProxy, from what reconcile found: its Deployment's own status (as the
 * deployment controller reports it), the last cleanup its jobs reported (lastCleanup.ts), the
 * vulnerability database snapshot a ready pod reports (vulndbStatus.ts) and the problem, if any,
 * that stopped reconcile. Written through the status subresource, and only when
 * it differs from what is there.
 */
import { isDeepStrictEqual } from 'node:util';
import { API_VERSION, KIND, type ConditionType, type GoModuleProxy, type GoModuleProxyStatus, type LastCleanup, type VulndbStatus } from '../api/goModuleProxy.ts';
import { proxyUrl, proxyWebUrl, type KubeObject } from '../render/index.ts';
import { mergeConditions, REASONS, type ConditionState } from './conditions.ts';
import type { KubeApi } from './kubeApi.ts';

/** What stopped reconcile: a reason from REASONS and a message saying what to fix. */
export type Problem = { reason: string; message: string };

type DeploymentStatus = { observedGeneration?: number; replicas?: number; updatedReplicas?: number; readyReplicas?: number; availableReplicas?: number };

/**
 * problem: what stopped reconcile; workload: what the pods and the rollout say is broken
 * (podHealth.ts). Either makes Degraded True; a broken workload also says why Ready is False.
 */
export function desiredConditions(
  proxy: GoModuleProxy,
  deployment: KubeObject | undefined,
  problem: Problem | undefined,
  workload?: Problem,
): Record<ConditionType, ConditionState> {
  const wanted = proxy.spec.replicas;
  const status = (deployment?.['status'] ?? {}) as DeploymentStatus;
  const ready = status.readyReplicas ?? 0;
  const updated = status.updatedReplicas ?? 0;
  const observed = deployment !== undefined && (status.observedGeneration ?? 0) >= (deployment.metadata.generation ?? 0);
  const rolledOut = observed && updated === wanted && ready === wanted && (status.replicas ?? 0) === wanted;

  const degraded: ConditionState =
    problem && workload
      ? { status: 'True', reason: problem.reason, message: `${problem.message}; ${workload.message}` }
      : problem || workload
        ? { status: 'True', ...(problem ?? workload)! }
        : { status: 'False', reason: REASONS.reconciled, message: 'every owned object is as the spec says, and its pods start' };

  let readyState: ConditionState;
  let progressing: ConditionState;
  if (!deployment) {
    readyState = { status: 'False', reason: problem?.reason ?? REASONS.notReady, message: problem ? `not deployed: ${problem.message}` : 'the Deployment does not exist yet' };
    progressing = { status: problem ? 'False' : 'True', reason: problem ? problem.reason : REASONS.rollingOut, message: problem ? 'waiting for the problem to be fixed' : 'creating the Deployment' };
  } else if (wanted === 0) {
    readyState = { status: 'False', reason: REASONS.scaledToZero, message: 'spec.replicas is 0: nothing serves' };
    progressing = { status: 'False', reason: REASONS.scaledToZero, message: 'spec.replicas is 0' };
  } else if (rolledOut) {
    readyState = { status: 'True', reason: REASONS.available, message: `${ready} of ${wanted} replicas ready` };
    progressing = { status: 'False', reason: REASONS.available, message: 'the rollout is complete' };
  } else if (workload) {
    const counts = `${ready} of ${wanted} replicas ready, ${updated} updated`;
    readyState = { status: 'False', reason: workload.reason, message: `${counts}: ${workload.message}` };
    progressing = workload.reason === REASONS.progressDeadlineExceeded
      ? { status: 'False', reason: workload.reason, message: 'the Deployment gave up waiting for its pods; fix what Degraded says' }
      : { status: 'True', reason: REASONS.rollingOut, message: counts };
  } else {
    readyState = { status: 'False', reason: REASONS.rollingOut, message: `${ready} of ${wanted} replicas ready, ${updated} updated` };
    progressing = { status: 'True', reason: REASONS.rollingOut, message: `${ready} of ${wanted} replicas ready, ${updated} updated` };
  }
  return { Ready: readyState, Progressing: progressing, Degraded: degraded };
}

/** What reconcile observed besides the resource: its Deployment, what is broken in its pods, the latest cleanup report. */
export type Observed = { deployment: KubeObject | undefined; workload?: Problem | undefined; lastCleanup: LastCleanup | undefined; vulndb?: VulndbStatus | undefined };

export function desiredStatus(proxy: GoModuleProxy, observed: Observed, problem: Problem | undefined, now: Date): GoModuleProxyStatus {
  const { deployment, workload, lastCleanup, vulndb } = observed;
  const deploymentStatus = (deployment?.['status'] ?? {}) as DeploymentStatus;
  const generation = proxy.metadata.generation ?? 0;
  return {
    observedGeneration: generation,
    url: proxyUrl(proxy),
    webUrl: proxyWebUrl(proxy),
    readyReplicas: deploymentStatus.readyReplicas ?? 0,
    conditions: mergeConditions(proxy.status?.conditions, desiredConditions(proxy, deployment, problem, workload), generation, now),
    ...(lastCleanup ? { lastCleanup } : {}),
    ...(vulndb ? { vulndb } : {}),
  };
}

/** Applies the status when it differs from the one the cache holds; true when a request was sent. */
export async function applyStatusIfChanged(api: KubeApi, proxy: GoModuleProxy, status: GoModuleProxyStatus): Promise<boolean> {
  if (isDeepStrictEqual(normalise(proxy.status), normalise(status))) return false;
  await api.apply(
    { apiVersion: API_VERSION, kind: KIND, metadata: { name: proxy.metadata.name, namespace: proxy.metadata.namespace }, status },
    'status',
  );
  return true;
}

/** JSON round trip: undefined fields and field order do not make two statuses differ. */
function normalise(status: GoModuleProxyStatus | undefined): unknown {
  if (!status) return undefined;
  const copy = JSON.parse(JSON.stringify(status)) as GoModuleProxyStatus;
  copy.conditions?.sort((a, b) => a.type.localeCompare(b.type));
  return sortKeys(copy);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, sortKeys(v)]));
  }
  return value;
}
