/**
 * What the serving pods and their Deployment say is wrong, in words a person can act on. The
 * Deployment's own status only counts ready replicas: a container that cannot start looks the same
 * as one that is still starting. The kubelet says why in each container's waiting state, and the
 * deployment controller gives up on a rollout with ProgressDeadlineExceeded; those become the
 * Degraded condition (status.ts) and a Warning Event (events.ts).
 *
 * The rules:
 *   - a container waiting for one of BROKEN_WAITING_REASONS is broken; a container waiting for
 *     anything else (ContainerCreating, PodInitializing) is starting;
 *   - a pod the scheduler cannot place (PodScheduled False, Unschedulable) is broken;
 *   - only pods in the GoModuleProxy's own namespace count (labels alone could be forged elsewhere),
 *     and a pod being deleted does not;
 *   - messages carry nothing that changes while nothing changes (no back-off delay, no restart
 *     count), so that a status that says the same thing is not written again.
 */
import type { KubeObject } from '../render/index.ts';
import { REASONS } from './conditions.ts';

/** The kubelet's waiting reasons of a container that will not start without a change. */
export const BROKEN_WAITING_REASONS = [
  'CrashLoopBackOff',
  'ImagePullBackOff',
  'ErrImagePull',
  'InvalidImageName',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
] as const;

/** What to do about each reason; the kubelet's own message says which image, Secret or key. */
const ADVICE: Record<string, (pod: string, container: string, namespace: string) => string> = {
  CrashLoopBackOff: (pod, container, namespace) => `see kubectl -n ${namespace} logs ${pod} -c ${container} --previous`,
  ImagePullBackOff: () => 'check spec.image (or the operator\'s --proxy-image) and spec.imagePullSecrets',
  ErrImagePull: () => 'check spec.image (or the operator\'s --proxy-image) and spec.imagePullSecrets',
  InvalidImageName: () => 'fix spec.image',
  CreateContainerConfigError: () => 'create the Secret or key it names, or fix the reference in the spec',
  CreateContainerError: (pod, _container, namespace) => `see kubectl -n ${namespace} describe pod ${pod}`,
  RunContainerError: (pod, _container, namespace) => `see kubectl -n ${namespace} describe pod ${pod}`,
};

type ContainerStatus = {
  name: string;
  state?: { waiting?: { reason?: string; message?: string } };
  lastState?: { terminated?: { exitCode?: number; reason?: string; message?: string } };
};

type PodStatus = {
  phase?: string;
  conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
  containerStatuses?: ContainerStatus[];
  initContainerStatuses?: ContainerStatus[];
};

/** A message of the kubelet or scheduler, on one line and short enough for a condition. */
function shortened(text: string | undefined, limit = 300): string {
  const line = (text ?? '').replace(/\s+/g, ' ').trim();
  return line.length > limit ? `${line.slice(0, limit - 1)}…` : line;
}

function containerProblem(pod: string, namespace: string, container: ContainerStatus): string | undefined {
  const waiting = container.state?.waiting;
  const reason = waiting?.reason;
  if (!reason || !(BROKEN_WAITING_REASONS as readonly string[]).includes(reason)) return undefined;
  // CrashLoopBackOff's own message is only the back-off delay; the last exit says why.
  const terminated = container.lastState?.terminated;
  const detail =
    reason === 'CrashLoopBackOff'
      ? terminated
        ? `exited with code ${terminated.exitCode ?? '?'}${terminated.reason ? ` (${terminated.reason})` : ''}${terminated.message ? `: ${shortened(terminated.message)}` : ''}`
        : ''
      : shortened(waiting?.message);
  return `pod ${pod} container ${container.name}: ${reason}${detail ? `: ${detail}` : ''}; ${ADVICE[reason]!(pod, container.name, namespace)}`;
}

/** One line per broken container or unschedulable pod, in pod name order. */
export function brokenPodMessages(pods: KubeObject[], namespace: string): string[] {
  const messages: string[] = [];
  const sorted = [...pods].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  for (const pod of sorted) {
    if (pod.metadata.namespace !== namespace || pod.metadata.deletionTimestamp) continue;
    const status = (pod['status'] ?? {}) as PodStatus;
    const name = pod.metadata.name;
    const unschedulable = status.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable');
    if (unschedulable) messages.push(`pod ${name} cannot be scheduled: ${shortened(unschedulable.message)}`);
    for (const container of [...(status.initContainerStatuses ?? []), ...(status.containerStatuses ?? [])]) {
      const problem = containerProblem(name, namespace, container);
      if (problem) messages.push(problem);
    }
  }
  return messages;
}

/** The deployment controller's verdict that the rollout is stuck, if it gave one. */
export function stalledRollout(deployment: KubeObject | undefined): string | undefined {
  const conditions = ((deployment?.['status'] ?? {}) as { conditions?: Array<{ type: string; status: string; reason?: string; message?: string }> }).conditions;
  const progressing = conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.status !== 'False' || progressing.reason !== 'ProgressDeadlineExceeded') return undefined;
  return `Deployment ${deployment!.metadata.name}: ProgressDeadlineExceeded: ${shortened(progressing.message)}`;
}

/** At most this many lines in the condition; the rest are counted. */
const MAX_LINES = 5;

/** The Degraded message of what the pods and the rollout say, or undefined when nothing is broken. */
export function workloadProblem(pods: KubeObject[], deployment: KubeObject | undefined, namespace: string): { reason: string; message: string } | undefined {
  const stalled = stalledRollout(deployment);
  const broken = brokenPodMessages(pods, namespace);
  const lines = [...(stalled ? [stalled] : []), ...broken];
  if (lines.length === 0) return undefined;
  const shown = lines.slice(0, MAX_LINES);
  const more = lines.length > MAX_LINES ? `; and ${lines.length - MAX_LINES} more` : '';
  return { reason: broken.length > 0 ? REASONS.podsFailing : REASONS.progressDeadlineExceeded, message: shown.join('; ') + more };
}
