// Two operator processes: exactly one holds the Lease and reconciles; when it stops, it releases
// the Lease and the other takes over and reconciles what changes next.
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startControlPlane, type ControlPlane } from './harness.ts';
import { createNamespace, eventually, installCrd, proxiesPath, startOperatorProcess, type OperatorProcess } from './operatorProcess.ts';

const LEASE = '/apis/coordination.k8s.io/v1/namespaces/default/leases/gomodproxy-operator';

describe('leader election between two operators', () => {
  let cluster: ControlPlane;
  let first: OperatorProcess;
  let second: OperatorProcess;
  beforeAll(async () => {
    cluster = await startControlPlane();
    await installCrd(cluster);
    await createNamespace(cluster, 'elected');
  }, 30 * 60_000);
  afterAll(async () => {
    await first?.stop();
    await second?.stop();
    await cluster?.stop();
  });

  const upstreamInConfig = async () => {
    const configMap = await cluster.api('GET', '/api/v1/namespaces/elected/configmaps/corp-config');
    return configMap.status === 200 ? /upstream: (\S+)/.exec(configMap.body.data['config.yaml'])?.[1] : undefined;
  };

  test('one leader at a time; the standby takes over when the leader stops', async () => {
    first = await startOperatorProcess(cluster, 'operator-one');
    await eventually('operator-one leads', async () => ((await first.metric('gomodproxy_operator_leader')) === 1 ? true : undefined));
    second = await startOperatorProcess(cluster, 'operator-two');

    const created = await cluster.api('POST', proxiesPath('elected'), {
      apiVersion: 'gomodproxy.dev/v1alpha1',
      kind: 'GoModuleProxy',
      metadata: { name: 'corp', namespace: 'elected' },
      spec: { upstream: 'http://one.corp.example', storage: { pvc: {} } },
    });
    expect(created.status).toBe(201);
    await eventually('reconciled by the leader', async () => ((await upstreamInConfig()) === 'http://one.corp.example' ? true : undefined));

    const lease = (await cluster.api('GET', LEASE)).body;
    expect(lease.spec.holderIdentity).toBe('operator-one');
    // MicroTime: six fractional digits.
    expect(lease.spec.renewTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(await first.metric('gomodproxy_operator_leader')).toBe(1);
    expect(await second.metric('gomodproxy_operator_leader')).toBe(0);
    // Both are alive; only the leader reconciles.
    for (const operator of [first, second]) {
      const health = await request(`${operator.url}/healthz`);
      expect([health.statusCode, await health.body.text()]).toEqual([200, 'ok']);
    }
    // The ConfigMap is applied before that reconcile ends and is counted.
    await eventually('the leader counted a reconcile', async () => ((await first.metric('gomodproxy_operator_reconciles_total')) > 0 ? true : undefined));
    expect(await second.metric('gomodproxy_operator_reconciles_total')).toBe(0);
    // The standby has not touched the API beyond the Lease: no caches, no applies.
    expect(await second.metric('gomodproxy_operator_api_requests_total{verb="list"}')).toBe(0);
    expect(await second.metric('gomodproxy_operator_api_requests_total{verb="apply"}')).toBe(0);

    expect(await first.stop()).toBe(0);
    expect(first.output()).toContain('lease released');
    await eventually('operator-two leads', async () => ((await second.metric('gomodproxy_operator_leader')) === 1 ? true : undefined));
    const handedOver = (await cluster.api('GET', LEASE)).body;
    expect(handedOver.spec.holderIdentity).toBe('operator-two');
    expect(handedOver.spec.leaseTransitions).toBe(lease.spec.leaseTransitions + 1);

    const patched = await cluster.api('PATCH', proxiesPath('elected', 'corp'), { spec: { upstream: 'http://two.corp.example' } }, 'application/merge-patch+json');
    expect(patched.status).toBe(200);
    await eventually('reconciled by the new leader', async () => ((await upstreamInConfig()) === 'http://two.corp.example' ? true : undefined));
  });
});
