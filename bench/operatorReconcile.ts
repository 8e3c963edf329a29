// Reconcile at scale, against a real kube-apiserver and etcd (test/cluster/harness.ts):
// N GoModuleProxy resources are created at once; the figure is the time until every one is
// Ready (this script sets each Deployment's status as the deployment controller would, since no
// kubelet runs), and the API requests the operator sent per resource to get there. Then the
// operator resyncs everything with nothing changed: the requests per resource of that resync.
//
//   node bench/operatorReconcile.ts [--resources 200]
import { parseArgs } from 'node:util';
import { startControlPlane } from '../test/cluster/harness.ts';
import { condition, createNamespace, eventually, installCrd, markDeploymentReady, proxiesPath, startOperatorProcess } from '../test/cluster/operatorProcess.ts';

const VERBS = ['get', 'list', 'watch', 'apply', 'create', 'update', 'delete', 'patch'] as const;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { resources: { type: 'string', default: '200' } } });
  const count = Number(values.resources);
  const cluster = await startControlPlane();
  try {
    await installCrd(cluster);
    await createNamespace(cluster, 'bench');
    // A resync every 20 s, so that the steady state can be watched within a minute.
    const operator = await startOperatorProcess(cluster, 'bench-operator', ['--resync=20s']);
    await eventually('operator leads', async () => ((await operator.metric('gomodproxy_operator_leader')) === 1 ? true : undefined));
    const requests = async () => Object.fromEntries(await Promise.all(VERBS.map(async (verb) => [verb, await operator.metric(`gomodproxy_operator_api_requests_total{verb="${verb}"}`)] as const)));
    const before = await requests();

    const started = performance.now();
    const names = Array.from({ length: count }, (_, i) => `proxy-${String(i).padStart(3, '0')}`);
    for (let i = 0; i < names.length; i += 20) {
      await Promise.all(names.slice(i, i + 20).map(async (name) => {
        const created = await cluster.api('POST', proxiesPath('bench'), {
          apiVersion: 'gomodproxy.dev/v1alpha1',
          kind: 'GoModuleProxy',
          metadata: { name, namespace: 'bench' },
          spec: { upstream: `http://${name}.mirror.corp.example`, storage: { pvc: {} } },
        });
        if (created.status !== 201) throw new Error(`${name}: ${created.status} ${JSON.stringify(created.body)}`);
      }));
    }
    const markedReady = new Set<string>();
    await eventually('all Ready', async () => {
      const deployments = (await cluster.api('GET', '/apis/apps/v1/namespaces/bench/deployments')).body.items as Array<{ metadata: { name: string } }>;
      for (const deployment of deployments) {
        if (markedReady.has(deployment.metadata.name)) continue;
        await markDeploymentReady(cluster, 'bench', deployment.metadata.name);
        markedReady.add(deployment.metadata.name);
      }
      const proxies = (await cluster.api('GET', proxiesPath('bench'))).body.items as Array<{ status?: { conditions?: Array<{ type: string }> } }>;
      return proxies.filter((proxy) => condition(proxy, 'Ready')?.status === 'True').length === count ? true : undefined;
    }, 30 * 60_000);
    const allReadySeconds = (performance.now() - started) / 1000;
    const afterReady = await requests();

    // Steady state: wait for two resyncs of every resource (reconciles counted by the operator).
    const reconcilesBefore = await operator.metric('gomodproxy_operator_reconciles_total');
    await eventually('two resyncs', async () => ((await operator.metric('gomodproxy_operator_reconciles_total')) >= reconcilesBefore + 2 * count ? true : undefined), 5 * 60_000);
    const afterResync = await requests();
    const reconciles = (await operator.metric('gomodproxy_operator_reconciles_total')) - reconcilesBefore;

    const perResource = (from: Record<string, number>, to: Record<string, number>) =>
      Object.fromEntries(VERBS.map((verb) => [verb, Number(((to[verb]! - from[verb]!) / count).toFixed(2))]).filter(([, n]) => n !== 0));
    const report = {
      resources: count,
      secondsToAllReady: Number(allReadySeconds.toFixed(1)),
      requestsPerResourceToReady: perResource(before, afterReady),
      steadyStateReconciles: reconciles,
      requestsPerResourceInSteadyState: perResource(afterReady, afterResync),
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    await operator.stop();
  } finally {
    await cluster.stop();
  }
}

await main();
