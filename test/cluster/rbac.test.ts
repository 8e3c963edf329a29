// The operator needs no more than operator/api/rbac.ts grants: it runs as a user bound to exactly
// that ClusterRole (no group, nothing else) and does its whole job: create, status, cluster-wide
// publication, a missing Secret noticed, a .netrc Secret issued and withdrawn, deletion through the
// finalizer, leader election.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { operatorClusterRole } from '../../operator/api/rbac.ts';
import { startControlPlane, type ControlPlane } from './harness.ts';
import { condition, createNamespace, eventually, installCrd, markDeploymentReady, proxiesPath, startOperatorProcess, type OperatorProcess } from './operatorProcess.ts';

const USER = 'gomodproxy-operator';

describe('the operator with only its ClusterRole', () => {
  let cluster: ControlPlane;
  let operator: OperatorProcess;
  beforeAll(async () => {
    cluster = await startControlPlane({ users: [USER] });
    await installCrd(cluster);
    await createNamespace(cluster, 'limited', { 'go-proxy': 'yes' });
    expect((await cluster.api('POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', operatorClusterRole())).status).toBe(201);
    const binding = await cluster.api('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
      metadata: { name: USER },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'gomodproxy-operator' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: USER }],
    });
    expect(binding.status).toBe(201);
    operator = await startOperatorProcess(cluster, 'limited-operator', [], cluster.kubeconfigFor(USER));
  }, 30 * 60_000);
  afterAll(async () => {
    await operator?.stop();
    await cluster?.stop();
  });

  const get = (path: string) => cluster.get(path);

  test('creates, reports, publishes and cleans up without a forbidden request', async () => {
    const created = await cluster.api('POST', proxiesPath('limited'), {
      apiVersion: 'gomodproxy.dev/v1alpha1',
      kind: 'GoModuleProxy',
      metadata: { name: 'corp', namespace: 'limited' },
      spec: {
        storage: { pvc: {} },
        gitCredentials: [{ host: 'git.corp.example', secretRef: { name: 'git-token' } }],
        tls: { secretName: 'corp-tls' },
        clusterWide: { enabled: true, namespaceSelector: { matchLabels: { 'go-proxy': 'yes' } }, netrc: { enabled: true } },
      },
    });
    expect(created.status).toBe(201);
    await eventually('Degraded: the Secret is missing', async () => (condition(await get(proxiesPath('limited', 'corp')), 'Degraded')?.reason === 'SecretMissing' ? true : undefined));
    expect((await cluster.api('POST', '/api/v1/namespaces/limited/secrets', { metadata: { name: 'git-token' }, stringData: { token: 't' } })).status).toBe(201);
    expect((await cluster.api('POST', '/api/v1/namespaces/limited/secrets', { metadata: { name: 'corp-tls' }, type: 'kubernetes.io/tls', stringData: { 'tls.crt': 'c', 'tls.key': 'k' } })).status).toBe(201);
    for (const path of ['/api/v1/namespaces/limited/secrets/gomodproxy-netrc', '/api/v1/namespaces/limited/secrets/corp-namespace-tokens', '/apis/apps/v1/namespaces/limited/deployments/corp', '/api/v1/namespaces/limited/services/corp', '/api/v1/namespaces/limited/persistentvolumeclaims/corp-data', '/apis/batch/v1/namespaces/limited/cronjobs/corp-cleanup', '/api/v1/namespaces/limited/configmaps/gomodproxy']) {
      await eventually(path, () => get(path));
    }
    await markDeploymentReady(cluster, 'limited', 'corp');
    await eventually('Ready', async () => (condition(await get(proxiesPath('limited', 'corp')), 'Ready')?.status === 'True' ? true : undefined));

    expect((await cluster.api('DELETE', proxiesPath('limited', 'corp'))).status).toBe(200);
    await eventually('deleted through the finalizer', async () => ((await cluster.api('GET', proxiesPath('limited', 'corp'))).status === 404 ? true : undefined));
    expect(await get('/api/v1/namespaces/limited/configmaps/gomodproxy')).toBeUndefined();
    expect(await get('/api/v1/namespaces/limited/secrets/gomodproxy-netrc')).toBeUndefined();
    expect(await operator.metric('gomodproxy_operator_leader')).toBe(1);
    expect(operator.output()).not.toMatch(/forbidden/i);
  });
});
