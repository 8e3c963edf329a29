/**
 * What the proxy's pods and the cleanup job's pods share: the image, the volumes (settings, the
 * module storage, writable scratch folders under a read-only root filesystem), the git tokens as
 * environment variables from their Secrets, and a locked-down security context.
 */
import type { GoModuleProxy } from '../api/goModuleProxy.ts';
import { objectNames } from './labels.ts';
import { CONFIG_MOUNT, DATA_MOUNT, GIT_CACHE_MOUNT, gitTokenVariable } from './proxySettings.ts';

/** The uid and gid of the distroless "nonroot" user; any non-zero id would do. */
const NON_ROOT_ID = 65532;

export type RenderOptions = {
  /** The image used when the spec names none. */
  defaultImage: string;
};

export function proxyImage(proxy: GoModuleProxy, options: RenderOptions): string {
  return proxy.spec.image ?? options.defaultImage;
}

/** The volumes: settings, the module store (a PVC; none with S3 storage) and scratch folders. */
export function podVolumes(proxy: GoModuleProxy): object[] {
  return [
    { name: 'config', configMap: { name: objectNames(proxy).config } },
    ...(proxy.spec.storage.pvc ? [{ name: 'data', persistentVolumeClaim: { claimName: objectNames(proxy).pvc } }] : []),
    // Bounded, so that a runaway clone or download is an eviction of this pod, not a full node disk.
    { name: 'git-cache', emptyDir: { sizeLimit: proxy.spec.pod.gitCacheSizeLimit } },
    { name: 'tmp', emptyDir: { sizeLimit: proxy.spec.pod.tmpSizeLimit } },
  ];
}

export function containerVolumeMounts(proxy: GoModuleProxy): object[] {
  return [
    { name: 'config', mountPath: CONFIG_MOUNT, readOnly: true },
    ...(proxy.spec.storage.pvc ? [{ name: 'data', mountPath: DATA_MOUNT }] : []),
    { name: 'git-cache', mountPath: GIT_CACHE_MOUNT },
    { name: 'tmp', mountPath: '/tmp' },
  ];
}

export function gitTokenEnvironment(proxy: GoModuleProxy): object[] {
  return proxy.spec.gitCredentials.map((credential, index) => ({
    name: gitTokenVariable(index),
    valueFrom: { secretKeyRef: { name: credential.secretRef.name, key: credential.secretRef.key } },
  }));
}

/**
 * S3 credentials, from the Secret the spec names, as the variables the AWS SDK reads
 * (the settings file names no credentials, so the SDK's own chain finds these).
 */
export function storageEnvironment(proxy: GoModuleProxy): object[] {
  const s3 = proxy.spec.storage.s3;
  if (!s3) return [];
  return S3_CREDENTIAL_KEYS.map((key) => ({ name: key, valueFrom: { secretKeyRef: { name: s3.credentialsSecretRef.name, key } } }));
}

/** The keys an S3 credentials Secret must hold. */
export const S3_CREDENTIAL_KEYS = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] as const;

export const podSecurityContext = {
  runAsNonRoot: true,
  runAsUser: NON_ROOT_ID,
  runAsGroup: NON_ROOT_ID,
  fsGroup: NON_ROOT_ID,
  seccompProfile: { type: 'RuntimeDefault' },
};

export const containerSecurityContext = {
  readOnlyRootFilesystem: true,
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
};

export function scheduling(proxy: GoModuleProxy): Record<string, unknown> {
  const { scheduling } = proxy.spec;
  return {
    ...(scheduling?.nodeSelector ? { nodeSelector: scheduling.nodeSelector } : {}),
    ...(scheduling?.tolerations ? { tolerations: scheduling.tolerations } : {}),
    ...(scheduling?.affinity ? { affinity: scheduling.affinity } : {}),
  };
}

/** What the spec adds to every pod (serving and cleanup): pull secrets, service account, priority. */
export function podSpecExtras(proxy: GoModuleProxy): Record<string, unknown> {
  const { imagePullSecrets, serviceAccountName, priorityClassName } = proxy.spec.pod;
  return {
    ...(imagePullSecrets ? { imagePullSecrets } : {}),
    ...(serviceAccountName ? { serviceAccountName } : {}),
    ...(priorityClassName ? { priorityClassName } : {}),
  };
}

/** A pod template's labels and annotations: the spec's, then the operator's own, which win. */
export function podTemplateMetadata(proxy: GoModuleProxy, labels: Record<string, string>, annotations: Record<string, string> = {}): { labels: Record<string, string>; annotations?: Record<string, string> } {
  const allAnnotations = { ...proxy.spec.pod.annotations, ...annotations };
  return { labels: { ...proxy.spec.pod.labels, ...labels }, ...(Object.keys(allAnnotations).length > 0 ? { annotations: allAnnotations } : {}) };
}
