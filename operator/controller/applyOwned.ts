/**
 * Applies a desired object by server-side apply, unless the cluster already holds exactly it.
 * Each applied object carries the sha256 of what was applied. Nothing is sent when the cached
 * object carries the same hash (nothing the operator renders has changed since it applied) and
 * still holds every value the rendering sets (nobody changed them since). So a restarted operator,
 * or a resync with nothing changed, makes no request at all; a hand edit of a field the operator
 * sets (an image, the replicas, the settings in a ConfigMap) is undone by the next reconcile, which
 * the edit's own watch event starts. Fields the operator does not set (an annotation added by
 * a person, a field the apiserver defaults) are others' and are left alone.
 */
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { KubeObject } from '../render/index.ts';
import type { KubeApi } from './kubeApi.ts';
import { sameQuantity } from './quantity.ts';

export const APPLIED_HASH_ANNOTATION = 'gomodproxy.dev/applied-hash';

export function appliedHash(object: KubeObject): string {
  return createHash('sha256').update(JSON.stringify(object)).digest('hex').slice(0, 32);
}

export function withAppliedHash(object: KubeObject): KubeObject {
  const hash = appliedHash(object);
  return { ...object, metadata: { ...object.metadata, annotations: { ...object.metadata.annotations, [APPLIED_HASH_ANNOTATION]: hash } } };
}

/**
 * Fields whose values are resource quantities, which the apiserver stores in canonical form:
 * resources' requests and limits (a container's, a PVC's storage) and an emptyDir's sizeLimit.
 */
const QUANTITY_FIELDS = new Set(['requests', 'limits', 'sizeLimit']);

/**
 * Whether live holds every value desired sets: objects key by key; lists of objects element by
 * element, each desired element held by some live element (others may add elements to the lists
 * that server-side apply merges by key, such as env or ports); lists of plain values (atomic to
 * server-side apply, such as args) and anything else equal; quantities equal in value (1Gi holds
 * 1073741824, 500m holds 0.5), since the apiserver rewrites them in canonical form.
 */
export function holdsDesired(live: unknown, desired: unknown, quantities = false): boolean {
  if (quantities && typeof live === 'string' && typeof desired === 'string') return sameQuantity(live, desired);
  // The apiserver drops empty lists and may drop empty objects (an env of no variables).
  if (live === undefined && desired !== null && typeof desired === 'object' && Object.keys(desired).length === 0) return true;
  if (Array.isArray(desired)) {
    if (!desired.some((element) => element !== null && typeof element === 'object')) return isDeepStrictEqual(live, desired);
    return Array.isArray(live) && desired.every((element) => live.some((candidate) => holdsDesired(candidate, element)));
  }
  if (desired !== null && typeof desired === 'object') {
    if (live === null || typeof live !== 'object' || Array.isArray(live)) return false;
    return Object.entries(desired).every(([key, value]) => holdsDesired((live as Record<string, unknown>)[key], value, quantities || QUANTITY_FIELDS.has(key)));
  }
  return isDeepStrictEqual(live, desired);
}

/** The parts compared for drift: labels, annotations and everything beside metadata (owner references are the garbage collector's). */
function driftRelevant(object: KubeObject): Record<string, unknown> {
  const { metadata, ...rest } = object;
  return { ...rest, labels: metadata.labels ?? {}, annotations: metadata.annotations ?? {} };
}

/** 'applied' when a request was sent, 'unchanged' when the cached object is already the desired one. */
export async function applyIfChanged(api: KubeApi, desired: KubeObject, current: KubeObject | undefined): Promise<'applied' | 'unchanged'> {
  const stamped = withAppliedHash(desired);
  const hash = stamped.metadata.annotations![APPLIED_HASH_ANNOTATION];
  if (
    current &&
    !current.metadata.deletionTimestamp &&
    current.metadata.annotations?.[APPLIED_HASH_ANNOTATION] === hash &&
    holdsDesired(driftRelevant(current), driftRelevant(stamped))
  ) {
    return 'unchanged';
  }
  await api.apply(stamped);
  return 'applied';
}
