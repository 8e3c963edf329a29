/**
 * Reconcile of one GoModuleProxy: a level-triggered function of (the resource, what the caches
 * hold) that can run any number of times. It reads the whole resource, applies every owned object
 * that differs from its rendering, publishes or withdraws the cluster-wide ConfigMaps, and states
 * the conditions. A problem that a person must fix (a missing Secret, settings the proxy refuses)
 * becomes the Degraded condition and is not an error: the event that fixes it (the Secret
 * appearing, a spec change) enqueues the resource again. Errors of the API are thrown, and the
 * queue retries them with back-off.
 */
import type { Logger } from 'pino';
import { parseSpec, type GoModuleProxy } from '../api/goModuleProxy.ts';
import { RenderError, ownerKeyFromLabels, renderOwnedObjects, type KubeObject, type RenderOptions } from '../render/index.ts';
import { applyIfChanged } from './applyOwned.ts';
import type { Caches } from './caches.ts';
import { publishClusterWide, withdrawClusterWide } from './clusterWide.ts';
import { REASONS } from './conditions.ts';
import { addFinalizer, FINALIZER, removeFinalizer } from './finalizer.ts';
import { KubeApiError, type KubeApi } from './kubeApi.ts';
import { degradedTransition, recordEvent } from './events.ts';
import { latestCleanup } from './lastCleanup.ts';
import { workloadProblem } from './podHealth.ts';
import { missingSecrets } from './secrets.ts';
import { applyStatusIfChanged, desiredStatus, type Problem } from './status.ts';

export type ReconcileContext = {
  api: KubeApi;
  caches: Caches;
  render: RenderOptions;
  logger: Logger;
  /** Who reports the Events recorded (events.ts). */
  identity: string;
  now: () => Date;
};

/** What one reconcile did, for the log and the metrics. */
export type ReconcileOutcome = { applied: number; problem?: Problem };

export async function reconcile(context: ReconcileContext, key: string): Promise<ReconcileOutcome> {
  const { api, caches } = context;
  const cached = caches.proxies.get(key);
  // Gone: its owned objects go with it (owner references); cluster-wide ConfigMaps went before (finalizer).
  if (!cached) return { applied: 0 };

  if (cached.metadata.deletionTimestamp) {
    if (!cached.metadata.finalizers?.includes(FINALIZER)) return { applied: 0 };
    const removed = await withdrawClusterWide(api, cached, undefined);
    await removeFinalizer(api, cached);
    context.logger.info({ proxy: key, removedConfigMaps: removed }, 'deleted: cluster-wide ConfigMaps removed, finalizer released');
    return { applied: removed + 1 };
  }

  let applied = 0;
  if (!cached.metadata.finalizers?.includes(FINALIZER)) {
    await addFinalizer(api, cached);
    applied++;
  }

  const parsed = parseSpec(cached['spec']);
  const proxy = { ...(cached as unknown as GoModuleProxy), spec: parsed.ok ? parsed.spec : (cached['spec'] as GoModuleProxy['spec']) };
  let problem: Problem | undefined;
  if (!parsed.ok) problem = { reason: REASONS.invalidSettings, message: `${parsed.message}; fix the GoModuleProxy's spec` };

  if (!problem) {
    const missing = missingSecrets(proxy, caches);
    if (missing.length > 0) problem = { reason: REASONS.secretMissing, message: missing.join('; ') };
  }

  let desired: KubeObject[] = [];
  if (!problem) {
    try {
      desired = renderOwnedObjects(proxy, context.render);
    } catch (err) {
      if (!(err instanceof RenderError)) throw err;
      problem = { reason: REASONS.invalidSettings, message: `${err.message}; fix the GoModuleProxy's spec` };
    }
  }

  for (const object of desired) {
    try {
      const current = caches.ownedObject(object.kind, object.metadata.namespace!, object.metadata.name);
      if ((await applyIfChanged(api, object, current)) === 'applied') applied++;
    } catch (err) {
      // 4xx other than conflicts: the apiserver refuses what the spec asks (e.g. shrinking a PVC). A person must act.
      if (err instanceof KubeApiError && err.status >= 400 && err.status < 500 && err.status !== 409 && err.status !== 429) {
        problem = { reason: REASONS.applyFailed, message: `${object.kind} ${object.metadata.name}: ${err.message}` };
        break;
      }
      throw err;
    }
  }

  if (parsed.ok) {
    applied += proxy.spec.clusterWide.enabled ? await publishClusterWide(api, caches, proxy) : await withdrawClusterWide(api, proxy, caches);
  }

  const deployment = caches.ownedObject('Deployment', proxy.metadata.namespace, proxy.metadata.name);
  const ownPods = (informer: Caches['cleanupPods']) => informer.list().filter((pod) => ownerKeyFromLabels(pod.metadata.labels) === key);
  const lastCleanup = latestCleanup(proxy.status?.lastCleanup, ownPods(caches.cleanupPods), proxy.metadata.namespace);
  const workload = deployment ? workloadProblem(ownPods(caches.servingPods), deployment, proxy.metadata.namespace) : undefined;
  const now = context.now();
  const status = desiredStatus(proxy, { deployment, workload, lastCleanup }, problem, now);
  if (await applyStatusIfChanged(api, proxy, status)) {
    applied++;
    const degraded = (conditions: typeof status.conditions) => conditions?.find((condition) => condition.type === 'Degraded');
    const event = degradedTransition(degraded(proxy.status?.conditions), degraded(status.conditions));
    if (event) await recordEvent(api, proxy, event, context.identity, now, context.logger);
  }
  return { applied, ...(problem ? { problem } : {}) };
}
