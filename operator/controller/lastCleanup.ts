/**
 * status.lastCleanup, from the pods of the cleanup CronJob's jobs. A cleanup that removed for real
 * writes one JSON line {time, removedVersions, freedBytes} to its termination message file
 * (proxy/commands/cleanup.ts), and the kubelet copies it into the pod's status as
 * containerStatuses[].state.terminated.message. The rules:
 *
 *   - only a Succeeded pod in the GoModuleProxy's own namespace reports (labels alone could be
 *     forged from another namespace);
 *   - a message that is not such a line is ignored: it never clears or changes the status;
 *   - of the reports, the one with the latest time wins, and it replaces status.lastCleanup only
 *     when it is later than what is there, so a pod deleted by the job history limit, or an older
 *     pod seen after a newer one, never moves the status back.
 */
import { z } from 'zod';
import { lastCleanupSchema, type LastCleanup } from '../api/goModuleProxy.ts';
import type { KubeObject } from '../render/index.ts';

/** The message as the cleanup writes it; fields added by a newer cleanup are dropped, not refused. */
const terminationMessageSchema = z.object({ ...lastCleanupSchema.shape, time: z.iso.datetime() });

type PodStatus = {
  phase?: string;
  containerStatuses?: Array<{ state?: { terminated?: { message?: string } } }>;
};

export type CleanupPodReport = { ok: true; report: LastCleanup } | { ok: false; reason: string };

/** Reads one termination message; the reason of a refusal names what is wrong with it. */
export function parseTerminationMessage(message: string): CleanupPodReport {
  let value: unknown;
  try {
    value = JSON.parse(message);
  } catch {
    return { ok: false, reason: `not JSON: ${JSON.stringify(message.slice(0, 200))}` };
  }
  const parsed = terminationMessageSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { ok: false, reason: `${issue.path.map(String).join('.') || 'the message'}: ${issue.message}` };
  }
  return { ok: true, report: parsed.data };
}

/** The report of one cleanup pod; undefined while it has not succeeded or left no message. */
export function readCleanupPod(pod: KubeObject): CleanupPodReport | undefined {
  const status = (pod['status'] ?? {}) as PodStatus;
  if (status.phase !== 'Succeeded') return undefined;
  const message = status.containerStatuses?.map((c) => c.state?.terminated?.message?.trim()).find((m) => m);
  return message ? parseTerminationMessage(message) : undefined;
}

/** The later of the current status.lastCleanup and the latest valid report of the given pods. */
export function latestCleanup(current: LastCleanup | undefined, pods: KubeObject[], namespace: string): LastCleanup | undefined {
  let latest = current;
  for (const pod of pods) {
    if (pod.metadata.namespace !== namespace) continue;
    const read = readCleanupPod(pod);
    // Negated, so that a current time that does not parse counts as older than any report.
    if (read?.ok && (latest === undefined || !(Date.parse(latest.time) >= Date.parse(read.report.time)))) latest = read.report;
  }
  return latest;
}
