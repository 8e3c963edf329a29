// The chart's hooks: what they render, and the two commands they run, each as a user bound to
// exactly the hooks' ClusterRole on a real kube-apiserver: `gomodproxy apply-crd` upgrades an older
// CRD (Helm never upgrades crds/), `gomodproxy delete-proxies` deletes every GoModuleProxy and
// returns once the running operator has finalized them (their cluster-wide ConfigMaps gone), and
// without an operator it fails naming what is left. The Jobs themselves need a node to run: here
// they are rendered and their commands run as processes; the node story runs `helm uninstall`.
import { execFile } from 'node:child_process';
import yaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goModuleProxyCrd } from '../../operator/api/crd.ts';
import { FINALIZER } from '../../operator/controller/finalizer.ts';
import { startControlPlane, type ControlPlane } from '../cluster/harness.ts';
import { createNamespace, eventually, proxiesPath, startOperatorProcess, type OperatorProcess } from '../cluster/operatorProcess.ts';
import { productionCommand, repositoryRoot, tempFolder } from '../e2e/harness.ts';
import { chartPath, renderedObjects, runHelm, type KubeObject } from './helm.ts';

const CRD_PATH = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gomoduleproxies.gomodproxy.dev';

/** A gomodproxy command line, as the hook's container runs it; the exit code and what it printed. */
function gomodproxy(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { command, args: base } = productionCommand();
  return new Promise((resolve) => {
    execFile(command, [...base, ...args], { cwd: repositoryRoot, env: { PATH: process.env['PATH'] ?? '' } }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

const hookOf = (object: KubeObject) => (object.metadata['annotations'] as Record<string, string> | undefined)?.['helm.sh/hook'];

describe('the chart\'s hooks', () => {
  let cluster: ControlPlane;
  let home: { path: string; dispose(): Promise<void> };
  let operator: OperatorProcess | undefined;
  const render = (args: string[]) => {
    const rendered = runHelm(['template', 'gmp', chartPath, '-n', 'operators', '--show-only', 'templates/hooks.yaml', ...args], home.path);
    expect(rendered.code, rendered.stderr).toBe(0);
    return renderedObjects(rendered.stdout);
  };

  beforeAll(async () => {
    home = await tempFolder('gomodproxy-helm-hooks-');
    cluster = await startControlPlane({ users: ['hook-runner'] });
  }, 30 * 60_000);
  afterAll(async () => {
    await operator?.stop();
    await cluster?.stop();
    await home?.dispose();
  });

  it('renders a pre-upgrade Job that applies the CRD and a pre-delete Job that deletes the proxies, with their own account and rights', () => {
    const objects = render(['--set', 'image.tag=1.2.3']);
    expect(objects.map((o) => [o.kind, hookOf(o)])).toEqual([
      ['ServiceAccount', 'pre-upgrade,pre-delete'],
      ['ClusterRole', 'pre-upgrade,pre-delete'],
      ['ClusterRoleBinding', 'pre-upgrade,pre-delete'],
      ['Job', 'pre-upgrade'],
      ['Job', 'pre-delete'],
    ]);
    const containers = objects.filter((o) => o.kind === 'Job').map((job: any) => job.spec.template.spec.containers[0]);
    expect(containers.map((c) => [c.image, c.args])).toEqual([
      ['gomodproxy:1.2.3', ['apply-crd', '--timeout=5m']],
      ['gomodproxy:1.2.3', ['delete-proxies', '--timeout=5m']],
    ]);
    const jobs = objects.filter((o) => o.kind === 'Job') as any[];
    for (const job of jobs) expect(job.spec.template.spec.serviceAccountName).toBe('gmp-gomodproxy-operator-hooks');
    // Watching one namespace: only the proxies there are the release's to delete.
    const watching = render(['--set', 'watchNamespace=team-a']).filter((o) => o.kind === 'Job') as any[];
    expect(watching[1].spec.template.spec.containers[0].args).toEqual(['delete-proxies', '--timeout=5m', '--namespace=team-a']);
    const withoutHooks = runHelm(['template', 'gmp', chartPath, '-n', 'operators', '--set', 'hooks.applyCrdOnUpgrade=false', '--set', 'hooks.deleteProxiesOnUninstall=false'], home.path);
    expect(withoutHooks.code, withoutHooks.stderr).toBe(0);
    expect(renderedObjects(withoutHooks.stdout).filter((o) => hookOf(o) !== undefined && o.kind !== 'Pod')).toEqual([]);
  });

  it('gomodproxy apply-crd, with the hooks\' rights only, upgrades an older CRD: a field it lacked is kept from then on', async () => {
    // The hooks' ClusterRole as rendered, bound to a user instead of the hook's account.
    const role = render([]).find((o) => o.kind === 'ClusterRole')!;
    expect((await cluster.api('POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', role)).status).toBe(201);
    const binding = await cluster.api('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
      metadata: { name: 'hook-runner' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.metadata.name },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'hook-runner' }],
    });
    expect(binding.status).toBe(201);

    // An older CRD, as an earlier chart's crds/ left it: no spec.monitoring.
    const older = structuredClone(goModuleProxyCrd()) as any;
    delete older.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.monitoring;
    expect((await cluster.api('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', older)).status).toBe(201);
    await createNamespace(cluster, 'team-a');
    const proxy = (name: string) => ({ apiVersion: 'gomodproxy.dev/v1alpha1', kind: 'GoModuleProxy', metadata: { name, namespace: 'team-a' }, spec: { storage: { pvc: {} }, monitoring: { podMonitor: { enabled: false } } } });
    const before = await eventually('the older CRD serves', async () => {
      const created = await cluster.api('POST', proxiesPath('team-a'), proxy('before'));
      return created.status === 201 ? created.body : undefined;
    });
    expect(before.spec.monitoring).toBeUndefined();

    const applied = await gomodproxy(['apply-crd', `--kubeconfig=${cluster.kubeconfigFor('hook-runner')}`]);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(/^CustomResourceDefinition gomoduleproxies\.gomodproxy\.dev \(gomodproxy\.dev_gomoduleproxies\.yaml\) applied/);
    const crd = (await cluster.api('GET', CRD_PATH)).body;
    expect(crd.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.monitoring).toBeDefined();
    const after = await eventually('the new schema is in force', async () => {
      await cluster.api('DELETE', proxiesPath('team-a', 'after'));
      const created = await cluster.api('POST', proxiesPath('team-a'), proxy('after'));
      return created.status === 201 && created.body.spec.monitoring ? created.body : undefined;
    });
    expect(after.spec.monitoring).toEqual({ podMonitor: { enabled: false, interval: '30s' } });
    // As crds/ says, to the byte: the one source.
    const checkedIn = yaml.load((await import('node:fs')).readFileSync(`${repositoryRoot}/crds/gomodproxy.dev_gomoduleproxies.yaml`, 'utf8')) as any;
    expect(crd.spec.versions[0].schema).toEqual(checkedIn.spec.versions[0].schema);
  });

  it('gomodproxy delete-proxies returns once the operator has finalized every proxy: their cluster-wide ConfigMaps are gone', async () => {
    await createNamespace(cluster, 'team-b', { 'go-proxy': 'yes' });
    const published = { storage: { pvc: {} }, clusterWide: { enabled: true, namespaceSelector: { matchLabels: { 'go-proxy': 'yes' } }, configMapName: 'gomodproxy' } };
    const created = await cluster.api('POST', proxiesPath('team-a'), { apiVersion: 'gomodproxy.dev/v1alpha1', kind: 'GoModuleProxy', metadata: { name: 'corp', namespace: 'team-a' }, spec: published });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    operator = await startOperatorProcess(cluster, 'hooked');
    await eventually('the cluster-wide ConfigMap', async () => ((await cluster.api('GET', '/api/v1/namespaces/team-b/configmaps/gomodproxy')).status === 200 ? true : undefined));
    await eventually('every proxy has the finalizer', async () => {
      const items = (await cluster.api('GET', '/apis/gomodproxy.dev/v1alpha1/gomoduleproxies')).body.items as any[];
      return items.length > 0 && items.every((item) => item.metadata.finalizers?.includes(FINALIZER)) ? true : undefined;
    });

    const deleted = await gomodproxy(['delete-proxies', `--kubeconfig=${cluster.kubeconfigFor('hook-runner')}`, '--timeout=2m']);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout).toBe('deleted and finalized: team-a/after, team-a/before, team-a/corp\n');
    expect((await cluster.api('GET', '/apis/gomodproxy.dev/v1alpha1/gomoduleproxies')).body.items).toEqual([]);
    expect((await cluster.api('GET', '/api/v1/namespaces/team-b/configmaps/gomodproxy')).status).toBe(404);
  });

  it('without a running operator, gomodproxy delete-proxies fails naming the proxy left Terminating and why', async () => {
    expect(await operator!.stop()).toBe(0);
    operator = undefined;
    const created = await cluster.api('POST', proxiesPath('team-a'), {
      apiVersion: 'gomodproxy.dev/v1alpha1', kind: 'GoModuleProxy', metadata: { name: 'orphan', namespace: 'team-a', finalizers: [FINALIZER] }, spec: { storage: { pvc: {} } },
    });
    expect(created.status).toBe(201);
    const failed = await gomodproxy(['delete-proxies', `--kubeconfig=${cluster.kubeconfigFor('hook-runner')}`, '--timeout=2s']);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(`GoModuleProxies still Terminating after 2 s: team-a/orphan (finalizers: ${FINALIZER}): the operator removes its finalizer once it has deleted their cluster-wide ConfigMaps; is it running?`);
  });
});
