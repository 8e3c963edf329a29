// spec.vulndb and spec.policy.vulnerable on a real kube-apiserver: the ConfigMap holds settings the
// proxy's own schema accepts, and status.vulndb follows the database a ready pod reports. The pod
// is an object this test writes as the kubelet would (podIP 127.0.0.1), and behind its port runs a
// real proxy mirroring a test vulnerability database served on 127.0.0.1.
import { join } from 'node:path';
import yaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { resolveConfig } from '../../proxy/config.ts';
import { startTestProxy, tempFolder, type TestProxy } from '../e2e/harness.ts';
import { startUpstream, type Upstream } from '../fixtures/upstreamServer.ts';
import { writeVulnDatabase, type TestAdvisory } from '../fixtures/vulnDatabase.ts';
import { startControlPlane, type ControlPlane } from './harness.ts';
import { createNamespace, eventually, installCrd, podWithStatus, proxiesPath, startOperatorProcess, type OperatorProcess } from './operatorProcess.ts';

const NS = 'goproxy';
const advisory = (n: number, modified: string): TestAdvisory => ({
  id: `GO-2026-010${n}`,
  modified,
  affected: [{ module: 'github.com/acme/lib', events: [{ introduced: '0' }, { fixed: `1.${n}.0` }] }],
});

describe('the operator on a real kube-apiserver: the vulnerability database', () => {
  let cluster: ControlPlane;
  let operator: OperatorProcess;
  let work: { path: string; dispose(): Promise<void> };
  let database: Upstream;
  let proxy: TestProxy;

  beforeAll(async () => {
    work = await tempFolder('gomodproxy-operator-vulndb-');
    await writeVulnDatabase(join(work.path, 'db'), [advisory(1, '2026-05-01T00:00:00Z')]);
    database = await startUpstream(join(work.path, 'db'));
    proxy = await startTestProxy({ upstream: 'off', vulndb: { url: database.url } });
    expect((await proxy.vulnDatabase!.refresh()).outcome).toBe('updated');
    cluster = await startControlPlane();
    await installCrd(cluster);
    await createNamespace(cluster, NS);
    // Resyncs every few seconds, so that a refresh of the database shows without any other event.
    operator = await startOperatorProcess(cluster, 'operator-vulndb', ['--resync=2s']);
  }, 30 * 60_000);

  afterAll(async () => {
    await operator?.stop();
    await cluster?.stop();
    await proxy?.dispose();
    await database?.close();
    await work?.dispose();
  });

  test('spec.vulndb and spec.policy.vulnerable become settings the proxy accepts; the CRD refuses an unknown action', async () => {
    const created = await cluster.api('POST', proxiesPath(NS), {
      apiVersion: 'gomodproxy.dev/v1alpha1',
      kind: 'GoModuleProxy',
      metadata: { name: 'corp', namespace: NS },
      spec: {
        storage: { pvc: {} },
        vulndb: { url: 'https://vulndb.corp.example', refresh: '15m' },
        policy: { vulnerable: { action: 'deny', ids: ['GO-2026-0101', 'CVE-2026-1111'] } },
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const configMap = await eventually('the ConfigMap', () => cluster.get(`/api/v1/namespaces/${NS}/configmaps/corp-config`));
    const settings = resolveConfig(yaml.load(configMap.data['config.yaml']) as Record<string, unknown>);
    expect(settings.vulndb).toEqual({ url: 'https://vulndb.corp.example', refresh: 15 * 60_000 });
    expect(settings.policy.vulnerable).toEqual({ action: 'deny', ids: ['GO-2026-0101', 'CVE-2026-1111'] });

    const refused = await cluster.api('POST', proxiesPath(NS), {
      apiVersion: 'gomodproxy.dev/v1alpha1',
      kind: 'GoModuleProxy',
      metadata: { name: 'bad', namespace: NS },
      spec: { storage: { pvc: {} }, policy: { vulnerable: { action: 'block' } } },
    });
    expect(refused.status).toBe(422);
    expect(refused.body.message).toContain('spec.policy.vulnerable.action');
  });

  test("status.vulndb shows the database's last refresh as a ready pod reports it, and follows a refresh", async () => {
    const deployment = await eventually('the Deployment', () => cluster.get(`/apis/apps/v1/namespaces/${NS}/deployments/corp`));
    const labels = deployment.spec.template.metadata.labels;
    const port = Number(new URL(proxy.url).port);
    const podName = 'corp-6c9d7f8b5-vx4qz';
    // The service account controller does not run here; pods need the namespace's default account.
    const account = await cluster.api('POST', `/api/v1/namespaces/${NS}/serviceaccounts`, { metadata: { name: 'default' } });
    expect([201, 409]).toContain(account.status);
    const pod = await cluster.api('POST', `/api/v1/namespaces/${NS}/pods`, {
      metadata: { name: podName, labels },
      spec: { containers: [{ name: 'gomodproxy', image: 'gomodproxy:test', ports: [{ name: 'http', containerPort: port, protocol: 'TCP' }] }] },
    });
    expect(pod.status, JSON.stringify(pod.body)).toBe(201);
    const now = new Date().toISOString();
    await podWithStatus(cluster, NS, podName, labels, 'gomodproxy', {
      phase: 'Running',
      podIP: '127.0.0.1',
      podIPs: [{ ip: '127.0.0.1' }],
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }],
      containerStatuses: [{ name: 'gomodproxy', image: 'gomodproxy:test', imageID: '', ready: true, restartCount: 0, started: true, state: { running: { startedAt: now } } }],
    });
    const vulndb = async () => (await cluster.get(proxiesPath(NS, 'corp'))).status?.vulndb;
    const first = await eventually('status.vulndb', async () => ((await vulndb())?.modified ? vulndb() : undefined));
    expect(first).toEqual({ url: database.url, modified: '2026-05-01T00:00:00Z', lastRefresh: proxy.vulnerabilities.status()!.refreshedAt, stale: false });

    await writeVulnDatabase(join(work.path, 'db'), [advisory(1, '2026-05-01T00:00:00Z'), advisory(2, '2026-06-01T00:00:00Z')]);
    expect((await proxy.vulnDatabase!.refresh()).outcome).toBe('updated');
    const second = await eventually('status.vulndb after the refresh', async () => ((await vulndb())?.modified === '2026-06-01T00:00:00Z' ? vulndb() : undefined));
    expect(second.lastRefresh).toBe(proxy.vulnerabilities.status()!.refreshedAt);
  });
});
