// The chart against a real kube-apiserver (test/cluster/harness.ts): every object `helm template`
// renders for each value set of chart.test.ts is created with a server-side dry run and strict
// field validation — so a misspelt field, a wrong apiVersion or a GoModuleProxy spec the CRD
// refuses fails here — and `helm install --dry-run=server` prints NOTES.txt.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControlPlane, type ControlPlane } from '../cluster/harness.ts';
import { tempFolder } from '../e2e/harness.ts';
import { eventually } from '../cluster/operatorProcess.ts';
import { VALUE_SETS } from './valueSets.ts';
import { chartPath, renderedObjects, runHelm, type KubeObject } from './helm.ts';

/** Where the apiserver keeps each kind the chart renders: group/version path and plural. */
const RESOURCES: Record<string, { plural: string; namespaced: boolean }> = {
  ServiceAccount: { plural: 'serviceaccounts', namespaced: true },
  Service: { plural: 'services', namespaced: true },
  Pod: { plural: 'pods', namespaced: true },
  Deployment: { plural: 'deployments', namespaced: true },
  ClusterRole: { plural: 'clusterroles', namespaced: false },
  ClusterRoleBinding: { plural: 'clusterrolebindings', namespaced: false },
  Role: { plural: 'roles', namespaced: true },
  RoleBinding: { plural: 'rolebindings', namespaced: true },
  PodDisruptionBudget: { plural: 'poddisruptionbudgets', namespaced: true },
  Ingress: { plural: 'ingresses', namespaced: true },
  ServiceMonitor: { plural: 'servicemonitors', namespaced: true },
  GoModuleProxy: { plural: 'gomoduleproxies', namespaced: true },
  Job: { plural: 'jobs', namespaced: true },
  MutatingAdmissionPolicy: { plural: 'mutatingadmissionpolicies', namespaced: false },
  MutatingAdmissionPolicyBinding: { plural: 'mutatingadmissionpolicybindings', namespaced: false },
};

/**
 * The Prometheus operator's ServiceMonitor is a third-party CRD; the cluster gets a schema-less
 * stand-in of it, so a ServiceMonitor is checked for its kind, apiVersion and metadata only.
 */
const SERVICE_MONITOR_CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'servicemonitors.monitoring.coreos.com' },
  spec: {
    group: 'monitoring.coreos.com',
    scope: 'Namespaced',
    names: { plural: 'servicemonitors', singular: 'servicemonitor', kind: 'ServiceMonitor', listKind: 'ServiceMonitorList' },
    versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
  },
};

describe('the Helm chart against a real kube-apiserver', () => {
  let cluster: ControlPlane;
  let home: { path: string; dispose(): Promise<void> };

  const apply = (object: KubeObject, query: string) => {
    const resource = RESOURCES[object.kind];
    if (!resource) throw new Error(`the chart renders a ${object.kind}, which this test does not know where to send`);
    const base = object.apiVersion.includes('/') ? `/apis/${object.apiVersion}` : `/api/${object.apiVersion}`;
    const namespace = resource.namespaced ? `/namespaces/${object.metadata.namespace ?? 'goproxy'}` : '';
    return cluster.api('PATCH', `${base}${namespace}/${resource.plural}/${object.metadata.name}?${query}`, object, 'application/apply-patch+yaml');
  };

  beforeAll(async () => {
    cluster = await startControlPlane();
    home = await tempFolder('gomodproxy-helm-cluster-');
    const crds = [yaml.load((await import('node:fs')).readFileSync(join(chartPath, 'crds', 'gomodproxy.dev_gomoduleproxies.yaml'), 'utf8')), SERVICE_MONITOR_CRD];
    for (const crd of crds) {
      const created = await cluster.api('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
      expect(created.status, JSON.stringify(created.body)).toBe(201);
    }
    for (const crd of crds as Array<{ metadata: { name: string } }>) {
      for (let i = 0; ; i++) {
        const got = await cluster.api('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`);
        const established = (got.body?.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === 'Established' && c.status === 'True');
        if (established) break;
        if (i > 100) throw new Error(`${crd.metadata.name} was not established`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    const ns = await cluster.api('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'goproxy' } });
    expect(ns.status).toBe(201);
    // The namespace's default ServiceAccount, as kube-controller-manager would make it (the test pod runs as it).
    const sa = await cluster.api('POST', '/api/v1/namespaces/goproxy/serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } });
    expect(sa.status).toBe(201);
  });
  afterAll(async () => {
    await cluster?.stop();
    await home?.dispose();
  });

  it.each(Object.entries(VALUE_SETS))('accepts every object rendered with %s (server-side dry run, strict fields)', async (name, values) => {
    const file = join(home.path, `${name.replace(/[^a-z0-9]+/gi, '-')}.yaml`);
    await writeFile(file, yaml.dump(values));
    const rendered = runHelm(['template', 'gomodproxy', chartPath, '-n', 'goproxy', '-f', file], home.path);
    expect(rendered.code, rendered.stderr).toBe(0);
    const objects = renderedObjects(rendered.stdout);
    expect(objects.map((o) => o.kind)).toContain('Deployment');
    for (const object of objects) {
      const answer = await apply(object, 'fieldManager=gomodproxy-chart-test&dryRun=All&fieldValidation=Strict');
      expect(answer.status, `${object.kind} ${object.metadata.name}: ${JSON.stringify(answer.body?.message ?? answer.body)}`).toBeLessThan(300);
    }
  });

  it('is refused by the apiserver when a GoModuleProxy spec breaks the CRD', async () => {
    const file = join(home.path, 'bad-spec.yaml');
    await writeFile(file, yaml.dump({ proxy: { create: true, spec: { storage: { pvc: { size: '1Gi' }, s3: { bucket: 'b', credentialsSecretRef: { name: 's' } } } } } }));
    const rendered = runHelm(['template', 'gomodproxy', chartPath, '-n', 'goproxy', '-f', file], home.path);
    const proxy = renderedObjects(rendered.stdout).find((o) => o.kind === 'GoModuleProxy')!;
    const answer = await apply(proxy, 'fieldManager=gomodproxy-chart-test&dryRun=All&fieldValidation=Strict');
    expect(answer.status).toBe(422);
    expect(JSON.stringify(answer.body.message)).toMatch(/exactly one of pvc or s3/);
  });

  it('goproxyInjection: a pod created in a labelled namespace gets envFrom of the GOPROXY ConfigMap (optional); elsewhere it is untouched', async () => {
    const rendered = runHelm(['template', 'gomodproxy', chartPath, '-n', 'goproxy', '--set', 'goproxyInjection.enabled=true', '--show-only', 'templates/goproxyInjection.yaml'], home.path);
    expect(rendered.code, rendered.stderr).toBe(0);
    const objects = renderedObjects(rendered.stdout);
    expect(objects.map((o) => o.kind)).toEqual(['MutatingAdmissionPolicy', 'MutatingAdmissionPolicyBinding']);
    for (const object of objects) {
      const answer = await apply(object, 'fieldManager=helm&fieldValidation=Strict');
      expect(answer.status, `${object.kind}: ${JSON.stringify(answer.body?.message ?? answer.body)}`).toBeLessThan(300);
    }
    for (const [name, labels] of [['inject-a', { 'gomodproxy.dev/goproxy-env': 'inject' }], ['plain-b', {}]] as const) {
      expect((await cluster.api('POST', '/api/v1/namespaces', { metadata: { name, labels } })).status).toBe(201);
      // No service-account controller runs here: the account a pod runs as is made by hand.
      expect((await cluster.api('POST', `/api/v1/namespaces/${name}/serviceaccounts`, { metadata: { name: 'default' } })).status).toBe(201);
    }
    // No node is needed: the pod is only created, and read back as admission left it.
    const podSpec = {
      containers: [
        { name: 'build', image: 'golang' },
        { name: 'with-own-envfrom', image: 'golang', envFrom: [{ secretRef: { name: 'netrc' } }] },
        { name: 'already-reads-it', image: 'golang', envFrom: [{ configMapRef: { name: 'gomodproxy' } }] },
      ],
    };
    const wanted = { configMapRef: { name: 'gomodproxy', optional: true } };
    let attempt = 0;
    // The apiserver loads new policies from its informer: the first pods may be admitted before it has.
    const injected = await eventually('a pod in the labelled namespace is mutated', async () => {
      const created = await cluster.api('POST', '/api/v1/namespaces/inject-a/pods', { metadata: { name: `go-build-${attempt++}` }, spec: podSpec });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      return created.body.spec.containers[0].envFrom ? created.body : undefined;
    });
    expect(injected.spec.containers.map((c: { envFrom?: unknown }) => c.envFrom)).toEqual([
      [wanted],
      [{ secretRef: { name: 'netrc' } }, wanted],
      [{ configMapRef: { name: 'gomodproxy' } }],
    ]);
    const untouched = await cluster.api('POST', '/api/v1/namespaces/plain-b/pods', { metadata: { name: 'go-build' }, spec: podSpec });
    expect(untouched.status, JSON.stringify(untouched.body)).toBe(201);
    expect(untouched.body.spec.containers.map((c: { envFrom?: unknown }) => c.envFrom)).toEqual([undefined, [{ secretRef: { name: 'netrc' } }], [{ configMapRef: { name: 'gomodproxy' } }]]);
  });

  it('prints NOTES.txt on install: how to create a first GoModuleProxy and point go at it', async () => {
    const install = runHelm(['install', 'gomodproxy', chartPath, '-n', 'goproxy', '--dry-run=server', '--kubeconfig', cluster.kubeconfig], home.path);
    expect(install.code, install.stderr).toBe(0);
    expect(install.stdout).toMatch(/kind: GoModuleProxy/);
    expect(install.stdout).toMatch(/go env -w GOPROXY=http:\/\/go-proxy\.goproxy\.svc/);
  });
});
