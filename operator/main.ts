/**
 * The operator process: /healthz and /metrics at once; then it campaigns for the Lease, and only
 * the leader fills its caches and reconciles. SIGTERM stops it gracefully: reconciles in progress
 * finish, the watches stop, and the Lease is released so that a standby takes over at once.
 * A leader that loses the Lease exits (non-zero), to start again as a candidate with fresh caches.
 */
import Fastify from 'fastify';
import { pino, type Logger } from 'pino';
import { Controller } from './controller/controller.ts';
import { KubeApi } from './controller/kubeApi.ts';
import { LeaderElector } from './controller/leaderElection.ts';
import { OperatorMetrics } from './controller/metrics.ts';

export const FIELD_MANAGER = 'gomodproxy-operator';

/** The operator's settings, checked (cli/operator.ts makes them from the command line). */
export type OperatorOptions = {
  kubeconfig?: string;
  /** Address of /healthz and /metrics. */
  listen: { host: string; port: number };
  /** The proxy image of GoModuleProxies that name none. */
  proxyImage: string;
  /** Watch one namespace only; every namespace when undefined. */
  namespace?: string;
  leaseNamespace: string;
  leaseName: string;
  identity: string;
  /** Leader election timing: retryPeriodMs < renewDeadlineMs < leaseDurationMs. */
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  workers: number;
  resyncPeriodMs: number;
  logLevel: string;
};

export type RunningOperator = { url: string; leader: () => boolean; stop(): Promise<void>; lost: Promise<string> };

export async function runOperator(options: OperatorOptions, logger: Logger = pino({ level: options.logLevel })): Promise<RunningOperator> {
  const { listen, leaseDurationMs, renewDeadlineMs, retryPeriodMs, resyncPeriodMs } = options;
  const api = await KubeApi.connect({ kubeconfig: options.kubeconfig, fieldManager: FIELD_MANAGER });
  const metrics = new OperatorMetrics();
  const controller = new Controller({
    api,
    render: { defaultImage: options.proxyImage },
    logger,
    workers: options.workers,
    resyncPeriodMs,
    metrics,
    identity: options.identity,
    ...(options.namespace ? { watchNamespace: options.namespace } : {}),
  });
  const elector = new LeaderElector({
    api,
    namespace: options.leaseNamespace,
    name: options.leaseName,
    identity: options.identity,
    leaseDurationMs,
    renewDeadlineMs,
    retryPeriodMs,
    logger,
  });

  metrics.collectFrom({ api, queueDepth: () => controller.queue.depth, leader: () => elector.isLeader, informers: () => controller.caches.all() });

  const app = Fastify({ logger: false });
  app.get('/healthz', async () => 'ok');
  app.get('/metrics', async (_request, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  await app.listen({ host: listen.host, port: listen.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : listen.port;
  const url = `http://${listen.host === '0.0.0.0' ? '127.0.0.1' : listen.host}:${port}`;
  logger.info({ url, identity: options.identity, lease: `${options.leaseNamespace}/${options.leaseName}`, server: api.server }, 'gomodproxy operator started: campaigning for the lease');

  let controllerStarted: Promise<void> | undefined;
  let stopping: Promise<void> | undefined;
  let reportLost: (reason: string) => void = () => {};
  const lost = new Promise<string>((resolve) => (reportLost = resolve));
  const campaign = elector.acquire((reason) => {
    logger.error({ reason }, 'lost the lease: stopping');
    reportLost(reason);
  }).then((leading) => {
    // Won as a stop began: the controller is not started, and the elector releases the lease.
    if (leading && !stopping) controllerStarted = controller.start();
    return controllerStarted;
  });

  /** One step of the shutdown: a failure is logged, and the steps after it still run. */
  const step = async (what: string, run: () => Promise<unknown>) => {
    try {
      await run();
    } catch (err) {
      logger.warn({ err: (err as Error).message }, `stopping: ${what} failed`);
    }
  };

  return {
    url,
    leader: () => elector.isLeader,
    lost,
    stop() {
      stopping ??= (async () => {
        // Finish the work in hand while still holding the lease, then hand the lease over.
        // (Stopping also ends caches that are still filling, so start() is awaited after it.)
        if (controllerStarted) {
          const started = controllerStarted;
          await step('the controller', () => controller.stop());
          await step('filling the caches', () => started);
        }
        await elector.stop();
        await step('the campaign', () => campaign);
        await step('the /metrics server', () => app.close());
        await step('the API connections', async () => {
          if (!(await api.close())) logger.warn('stopping: requests to the API still open after 5 s were cut');
        });
        logger.info('gomodproxy operator stopped');
      })();
      return stopping;
    },
  };
}
