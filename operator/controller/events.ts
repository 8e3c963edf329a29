/**
 * Kubernetes Events (events.k8s.io/v1) on a GoModuleProxy, for what `kubectl describe` and
 * `kubectl get events` show: a Warning when the Degraded condition turns True or says something new,
 * a Normal one when it turns False again. Only transitions make an Event, so a resync that
 * finds nothing changed records none. An Event that cannot be recorded is logged, never an error of
 * reconcile: Events are best-effort in Kubernetes itself.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Condition, GoModuleProxy } from '../api/goModuleProxy.ts';
import { REASONS } from './conditions.ts';
import { resourcePath, type KubeApi } from './kubeApi.ts';
import { microTime } from './leaderElection.ts';

export const REPORTING_CONTROLLER = 'gomodproxy.dev/operator';

/** The apiserver refuses an Event whose note is longer than 1 kB. */
const NOTE_LIMIT = 1024;

export type ProxyEvent = { type: 'Normal' | 'Warning'; reason: string; note: string };

/** The Event a change of the Degraded condition calls for, if any. */
export function degradedTransition(before: Condition | undefined, after: Condition | undefined): ProxyEvent | undefined {
  if (!after) return undefined;
  if (after.status === 'True') {
    if (before?.status === 'True' && before.reason === after.reason && before.message === after.message) return undefined;
    return { type: 'Warning', reason: after.reason, note: after.message };
  }
  if (before?.status === 'True') return { type: 'Normal', reason: REASONS.recovered, note: `no longer degraded (was ${before.reason}): ${after.message}` };
  return undefined;
}

function truncatedNote(note: string): string {
  if (Buffer.byteLength(note) <= NOTE_LIMIT) return note;
  let cut = note.slice(0, NOTE_LIMIT - 3);
  while (Buffer.byteLength(`${cut}…`) > NOTE_LIMIT) cut = cut.slice(0, -1);
  return `${cut}…`;
}

export async function recordEvent(api: KubeApi, proxy: GoModuleProxy, event: ProxyEvent, reportingInstance: string, now: Date, logger: Logger): Promise<void> {
  const { name, namespace, uid } = proxy.metadata;
  try {
    await api.create(resourcePath('events.k8s.io/v1', 'events', namespace), {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      // Unique per occurrence, and named for the object, as client-go names its Events.
      metadata: { name: `${name}.${now.getTime().toString(16)}${randomBytes(4).toString('hex')}`, namespace },
      eventTime: microTime(now),
      reportingController: REPORTING_CONTROLLER,
      reportingInstance: reportingInstance.slice(0, 128),
      action: 'Reconcile',
      type: event.type,
      reason: event.reason,
      note: truncatedNote(event.note),
      regarding: { apiVersion: proxy.apiVersion, kind: proxy.kind, name, namespace, uid, ...(proxy.metadata.resourceVersion ? { resourceVersion: proxy.metadata.resourceVersion } : {}) },
    });
  } catch (err) {
    logger.warn({ proxy: `${namespace}/${name}`, reason: event.reason, err: (err as Error).message }, 'could not record an Event');
  }
}
