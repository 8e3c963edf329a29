/**
 * Reconcile of one GoModuleProxy: a level-triggered function of (the resource, what the caches
 * hold) that can run any number of times. It reads the whole resource, issues the per-namespace
 * tokens, applies every owned object that differs from its rendering, publishes or withdraws the
 * cluster-wide ConfigMaps, and states the conditions. A problem that a person must fix (a missing Secret, settings the proxy refuses)
 * becomes the Degraded condition and is not an error: the event that fixes it (the Secret
 * appearing, a spec change) enqueues the resource again. Errors of the API are thrown, and the
 * queue retries them with back-off.
 */
import type { Logger } from 'pino';
import { parseSpec, type GoModuleProxy } from '../api/goModuleProxy.ts';
import { CONDITIONAL_KINDS, RenderError, ownerKeyFromLabels, renderOwnedObjects, type KubeObject, type RenderOptions } from '../render/index.ts';
import { applyIfChanged } from './applyOwned.ts';
import type { Caches } from './caches.ts';
import { publishClusterWide, withdrawClusterWide } from './clusterWide.ts';
import { REASONS } from './conditions.ts';
import { addFinalizer, FINALIZER, removeFinalizer } from './finalizer.ts';
import { KubeApiError, objectPath, type KubeApi } from './kubeApi.ts';
import { degradedTransition, recordEvent } from './events.ts';
import { defaultImageFor } from './imageRollout.ts';
import { latestCleanup } from './lastCleanup.ts';
import { observeVulndb } from './vulndbStatus.ts';
import { workloadProblem } from './podHealth.ts';
import { reconcilePodMonitor } from './podMonitor.ts';
import { missingSecrets, secretsVersion } from './secrets.ts';
import { issueNamespaceTokens, withdrawNamespaceTokens, type Issued } from './namespaceTokens.ts';
import { applyStatusIfChanged, desiredStatus, type Problem } from './status.ts';

export type ReconcileContext = {
  api: KubeApi;
  caches: Caches;
  render: RenderOptions;
  logger: Logger;
  /** The one namespace the operator watches, if installed so: Secrets elsewhere are out of its reach. */
  watchNamespace?: string;
  /** Who reports the Events recorded (events.ts). */
  identity: string;
  /** Keys of proxies kept on their running image while another rolls to the default (imageRollout.ts). */
  heldForImage: Set<string>;
  now: () => Date;
};

/** What one reconcile did, for the log and the metrics. */
export type ReconcileOutcome = { applied: number; problem?: Problem };

export async function reconcile(context: ReconcileContext, key: string): Promise<ReconcileOutcome> {
  const { api, caches } = context;
  const cached = caches.proxies.get(key);
  // Gone: its owned objects go with it (owner references); cluster-wide ConfigMaps went before (finalizer).
  if (!cached) {
    context.heldForImage.delete(key);
    return { applied: 0 };
  }

  if (cached.metadata.deletionTimestamp) {
    if (!cached.metadata.finalizers?.includes(FINALIZER)) return { applied: 0 };
    const removed = await withdrawClusterWide(api, cached, undefined);
    const removedTokens = await withdrawNamespaceTokens(api, cached, context.watchNamespace);
    await removeFinalizer(api, cached);
    context.logger.info({ proxy: key, removedConfigMaps: removed, removedNetrcSecrets: removedTokens }, 'deleted: cluster-wide ConfigMaps and .netrc Secrets removed, finalizer released');
    return { applied: removed + removedTokens + 1 };
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

  // The .netrc Secrets first: the proxy's pods are rendered with the hashes of the tokens they hold.
  let namespaceTokens: Issued | undefined;
  if (!problem) {
    namespaceTokens = await issueNamespaceTokens(api, caches, proxy, context.watchNamespace);
    applied += namespaceTokens.requests;
  }

  let desired: KubeObject[] = [];
  if (!problem) {
    try {
      const own = caches.ownedObject('Deployment', proxy.metadata.namespace, proxy.metadata.name);
      const others = caches.owned.get('Deployment')!.list().filter((deployment) => deployment !== own);
      const { image, held } = defaultImageFor(proxy, own, others, context.render.defaultImage);
      if (held) context.heldForImage.add(key);
      else context.heldForImage.delete(key);
      desired = renderOwnedObjects(proxy, { ...context.render, defaultImage: image }, secretsVersion(proxy, caches), namespaceTokens?.hashes);
    } catch (err) {
      if (!(err instanceof RenderError)) throw err;
      problem = { reason: REASONS.invalidSettings, message: `${err.message}; fix the GoModuleProxy's spec` };
    }
  }

  // Each object on its own: one the apiserver refuses (an immutable field, a quota) does not keep
  // the others, the Deployment's new pod template among them, from being applied.
  const refusals: string[] = [];
  let retryable: unknown;
  for (const object of desired) {
    try {
      const current = caches.ownedObject(object.kind, object.metadata.namespace!, object.metadata.name);
      if ((await applyIfChanged(api, object, current)) === 'applied') applied++;
    } catch (err) {
      // 4xx other than conflicts and throttling: the apiserver refuses what the spec asks (e.g. shrinking a PVC). A person must act.
      if (err instanceof KubeApiError && err.status >= 400 && err.status < 500 && err.status !== 409 && err.status !== 429) {
        refusals.push(`${object.kind} ${object.metadata.name}: ${err.status} ${err.detail}`);
      } else {
        retryable ??= err;
      }
    }
  }
  // The PodMonitor, a kind the cluster may not serve: its absence is a problem of its own, the rest stands.
  let monitorProblem: Problem | undefined;
  if (desired.length > 0) {
    try {
      const monitor = await reconcilePodMonitor(api, proxy);
      applied += monitor.requests;
      monitorProblem = monitor.problem;
    } catch (err) {
      if (err instanceof KubeApiError && err.status >= 400 && err.status < 500 && err.status !== 409 && err.status !== 429) {
        refusals.push(`PodMonitor ${proxy.metadata.name}: ${err.status} ${err.detail}`);
      } else {
        retryable ??= err;
      }
    }
  }
  if (refusals.length > 0) problem = { reason: REASONS.applyFailed, message: refusals.join('; ') };
  if (monitorProblem) problem = problem ? { reason: problem.reason, message: `${problem.message}; ${monitorProblem.message}` } : monitorProblem;

  // Rendered, now, only under a spec that no longer asks for them: deleted (only this proxy's own).
  if (desired.length > 0) {
    const wanted = new Set(desired.map((object) => `${object.kind}/${object.metadata.name}`));
    for (const kind of CONDITIONAL_KINDS) {
      for (const object of caches.owned.get(kind)!.list()) {
        const owned = object.metadata.namespace === proxy.metadata.namespace && object.metadata.ownerReferences?.some((owner) => owner.uid === proxy.metadata.uid);
        if (!owned || wanted.has(`${kind}/${object.metadata.name}`) || object.metadata.deletionTimestamp) continue;
        await api.delete(objectPath(object));
        applied++;
      }
    }
  }

  if (parsed.ok && proxy.spec.clusterWide.enabled) {
    const publication = await publishClusterWide(api, caches, proxy);
    applied += publication.requests;
    if (publication.conflicts.length > 0) {
      const conflict = {
        reason: REASONS.configMapConflict,
        message: `${publication.conflicts.join('; ')}: it is left as it is; set spec.clusterWide.configMapName to a name nobody else uses there`,
      };
      problem = problem ? { reason: problem.reason, message: `${problem.message}; ${conflict.message}` } : conflict;
    }
  } else if (parsed.ok) {
    applied += await withdrawClusterWide(api, proxy, caches);
  }

  if (namespaceTokens && namespaceTokens.conflicts.length > 0) {
    const conflict = {
      reason: REASONS.secretConflict,
      message: `${namespaceTokens.conflicts.join('; ')}: that namespace gets no token; set spec.clusterWide.netrc.secretName to a name nobody else uses there`,
    };
    problem = problem ? { reason: problem.reason, message: `${problem.message}; ${conflict.message}` } : conflict;
  }

  const deployment = caches.ownedObject('Deployment', proxy.metadata.namespace, proxy.metadata.name);
  const ownPods = (informer: Caches['cleanupPods']) => informer.list().filter((pod) => ownerKeyFromLabels(pod.metadata.labels) === key);
  const lastCleanup = latestCleanup(proxy.status?.lastCleanup, ownPods(caches.cleanupPods), proxy.metadata.namespace);
  const workload = deployment ? workloadProblem(ownPods(caches.servingPods), deployment, proxy.metadata.namespace) : undefined;
  const now = context.now();
  const vulndb = parsed.ok ? await observeVulndb(proxy, ownPods(caches.servingPods)) : proxy.status?.vulndb;
  const status = desiredStatus(proxy, { deployment, workload, lastCleanup, vulndb }, problem, now);
  if (await applyStatusIfChanged(api, proxy, status)) {
    applied++;
    const degraded = (conditions: typeof status.conditions) => conditions?.find((condition) => condition.type === 'Degraded');
    const event = degradedTransition(degraded(proxy.status?.conditions), degraded(status.conditions));
    if (event) await recordEvent(api, proxy, event, context.identity, now, context.logger);
  }
  // After the status says what was refused: an error of the API is retried with back-off.
  if (retryable) throw retryable;
  return { applied, ...(problem ? { problem } : {}) };
}
