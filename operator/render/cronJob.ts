import type { GoModuleProxy } from '../api/goModuleProxy.ts';
import { ownedMetadata, type KubeObject } from './kubeObject.ts';
import { objectNames, ownedLabels } from './labels.ts';
import { containerSecurityContext, containerVolumeMounts, podSecurityContext, podVolumes, proxyImage, scheduling, storageEnvironment, type RenderOptions } from './podParts.ts';
import { CONFIG_FILE } from './proxySettings.ts';

/** The cleanup command line: the proxy's own settings and storage, the spec's retention. */
export function cleanupArgs(proxy: GoModuleProxy): string[] {
  const { retention } = proxy.spec;
  return ['cleanup', '--config', CONFIG_FILE, '--keep-since', retention.keepSince, '--keep-latest', String(retention.keepLatest)];
}

export function renderCronJob(proxy: GoModuleProxy, options: RenderOptions): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: ownedMetadata(proxy, objectNames(proxy).cronJob, 'cleanup'),
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
            metadata: { labels: ownedLabels(proxy, 'cleanup') },
            spec: {
              restartPolicy: 'OnFailure',
              securityContext: podSecurityContext,
              automountServiceAccountToken: false,
              ...scheduling(proxy),
              containers: [
                {
                  name: 'cleanup',
                  image: proxyImage(proxy, options),
                  command: ['gomodproxy'],
                  args: cleanupArgs(proxy),
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
