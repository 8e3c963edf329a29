// The control plane the operator's tests use is a real one: kube-apiserver on etcd, reached with
// the kubeconfig the harness writes, by the reference client (@kubernetes/client-node).
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startControlPlane, type ControlPlane } from './harness.ts';

describe('kube-apiserver started by the tests', () => {
  let cluster: ControlPlane;
  beforeAll(async () => {
    cluster = await startControlPlane();
  }, 30 * 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  test('a namespace created through the kubeconfig is listed, and survives an apiserver restart', async () => {
    const config = new KubeConfig();
    config.loadFromFile(cluster.kubeconfig);
    const core = config.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: 'harness-proof', labels: { purpose: 'test' } } } });
    const listed = await core.listNamespace({ labelSelector: 'purpose=test' });
    expect(listed.items.map((namespace) => namespace.metadata?.name)).toEqual(['harness-proof']);

    await cluster.restartApiServer();
    const again = await core.readNamespace({ name: 'harness-proof' });
    expect(again.metadata?.labels).toEqual({ purpose: 'test', 'kubernetes.io/metadata.name': 'harness-proof' });
  });

  test('the admin token is required: an anonymous or wrong token is refused', async () => {
    const version = await cluster.api('GET', '/version');
    expect(version.status).toBe(200);
    expect(version.body.gitVersion).toMatch(/^v1\.\d+\.\d+$/);
    const config = new KubeConfig();
    config.loadFromFile(cluster.kubeconfig);
    config.users[0] = { name: 'admin', token: 'not-the-token' };
    await expect(config.makeApiClient(CoreV1Api).listNamespace()).rejects.toThrow(/401/);
  });
});
