// What the serving pods say is wrong, as the Degraded condition and the Event say it.
import { describe, expect, test } from 'vitest';
import { degradedTransition } from '../../operator/controller/events.ts';
import { brokenPodMessages, workloadProblem } from '../../operator/controller/podHealth.ts';
import { desiredConditions } from '../../operator/controller/status.ts';
import type { KubeObject } from '../../operator/render/index.ts';
import { goModuleProxy } from './fixtures.ts';

const pod = (name: string, status: object, namespace = 'goproxy'): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace }, status });
const waiting = (reason: string, message?: string, lastState?: object) => ({
  containerStatuses: [{ name: 'gomodproxy', state: { waiting: { reason, ...(message ? { message } : {}) } }, ...(lastState ? { lastState } : {}) }],
});

describe('broken serving pods', () => {
  test.each([
    [
      'a missing Secret key names the Secret and the key',
      waiting('CreateContainerConfigError', 'couldn\'t find key token in Secret goproxy/git-token'),
      'pod corp-1 container gomodproxy: CreateContainerConfigError: couldn\'t find key token in Secret goproxy/git-token; create the Secret or key it names, or fix the reference in the spec',
    ],
    [
      'an image that cannot be pulled says which and where to fix it',
      waiting('ImagePullBackOff', 'Back-off pulling image "registry.corp.example/gomodproxy:9"'),
      'pod corp-1 container gomodproxy: ImagePullBackOff: Back-off pulling image "registry.corp.example/gomodproxy:9"; check spec.image (or the operator\'s --proxy-image) and spec.imagePullSecrets',
    ],
    [
      'a crash loop gives the last exit, not the back-off delay, and the logs command',
      waiting('CrashLoopBackOff', 'back-off 40s restarting failed container', { terminated: { exitCode: 2, reason: 'Error', message: 'invalid setting upstream' } }),
      'pod corp-1 container gomodproxy: CrashLoopBackOff: exited with code 2 (Error): invalid setting upstream; see kubectl -n goproxy logs corp-1 -c gomodproxy --previous',
    ],
  ])('%s', (_name, status, message) => {
    expect(brokenPodMessages([pod('corp-1', status)], 'goproxy')).toEqual([message]);
  });

  test('starting containers, pods elsewhere and pods being deleted are not broken', () => {
    const deleting = { ...pod('corp-3', waiting('ErrImagePull')), metadata: { name: 'corp-3', namespace: 'goproxy', deletionTimestamp: '2026-01-01T00:00:00Z' } };
    expect(brokenPodMessages([pod('corp-1', waiting('ContainerCreating')), pod('corp-2', waiting('ErrImagePull'), 'elsewhere'), deleting], 'goproxy')).toEqual([]);
  });

  test('an unschedulable pod says what the scheduler said', () => {
    const status = { conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available: 3 node(s) had volume node affinity conflict.' }] };
    expect(brokenPodMessages([pod('corp-1', status)], 'goproxy')).toEqual(['pod corp-1 cannot be scheduled: 0/3 nodes are available: 3 node(s) had volume node affinity conflict.']);
  });

  test('a rollout past its deadline is Degraded and no longer Progressing; a crash loop is Degraded and still Progressing', () => {
    const proxy = goModuleProxy({ storage: { pvc: {} } });
    const deployment = (conditions: object[]): KubeObject => ({
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'corp', namespace: 'goproxy', generation: 2 },
      status: { observedGeneration: 2, replicas: 1, updatedReplicas: 1, readyReplicas: 0, conditions },
    });
    const stalled = deployment([{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "corp-5d4" has timed out progressing.' }]);
    const stalledWorkload = workloadProblem([], stalled, 'goproxy');
    expect(stalledWorkload).toEqual({ reason: 'ProgressDeadlineExceeded', message: 'Deployment corp: ProgressDeadlineExceeded: ReplicaSet "corp-5d4" has timed out progressing.' });
    const stalledConditions = desiredConditions(proxy, stalled, undefined, stalledWorkload);
    expect(stalledConditions.Degraded).toMatchObject({ status: 'True', reason: 'ProgressDeadlineExceeded' });
    expect(stalledConditions.Progressing).toMatchObject({ status: 'False', reason: 'ProgressDeadlineExceeded' });
    expect(stalledConditions.Ready).toMatchObject({ status: 'False', reason: 'ProgressDeadlineExceeded' });

    const crashing = workloadProblem([pod('corp-1', waiting('CrashLoopBackOff'))], deployment([]), 'goproxy');
    const crashingConditions = desiredConditions(proxy, deployment([]), undefined, crashing);
    expect(crashingConditions.Degraded).toMatchObject({ status: 'True', reason: 'PodsFailing' });
    expect(crashingConditions.Ready.message).toBe(`0 of 1 replicas ready, 1 updated: ${crashing!.message}`);
    expect(crashingConditions.Progressing).toMatchObject({ status: 'True', reason: 'RollingOut' });
  });

  test('many broken pods: five lines and a count', () => {
    const pods = Array.from({ length: 7 }, (_, i) => pod(`corp-${i}`, waiting('ErrImagePull', 'not found')));
    expect(workloadProblem(pods, undefined, 'goproxy')!.message).toMatch(/corp-4 .*; and 2 more$/);
  });
});

describe('Events on a change of Degraded', () => {
  const condition = (status: 'True' | 'False', reason: string, message: string) => ({ type: 'Degraded', status, reason, message, lastTransitionTime: '2026-01-01T00:00:00Z' });
  test.each([
    ['turning True', undefined, condition('True', 'PodsFailing', 'a'), { type: 'Warning', reason: 'PodsFailing', note: 'a' }],
    ['a new message while True', condition('True', 'PodsFailing', 'a'), condition('True', 'PodsFailing', 'b'), { type: 'Warning', reason: 'PodsFailing', note: 'b' }],
    ['the same again', condition('True', 'PodsFailing', 'a'), condition('True', 'PodsFailing', 'a'), undefined],
    ['recovering', condition('True', 'PodsFailing', 'a'), condition('False', 'Reconciled', 'fine'), { type: 'Normal', reason: 'Recovered', note: 'no longer degraded (was PodsFailing): fine' }],
    ['staying well', condition('False', 'Reconciled', 'fine'), condition('False', 'Reconciled', 'fine'), undefined],
  ] as const)('%s', (_name, before, after, event) => {
    expect(degradedTransition(before, after)).toEqual(event);
  });
});
