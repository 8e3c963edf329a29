import type { GoModuleProxy } from '../api/goModuleProxy.ts';
import { ownedMetadata, type KubeObject } from './kubeObject.ts';
import { objectNames } from './labels.ts';

/**
 * The volume the modules are kept on. It carries no owner reference unless the spec asks for
 * deleteWithProxy: deleting a GoModuleProxy must not delete what it downloaded by accident.
 */
export function renderPersistentVolumeClaim(proxy: GoModuleProxy): KubeObject | undefined {
  const pvc = proxy.spec.storage.pvc;
  if (!pvc) return undefined;
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: ownedMetadata(proxy, objectNames(proxy).pvc, 'storage', pvc.deleteWithProxy),
    spec: {
      accessModes: pvc.accessModes,
      resources: { requests: { storage: pvc.size } },
      ...(pvc.storageClassName ? { storageClassName: pvc.storageClassName } : {}),
    },
  };
}
