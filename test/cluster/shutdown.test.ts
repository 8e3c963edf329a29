// SIGTERM at the moments that once ended the operator with exit code 1 or kept it from exiting:
// while its caches fill, and while reconciles are in flight. Each time it exits 0, every request
// it made has its answer (nothing left to cut), and the Lease is released, so a standby leads at once.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startControlPlane, type ControlPlane } from './harness.ts';
import { createNamespace, eventually, installCrd, proxiesPath, startOperatorProcess } from './operatorProcess.ts';

const LEASE = '/apis/coordination.k8s.io/v1/namespaces/default/leases/gomodproxy-operator';

describe('the operator stops cleanly on SIGTERM', () => {
  let cluster: ControlPlane;
  beforeAll(async () => {
    cluster = await startControlPlane();
    await installCrd(cluster);
    await createNamespace(cluster, 'stopping');
  }, 30 * 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  const createProxies = async (prefix: string, count: number) => {
    for (let i = 0; i < count; i++) {
      const created = await cluster.api('POST', proxiesPath('stopping'), {
        apiVersion: 'gomodproxy.dev/v1alpha1',
        kind: 'GoModuleProxy',
        metadata: { name: `${prefix}-${i}`, namespace: 'stopping' },
        spec: { storage: { pvc: {} } },
      });
      expect(created.status).toBe(201);
    }
  };

  // When to send SIGTERM, as the operator's own log tells it.
  test.each([
    ['as soon as it leads, while its caches fill', 'leading', 0],
    ['while reconciles are in flight', '"msg":"reconciled"', 8],
  ])('%s: exit 0, lease released', async (_when, logLine, proxies) => {
    const identity = `stopped-${proxies}`;
    if (proxies > 0) await createProxies(identity, proxies);
    const operator = await startOperatorProcess(cluster, identity, ['--workers=1']);
    await eventually(`the log says ${logLine}`, async () => (operator.output().includes(logLine) ? true : undefined));
    if (proxies > 0) expect(await operator.metric('gomodproxy_operator_queue_depth')).toBeGreaterThan(0);

    expect(await operator.stop(), operator.output()).toBe(0);
    const output = operator.output();
    expect(output).toContain('lease released');
    expect(output).toContain('gomodproxy operator stopped');
    expect(output).not.toMatch(/stopping: .* failed|still open after/);
    const lease = (await cluster.api('GET', LEASE)).body;
    expect(lease.spec.holderIdentity ?? null).toBeNull();
  });
});
