// A broken watch: kube-apiserver restarts while the operator runs, and etcd's history is
// compacted meanwhile, so the operator's watches come back to 410 Gone. The operator lists again
// and goes on reconciling, without a restart of its own.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startControlPlane, type ControlPlane } from './harness.ts';
import { condition, createNamespace, eventually, installCrd, proxiesPath, startOperatorProcess, type OperatorProcess } from './operatorProcess.ts';

const proxy = (name: string, upstream: string) => ({
  apiVersion: 'gomodproxy.dev/v1alpha1',
  kind: 'GoModuleProxy',
  metadata: { name, namespace: 'watched' },
  spec: { upstream, storage: { pvc: {} } },
});

describe('the operator when kube-apiserver restarts', () => {
  let cluster: ControlPlane;
  let operator: OperatorProcess;
  beforeAll(async () => {
    cluster = await startControlPlane();
    await installCrd(cluster);
    await createNamespace(cluster, 'watched');
    // A lease that outlasts the apiserver's restart: with the short test timings the leader
    // would (rightly) give up leading while it cannot renew, and exit.
    operator = await startOperatorProcess(cluster, 'operator-watch', ['--lease-duration=120s', '--renew-deadline=90s', '--retry-period=2s']);
  }, 30 * 60_000);
  afterAll(async () => {
    await operator?.stop();
    await cluster?.stop();
  });

  const configOf = async (name: string) => {
    const configMap = await cluster.api('GET', `/api/v1/namespaces/watched/configmaps/${name}-config`);
    return configMap.status === 200 ? (configMap.body.data['config.yaml'] as string) : undefined;
  };

  test('watches resume after 410 Gone: a change and a new resource made afterwards are reconciled', async () => {
    expect((await cluster.api('POST', proxiesPath('watched'), proxy('before', 'http://one.corp.example'))).status).toBe(201);
    await eventually('the first resource is reconciled', async () => ((await configOf('before'))?.includes('one.corp.example') ? true : undefined));
    const expiredBefore = await operator.metric('gomodproxy_operator_watch_expired_total');

    await cluster.restartApiServer({ compactEtcd: true });

    const patched = await cluster.api('PATCH', proxiesPath('watched', 'before'), { spec: { upstream: 'http://two.corp.example' } }, 'application/merge-patch+json');
    expect(patched.status).toBe(200);
    expect((await cluster.api('POST', proxiesPath('watched'), proxy('after', 'http://three.corp.example'))).status).toBe(201);
    await eventually('the change made after the restart is reconciled', async () => ((await configOf('before'))?.includes('two.corp.example') ? true : undefined));
    await eventually('the resource created after the restart is reconciled', async () => ((await configOf('after'))?.includes('three.corp.example') ? true : undefined));
    await eventually('its status is written', async () => {
      const after = await cluster.api('GET', proxiesPath('watched', 'after'));
      return condition(after.body, 'Progressing')?.status === 'True' ? true : undefined;
    });
    expect(await operator.metric('gomodproxy_operator_watch_expired_total')).toBeGreaterThan(expiredBefore);
    expect(await operator.metric('gomodproxy_operator_leader')).toBe(1);
    expect(operator.output()).not.toContain('lost the lease');
  });
});
