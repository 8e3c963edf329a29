// A resource at rest costs no writes, however often it is reconciled: quantities the apiserver
// rewrites in canonical form (1073741824 -> 1Gi, 0.5 -> 500m) are no drift. And the PodMonitor,
// a kind the cluster may not serve: without its CRD the resource is Degraded with what to do (one
// Event, no apply retried at every resync); with it, the PodMonitor is applied and then left alone.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startControlPlane, type ControlPlane } from './harness.ts';
import { condition, createNamespace, eventsAbout, eventually, installCrd, markDeploymentReady, proxiesPath, startOperatorProcess, type OperatorProcess } from './operatorProcess.ts';

const NS = 'steady';
const PODMONITOR_PATH = `/apis/monitoring.coreos.com/v1/namespaces/${NS}/podmonitors/metered`;
const OWNED_PATHS = [
  `/api/v1/namespaces/${NS}/configmaps/metered-config`,
  `/api/v1/namespaces/${NS}/persistentvolumeclaims/metered-data`,
  `/api/v1/namespaces/${NS}/services/metered`,
  `/apis/apps/v1/namespaces/${NS}/deployments/metered`,
  `/apis/batch/v1/namespaces/${NS}/cronjobs/metered-cleanup`,
];

/** The Prometheus operator's PodMonitor, as little of it as the apiserver needs to serve the kind. */
const POD_MONITOR_CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'podmonitors.monitoring.coreos.com' },
  spec: {
    group: 'monitoring.coreos.com',
    scope: 'Namespaced',
    names: { plural: 'podmonitors', singular: 'podmonitor', kind: 'PodMonitor', listKind: 'PodMonitorList' },
    versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
  },
};

describe('steady state and the PodMonitor on a real kube-apiserver', () => {
  let cluster: ControlPlane;
  let operator: OperatorProcess;
  beforeAll(async () => {
    cluster = await startControlPlane();
    await installCrd(cluster);
    await createNamespace(cluster, NS);
    // Every GoModuleProxy is reconciled again each second: what a resync would write, it writes often.
    operator = await startOperatorProcess(cluster, 'steady', ['--resync=1s']);
  }, 30 * 60_000);
  afterAll(async () => {
    await operator?.stop();
    await cluster?.stop();
  });

  const get = (path: string) => cluster.get(path);
  const reconciles = () => operator.metric('gomodproxy_operator_reconciles_total');
  const applies = () => operator.metric('gomodproxy_operator_api_requests_total{verb="apply"}');
  /** Waits until the operator has reconciled count more times. */
  const moreReconciles = async (count: number) => {
    const from = await reconciles();
    await eventually(`${count} more reconciles`, async () => ((await reconciles()) >= from + count ? true : undefined));
  };

  test('without the PodMonitor CRD: Degraded with what to do, one Event, no apply at each resync', async () => {
    const created = await cluster.api('POST', proxiesPath(NS), {
      apiVersion: 'gomodproxy.dev/v1alpha1',
      kind: 'GoModuleProxy',
      metadata: { name: 'metered', namespace: NS },
      spec: {
        // Quantities written otherwise than the apiserver keeps them.
        resources: { requests: { cpu: '0.5', memory: '134217728' }, limits: { memory: '1073741824' } },
        storage: { pvc: { size: '1073741824' } },
        pod: { gitCacheSizeLimit: '5120Mi', tmpSizeLimit: '2048Mi' },
        retention: { resources: { requests: { cpu: '0.05', memory: '128Mi' } } },
        monitoring: { podMonitor: { enabled: true, interval: '15s', labels: { release: 'prometheus' } } },
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    for (const path of OWNED_PATHS) await eventually(path, () => get(path));
    // Kept otherwise than rendered: 0.5 as 500m, 5120Mi as 5Gi.
    const stored = (await get(OWNED_PATHS[3]!)).spec.template.spec;
    expect(stored.containers[0].resources.requests.cpu).toBe('500m');
    expect(stored.volumes.find((volume: { name: string }) => volume.name === 'git-cache').emptyDir.sizeLimit).toBe('5Gi');
    await markDeploymentReady(cluster, NS, 'metered');

    const degraded = await eventually('Degraded: PodMonitorUnavailable', async () => {
      const proxy = await get(proxiesPath(NS, 'metered'));
      return condition(proxy, 'Degraded')?.reason === 'PodMonitorUnavailable' && condition(proxy, 'Ready')?.status === 'True' ? proxy : undefined;
    });
    expect(condition(degraded, 'Degraded').message).toBe(
      "spec.monitoring.podMonitor: this cluster does not serve monitoring.coreos.com/v1 PodMonitor: install the Prometheus operator's CRDs (then it is made at the next reconcile), or set spec.monitoring.podMonitor.enabled to false",
    );

    const versions = await Promise.all([proxiesPath(NS, 'metered'), ...OWNED_PATHS].map(async (path) => (await get(path)).metadata.resourceVersion));
    const appliesBefore = await applies();
    await moreReconciles(3);
    expect(await applies()).toBe(appliesBefore);
    expect(await Promise.all([proxiesPath(NS, 'metered'), ...OWNED_PATHS].map(async (path) => (await get(path)).metadata.resourceVersion))).toEqual(versions);
    const warnings = (await eventsAbout(cluster, NS, 'metered')).filter((event) => event.reason === 'PodMonitorUnavailable');
    expect(warnings.map((event) => [event.type, event.note])).toEqual([['Warning', condition(degraded, 'Degraded').message]]);
  });

  test('with the CRD installed: the PodMonitor is applied at the next resync and Degraded clears', async () => {
    const crd = await cluster.api('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', POD_MONITOR_CRD);
    expect(crd.status, JSON.stringify(crd.body)).toBe(201);
    const podMonitor = await eventually('the PodMonitor', () => get(PODMONITOR_PATH));
    expect(podMonitor.metadata.labels).toMatchObject({ release: 'prometheus', 'app.kubernetes.io/managed-by': 'gomodproxy-operator', 'gomodproxy.dev/proxy-name': 'metered' });
    expect(podMonitor.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'GoModuleProxy', name: 'metered', controller: true })]);
    expect(podMonitor.spec).toEqual({
      selector: { matchLabels: { 'app.kubernetes.io/name': 'gomodproxy', 'app.kubernetes.io/instance': 'metered', 'app.kubernetes.io/component': 'server' } },
      podMetricsEndpoints: [{ port: 'http', path: '/metrics', interval: '15s' }],
    });
    // The pods it selects are the Deployment's, and their port is named so.
    const pod = (await get(OWNED_PATHS[3]!)).spec.template;
    expect(pod.metadata.labels).toMatchObject(podMonitor.spec.selector.matchLabels);
    expect(pod.spec.containers[0].ports.map((port: { name: string }) => port.name)).toContain('http');
    await eventually('Degraded False', async () => (condition(await get(proxiesPath(NS, 'metered')), 'Degraded')?.status === 'False' ? true : undefined));
  });

  test('at rest, resyncs write nothing: every resourceVersion stays, no apply is sent', async () => {
    await moreReconciles(1);
    const paths = [proxiesPath(NS, 'metered'), ...OWNED_PATHS, PODMONITOR_PATH];
    const versions = await Promise.all(paths.map(async (path) => (await get(path)).metadata.resourceVersion));
    const appliesBefore = await applies();
    await moreReconciles(3);
    expect(await applies()).toBe(appliesBefore);
    expect(await Promise.all(paths.map(async (path) => (await get(path)).metadata.resourceVersion))).toEqual(versions);
  });

  test('a hand edit of the PodMonitor is undone; turned off, it is deleted', async () => {
    const edited = await cluster.api('PATCH', `${PODMONITOR_PATH}?fieldManager=kubectl-edit`, { spec: { podMetricsEndpoints: [{ port: 'http', path: '/elsewhere' }] } }, 'application/merge-patch+json');
    expect(edited.status, JSON.stringify(edited.body)).toBe(200);
    await eventually('the PodMonitor restored', async () => ((await get(PODMONITOR_PATH)).spec.podMetricsEndpoints[0].path === '/metrics' ? true : undefined));
    const off = await cluster.api('PATCH', proxiesPath(NS, 'metered'), { spec: { monitoring: { podMonitor: { enabled: false } } } }, 'application/merge-patch+json');
    expect(off.status).toBe(200);
    await eventually('the PodMonitor deleted', async () => ((await cluster.api('GET', PODMONITOR_PATH)).status === 404 ? true : undefined));
  });
});
