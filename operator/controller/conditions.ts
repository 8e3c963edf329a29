/**
 * Status conditions in the metav1.Condition shape. Each reconcile states all three conditions
 * afresh; lastTransitionTime is the time the status last flipped, so it is carried over from the
 * previous condition whenever status stays the same (a new reason or message is not a transition).
 */
import type { Condition, ConditionType } from '../api/goModuleProxy.ts';

export type ConditionState = { status: 'True' | 'False' | 'Unknown'; reason: string; message: string };

/** The reasons, declared once: the words a person sees in `kubectl describe`. */
export const REASONS = {
  available: 'Available',
  rollingOut: 'RollingOut',
  scaledToZero: 'ScaledToZero',
  reconciled: 'Reconciled',
  secretMissing: 'SecretMissing',
  invalidSettings: 'InvalidSettings',
  applyFailed: 'ApplyFailed',
  notReady: 'NotReady',
  podsFailing: 'PodsFailing',
  progressDeadlineExceeded: 'ProgressDeadlineExceeded',
  recovered: 'Recovered',
  configMapConflict: 'ConfigMapConflict',
  podMonitorUnavailable: 'PodMonitorUnavailable',
  secretConflict: 'SecretConflict',
} as const;

/** Kubernetes time: RFC 3339 in seconds, UTC. */
export function kubeTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function mergeConditions(
  previous: readonly Condition[] | undefined,
  next: Record<ConditionType, ConditionState>,
  observedGeneration: number,
  now: Date,
): Condition[] {
  return (Object.keys(next) as ConditionType[]).map((type) => {
    const state = next[type];
    const before = previous?.find((condition) => condition.type === type);
    return {
      type,
      status: state.status,
      observedGeneration,
      lastTransitionTime: before && before.status === state.status ? before.lastTransitionTime : kubeTime(now),
      reason: state.reason,
      message: state.message,
    };
  });
}
