import type { GoModuleProxy } from '../api/goModuleProxy.ts';
import { ownedMetadata, type KubeObject } from './kubeObject.ts';
import { CLEANUP_COMPONENT, objectNames, ownedLabels, podSelectorLabels } from './labels.ts';
import { containerSecurityContext, containerVolumeMounts, podSecurityContext, podSpecExtras, podTemplateMetadata, podVolumes, proxyImage, scheduling, storageEnvironment, type RenderOptions } from './podParts.ts';
import { CONFIG_FILE } from './proxySettings.ts';

/**
 * Where the cleanup container writes its report, Kubernetes' default terminationMessagePath: the
 * kubelet copies the file into the pod's status, where the operator reads it for status.lastCleanup.
 */
export const TERMINATION_MESSAGE_PATH = '/dev/termination-log';

/** The cleanup command line: the proxy's own settings and storage, the spec's retention, the report. */
export function cleanupArgs(proxy: GoModuleProxy): string[] {
  const { retention } = proxy.spec;
  return [
    'cleanup',
    '--config',
    CONFIG_FILE,
    '--keep-since',
    retention.keepSince,
    '--keep-latest',
    String(retention.keepLatest),
    '--termination-message',
    TERMINATION_MESSAGE_PATH,
  ];
}

/** Requests that let the scheduler place the cleanup honestly; no limit, so a big store is not cut short. */
export const DEFAULT_CLEANUP_RESOURCES = { requests: { cpu: '50m', memory: '128Mi' } };

/**
 * A schedule missed by more than this (the controller down, the cluster paused) is skipped, not
 * run late: the next one comes.
 */
export const STARTING_DEADLINE_SECONDS = 3600;

/**
 * Where the cleanup pod may run. A ReadWriteOnce volume is attached to one node at a time: a
 * cleanup pod elsewhere would wait forever for it (Multi-Attach), so it must run on the node of a
 * serving pod, which holds the volume. Affinity to the serving pods says exactly that, and keeps
 * the user's own scheduling. With no serving pod (replicas 0) the volume is free anywhere;
 * ReadWriteMany and S3 are free anywhere too. (ReadWriteOncePod, which no second pod may mount,
 * is refused by the CRD.)
 */
export function cleanupScheduling(proxy: GoModuleProxy): Record<string, unknown> {
  const own = scheduling(proxy);
  const pvc = proxy.spec.storage.pvc;
  if (!pvc || pvc.accessModes.includes('ReadWriteMany') || proxy.spec.replicas === 0) return own;
  const affinity = (own['affinity'] ?? {}) as { podAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: unknown[] } };
  const besideServingPod = { labelSelector: { matchLabels: podSelectorLabels(proxy) }, topologyKey: 'kubernetes.io/hostname' };
  return {
    ...own,
    affinity: {
      ...affinity,
      podAffinity: {
        ...affinity.podAffinity,
        requiredDuringSchedulingIgnoredDuringExecution: [...(affinity.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []), besideServingPod],
      },
    },
  };
}

export function renderCronJob(proxy: GoModuleProxy, options: RenderOptions): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: ownedMetadata(proxy, objectNames(proxy).cronJob, CLEANUP_COMPONENT),
    spec: {
      schedule: proxy.spec.retention.schedule,
      // Two cleanups of one store at once would race over the same files.
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: STARTING_DEADLINE_SECONDS,
      successfulJobsHistoryLimit: 1,
      failedJobsHistoryLimit: 3,
      jobTemplate: {
        spec: {
          backoffLimit: 2,
          activeDeadlineSeconds: proxy.spec.retention.activeDeadlineSeconds,
          template: {
            // The owned labels (CLEANUP_POD_SELECTOR) let the operator watch these pods; the
            // component keeps them out of the Service, which selects 'server' only.
            metadata: podTemplateMetadata(proxy, ownedLabels(proxy, CLEANUP_COMPONENT)),
            spec: {
              restartPolicy: 'OnFailure',
              securityContext: podSecurityContext,
              automountServiceAccountToken: false,
              ...podSpecExtras(proxy),
              ...cleanupScheduling(proxy),
              containers: [
                {
                  name: 'cleanup',
                  image: proxyImage(proxy, options),
                  // The image's entrypoint is the gomodproxy command (Dockerfile): only its arguments here.
                  args: cleanupArgs(proxy),
                  terminationMessagePath: TERMINATION_MESSAGE_PATH,
                  // The report is the file only, never the log's tail: a log line is no report.
                  terminationMessagePolicy: 'File',
                  resources: proxy.spec.retention.resources ?? DEFAULT_CLEANUP_RESOURCES,
                  securityContext: containerSecurityContext,
                  env: storageEnvironment(proxy),
                  volumeMounts: containerVolumeMounts(proxy),
                },
              ],
              volumes: podVolumes(proxy),
            },
          },
        },
      },
    },
  };
}
