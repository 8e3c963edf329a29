/**
 * The informers the controller reads from: GoModuleProxies, the objects they own (selected by
 * the operator's label), the pods of their cleanup jobs (for status.lastCleanup), namespaces (for
 * the cluster-wide ConfigMaps) and the metadata of Secrets (whether a referenced Secret exists;
 * their data is never read). The Secrets the operator writes itself (the per-namespace tokens) are
 * owned objects, read whole.
 */
import type { Logger } from 'pino';
import { PLURAL, VERSION, GROUP } from '../api/goModuleProxy.ts';
import { CLEANUP_POD_SELECTOR, MANAGED_SELECTOR, SERVING_POD_SELECTOR, type KubeObject } from '../render/index.ts';
import { Informer, type InformerHandler } from './informer.ts';
import { pluralOf, resourcePath, type KubeApi } from './kubeApi.ts';

export const OWNED_KINDS = [
  { kind: 'ConfigMap', apiVersion: 'v1' },
  { kind: 'Service', apiVersion: 'v1' },
  { kind: 'PersistentVolumeClaim', apiVersion: 'v1' },
  { kind: 'Deployment', apiVersion: 'apps/v1' },
  { kind: 'CronJob', apiVersion: 'batch/v1' },
  { kind: 'PodDisruptionBudget', apiVersion: 'policy/v1' },
  { kind: 'NetworkPolicy', apiVersion: 'networking.k8s.io/v1' },
  // The per-namespace tokens' Secrets (namespaceTokens.ts), with their data: only the operator's own, by label.
  { kind: 'Secret', apiVersion: 'v1' },
] as const;

export type OwnedKind = (typeof OWNED_KINDS)[number]['kind'];

export type CacheHandlers = {
  onProxy: InformerHandler;
  onOwned: InformerHandler;
  onCleanupPod: InformerHandler;
  onServingPod: InformerHandler;
  onNamespace: InformerHandler;
  onSecret: InformerHandler;
};

export class Caches {
  readonly proxies: Informer;
  readonly owned: Map<OwnedKind, Informer>;
  /** Pods of the cleanup jobs, observed only: the jobs make them, the operator never writes them. */
  readonly cleanupPods: Informer;
  /** The proxies' serving pods, observed only: for what keeps them from starting (podHealth.ts). */
  readonly servingPods: Informer;
  readonly namespaces: Informer;
  readonly secrets: Informer;

  constructor(api: KubeApi, handlers: CacheHandlers, logger: Logger, watchNamespace?: string) {
    this.proxies = new Informer({ api, path: resourcePath(`${GROUP}/${VERSION}`, PLURAL, watchNamespace), onChange: handlers.onProxy, logger });
    // With a watched namespace, everything a proxy owns is in it, but for the cluster-wide
    // ConfigMaps, which live in other namespaces: ConfigMaps are watched everywhere (by label).
    this.owned = new Map(
      OWNED_KINDS.map(({ kind, apiVersion }) => [
        kind,
        new Informer({ api, path: resourcePath(apiVersion, pluralOf(kind), kind === 'ConfigMap' ? undefined : watchNamespace), labelSelector: MANAGED_SELECTOR, onChange: handlers.onOwned, logger }),
      ]),
    );
    this.cleanupPods = new Informer({ api, path: resourcePath('v1', 'pods', watchNamespace), labelSelector: CLEANUP_POD_SELECTOR, onChange: handlers.onCleanupPod, logger });
    this.servingPods = new Informer({ api, path: resourcePath('v1', 'pods', watchNamespace), labelSelector: SERVING_POD_SELECTOR, onChange: handlers.onServingPod, logger });
    this.namespaces = new Informer({ api, path: resourcePath('v1', 'namespaces'), onChange: handlers.onNamespace, logger });
    this.secrets = new Informer({ api, path: resourcePath('v1', 'secrets', watchNamespace), metadataOnly: true, onChange: handlers.onSecret, logger });
  }

  all(): Informer[] {
    return [this.proxies, ...this.owned.values(), this.cleanupPods, this.servingPods, this.namespaces, this.secrets];
  }

  ownedObject(kind: string, namespace: string, name: string): KubeObject | undefined {
    return this.owned.get(kind as OwnedKind)?.get(`${namespace}/${name}`);
  }

  async start(): Promise<void> {
    await Promise.all(this.all().map((informer) => informer.start()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.all().map((informer) => informer.stop()));
  }
}
