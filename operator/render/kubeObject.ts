/** The shape every rendered object shares; the rest is each kind's own. */
import { API_VERSION, KIND, type GoModuleProxy } from '../api/goModuleProxy.ts';
import { ownedLabels } from './labels.ts';

export type OwnerReference = {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
};

export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: OwnerReference[];
    resourceVersion?: string;
    uid?: string;
    generation?: number;
    deletionTimestamp?: string;
    finalizers?: string[];
    creationTimestamp?: string;
  };
  [field: string]: unknown;
};

/** Same-namespace children name their GoModuleProxy as controller, so the garbage collector deletes them with it. */
export function controllerReference(proxy: GoModuleProxy): OwnerReference {
  return { apiVersion: API_VERSION, kind: KIND, name: proxy.metadata.name, uid: proxy.metadata.uid, controller: true, blockOwnerDeletion: true };
}

/** Metadata of an object in the GoModuleProxy's namespace; ownedByProxy false leaves out the owner reference. */
export function ownedMetadata(proxy: GoModuleProxy, name: string, component: string, ownedByProxy = true): KubeObject['metadata'] {
  return {
    name,
    namespace: proxy.metadata.namespace,
    labels: ownedLabels(proxy, component),
    ...(ownedByProxy ? { ownerReferences: [controllerReference(proxy)] } : {}),
  };
}
