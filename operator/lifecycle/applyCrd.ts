/**
 * The GoModuleProxy CRD applied by the operator's own image: what the chart's pre-install and
 * pre-upgrade hook runs. Helm installs a chart's crds/ once and never upgrades it; this applies the
 * CRD that the image's schema generates (the very text of crds/, `npm run crds`), by server-side
 * apply, and waits until the apiserver serves it. So the operator and its CRD change together.
 */
import { CRD_FILE, goModuleProxyCrd } from '../api/crd.ts';
import { GROUP, PLURAL } from '../api/goModuleProxy.ts';
import { KubeApi, resourcePath } from '../controller/kubeApi.ts';
import type { KubeObject } from '../render/index.ts';

export const CRD_FIELD_MANAGER = 'gomodproxy-crds';

/** Polls until check says yes, or throws what timedOut says. */
export async function pollUntil(check: () => Promise<boolean>, timeoutMs: number, timedOut: () => Promise<string>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(await timedOut());
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

export async function applyCrd(options: { kubeconfig?: string; timeoutMs: number }): Promise<string> {
  const api = await KubeApi.connect({ ...(options.kubeconfig ? { kubeconfig: options.kubeconfig } : {}), fieldManager: CRD_FIELD_MANAGER });
  try {
    const crd = goModuleProxyCrd() as KubeObject;
    const name = `${PLURAL}.${GROUP}`;
    const path = resourcePath('apiextensions.k8s.io/v1', 'customresourcedefinitions', undefined, name);
    // The kind's plural is not in KubeApi's table: the path is given whole.
    const applied = await api.applyAt(path, crd);
    const established = (object: KubeObject | undefined) =>
      ((object?.['status'] as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions ?? []).some((c) => c.type === 'Established' && c.status === 'True');
    await pollUntil(async () => established(await api.get(path)), options.timeoutMs, async () => `CustomResourceDefinition ${name} applied but not Established within ${options.timeoutMs / 1000} s`);
    return `CustomResourceDefinition ${name} (${CRD_FILE}) applied, resourceVersion ${applied.metadata.resourceVersion}`;
  } finally {
    await api.close();
  }
}
