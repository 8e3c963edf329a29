import type { GoModuleProxy } from '../api/goModuleProxy.ts';
import { ownedMetadata, type KubeObject } from './kubeObject.ts';
import { CLEANUP_COMPONENT, objectNames, ownedLabels } from './labels.ts';
import { containerSecurityContext, containerVolumeMounts, podSecurityContext, podVolumes, proxyImage, scheduling, storageEnvironment, type RenderOptions } from './podParts.ts';
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

export function renderCronJob(proxy: GoModuleProxy, options: RenderOptions): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: ownedMetadata(proxy, objectNames(proxy).cronJob, CLEANUP_COMPONENT),
    spec: {
      schedule: proxy.spec.retention.schedule,
      // Two cleanups of one store at once would race over the same files.
      concurrencyPolicy: 'Forbid',
      successfulJobsHistoryLimit: 1,
      failedJobsHistoryLimit: 3,
      jobTemplate: {
        spec: {
          backoffLimit: 2,
          template: {
            // The owned labels (CLEANUP_POD_SELECTOR) let the operator watch these pods; the
            // component keeps them out of the Service, which selects 'server' only.
            metadata: { labels: ownedLabels(proxy, CLEANUP_COMPONENT) },
            spec: {
              restartPolicy: 'OnFailure',
              securityContext: podSecurityContext,
              automountServiceAccountToken: false,
              ...scheduling(proxy),
              containers: [
                {
                  name: 'cleanup',
                  image: proxyImage(proxy, options),
                  // The image's entrypoint is the gomodproxy command (Dockerfile): only its arguments here.
                  args: cleanupArgs(proxy),
                  terminationMessagePath: TERMINATION_MESSAGE_PATH,
                  // The report is the file only, never the log's tail: a log line is no report.
                  terminationMessagePolicy: 'File',
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
