/**
 * Applies a desired object by server-side apply, unless the cluster already holds exactly it.
 * Each applied object carries the sha256 of what was applied; when the cached object carries the
 * same hash, nothing is sent. So a restarted operator, or a resync with nothing changed, makes
 * no request at all, and no object is rewritten. A change by someone else to a field the
 * operator owns is undone at the next change of the GoModuleProxy or of the object's hash.
 */
import { createHash } from 'node:crypto';
import type { KubeObject } from '../render/index.ts';
import type { KubeApi } from './kubeApi.ts';

export const APPLIED_HASH_ANNOTATION = 'gomodproxy.dev/applied-hash';

export function appliedHash(object: KubeObject): string {
  return createHash('sha256').update(JSON.stringify(object)).digest('hex').slice(0, 32);
}

export function withAppliedHash(object: KubeObject): KubeObject {
  const hash = appliedHash(object);
  return { ...object, metadata: { ...object.metadata, annotations: { ...object.metadata.annotations, [APPLIED_HASH_ANNOTATION]: hash } } };
}

/** 'applied' when a request was sent, 'unchanged' when the cached object is already the desired one. */
export async function applyIfChanged(api: KubeApi, desired: KubeObject, current: KubeObject | undefined): Promise<'applied' | 'unchanged'> {
  const stamped = withAppliedHash(desired);
  const hash = stamped.metadata.annotations![APPLIED_HASH_ANNOTATION];
  if (current && !current.metadata.deletionTimestamp && current.metadata.annotations?.[APPLIED_HASH_ANNOTATION] === hash) return 'unchanged';
  await api.apply(stamped);
  return 'applied';
}
