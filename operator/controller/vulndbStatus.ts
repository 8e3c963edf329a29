/**
 * status.vulndb: the vulnerability database snapshot the proxy serves from, as one of its ready
 * pods answers GET /vulndb/status (proxy/server/vulndbStatusRoute.ts). The rules:
 *
 *   - only a Running, Ready pod in the GoModuleProxy's own namespace, not being deleted, is asked
 *     (labels alone could be forged from another namespace), at its podIP and the container port
 *     named http; the first by name, so that the same pod is asked while it stays ready;
 *   - with spec.tls the pods speak https with a certificate for the Service's name, which the
 *     operator cannot check against a pod address: it does not ask (status.vulndb is left out);
 *   - an answer that is not the proxy's status, a timeout or a refused connection changes nothing:
 *     the status keeps what it said (a proxy that stops answering is the Ready condition's concern);
 *   - with spec.vulndb.enabled false there is no mirror and no status.vulndb.
 */
import { request } from 'undici';
import { z } from 'zod';
import type { GoModuleProxy, VulndbStatus } from '../api/goModuleProxy.ts';
import type { KubeObject } from '../render/index.ts';

/** How long a pod may take to answer; reconcile waits for it. */
const ANSWER_TIMEOUT_MS = 2000;

const answerSchema = z.object({
  url: z.string(),
  modified: z.string().nullable(),
  refreshedAt: z.string().nullable(),
  stale: z.boolean(),
  lastFailure: z.string().nullable(),
});

type PodFields = {
  metadata: { name: string; namespace?: string; deletionTimestamp?: string };
  spec?: { containers?: Array<{ ports?: Array<{ name?: string; containerPort?: number }> }> };
  status?: { phase?: string; podIP?: string; conditions?: Array<{ type?: string; status?: string }> };
};

/** The address of the first ready serving pod of the proxy's namespace, or undefined. */
export function statusAddress(pods: readonly KubeObject[], namespace: string): string | undefined {
  const ready = (pods as unknown as PodFields[])
    .filter((pod) => pod.metadata.namespace === namespace && !pod.metadata.deletionTimestamp && pod.status?.phase === 'Running')
    .filter((pod) => pod.status?.podIP && pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  for (const pod of ready) {
    const port = pod.spec?.containers?.flatMap((c) => c.ports ?? []).find((p) => p.name === 'http')?.containerPort;
    if (port === undefined) continue;
    const ip = pod.status!.podIP!;
    return `http://${ip.includes(':') ? `[${ip}]` : ip}:${port}`;
  }
  return undefined;
}

/** What a proxy's answer says, in the status's terms; undefined when it is not the proxy's status. */
export function statusFromAnswer(body: string): VulndbStatus | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return undefined;
  }
  const parsed = answerSchema.safeParse(value);
  if (!parsed.success) return undefined;
  const answer = parsed.data;
  return {
    url: answer.url,
    ...(answer.modified !== null ? { modified: answer.modified } : {}),
    ...(answer.refreshedAt !== null ? { lastRefresh: answer.refreshedAt } : {}),
    stale: answer.stale,
    ...(answer.lastFailure !== null ? { lastFailure: answer.lastFailure.slice(0, 1024) } : {}),
  };
}

/** status.vulndb as it should be now: asked of a ready pod, else what the status said. */
export async function observeVulndb(proxy: GoModuleProxy, servingPods: readonly KubeObject[]): Promise<VulndbStatus | undefined> {
  const { spec } = proxy;
  if (spec.vulndb?.enabled === false || spec.tls) return undefined;
  const previous = proxy.status?.vulndb;
  const address = statusAddress(servingPods, proxy.metadata.namespace);
  if (!address) return previous;
  try {
    const response = await request(`${address}/vulndb/status`, { headersTimeout: ANSWER_TIMEOUT_MS, bodyTimeout: ANSWER_TIMEOUT_MS });
    const body = await response.body.text();
    if (response.statusCode !== 200) return previous;
    return statusFromAnswer(body) ?? previous;
  } catch {
    return previous;
  }
}
