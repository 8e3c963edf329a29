/**
 * The operator process: /healthz and /metrics at once; then it campaigns for the Lease, and only
 * the leader fills its caches and reconciles. SIGTERM stops it gracefully: reconciles in progress
 * finish, the watches stop, and the Lease is released so that a standby takes over at once.
 * A leader that loses the Lease exits (non-zero), to start again as a candidate with fresh caches.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import Fastify from 'fastify';
import { pino, type Logger } from 'pino';
import { parseDuration, parseListen } from '../proxy/config.ts';
import { Controller } from './controller/controller.ts';
import { KubeApi } from './controller/kubeApi.ts';
import { LeaderElector } from './controller/leaderElection.ts';
import { OperatorMetrics } from './controller/metrics.ts';

export const FIELD_MANAGER = 'gomodproxy-operator';

export type OperatorOptions = {
  kubeconfig?: string;
  /** Address of /healthz and /metrics. */
  listen: string;
  /** The proxy image of GoModuleProxies that name none. */
  proxyImage: string;
  /** Watch one namespace only; every namespace when undefined. */
  namespace?: string;
  leaseNamespace: string;
  leaseName: string;
  identity: string;
  leaseDuration: string;
  renewDeadline: string;
  retryPeriod: string;
  workers: number;
  resync: string;
  logLevel: string;
};

export const defaultOperatorOptions = (): OperatorOptions => ({
  listen: '0.0.0.0:8080',
  proxyImage: 'gomodproxy:0.1.0',
  leaseNamespace: process.env['POD_NAMESPACE'] ?? 'default',
  leaseName: 'gomodproxy-operator',
  identity: `${hostname()}_${randomBytes(4).toString('hex')}`,
  leaseDuration: '15s',
  renewDeadline: '10s',
  retryPeriod: '2s',
  workers: 2,
  resync: '10m',
  logLevel: 'info',
});

function durationOption(name: string, value: string): number {
  const ms = parseDuration(value);
  if (!Number.isFinite(ms) || ms <= 0) throw new Error(`invalid --${name} "${value}": allowed: a duration such as 2s, 15s or 10m`);
  return ms;
}

export type RunningOperator = { url: string; leader: () => boolean; stop(): Promise<void>; lost: Promise<string> };

export async function startOperator(options: OperatorOptions, logger: Logger = pino({ level: options.logLevel })): Promise<RunningOperator> {
  const listen = parseListen(options.listen);
  if (!listen) throw new Error(`invalid --listen "${options.listen}": allowed: host:port, e.g. 0.0.0.0:8080`);
  const leaseDurationMs = durationOption('lease-duration', options.leaseDuration);
  const renewDeadlineMs = durationOption('renew-deadline', options.renewDeadline);
  const retryPeriodMs = durationOption('retry-period', options.retryPeriod);
  const resyncPeriodMs = durationOption('resync', options.resync);
  if (!(retryPeriodMs < renewDeadlineMs && renewDeadlineMs < leaseDurationMs)) {
    throw new Error('lease timing: --retry-period < --renew-deadline < --lease-duration is required, so a leader gives up before another may take over');
  }

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

  const app = Fastify({ logger: false });
  app.get('/healthz', async () => 'ok');
  app.get('/metrics', async (_request, reply) => {
    reply.type('text/plain; version=0.0.4');
    return metrics.render({ api, queueDepth: controller.queue.depth, leader: elector.isLeader, informers: controller.caches.all() });
  });
  await app.listen({ host: listen.host, port: listen.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : listen.port;
  const url = `http://${listen.host === '0.0.0.0' ? '127.0.0.1' : listen.host}:${port}`;
  logger.info({ url, identity: options.identity, lease: `${options.leaseNamespace}/${options.leaseName}`, server: api.server }, 'gomodproxy operator started: campaigning for the lease');

  let controllerStarted: Promise<void> | undefined;
  let reportLost: (reason: string) => void = () => {};
  const lost = new Promise<string>((resolve) => (reportLost = resolve));
  const campaign = elector.acquire((reason) => {
    logger.error({ reason }, 'lost the lease: stopping');
    reportLost(reason);
  }).then((leading) => {
    if (leading) controllerStarted = controller.start();
    return controllerStarted;
  });

  let stopping: Promise<void> | undefined;
  return {
    url,
    leader: () => elector.isLeader,
    lost,
    stop() {
      stopping ??= (async () => {
        // Finish the work in hand while still holding the lease, then hand the lease over.
        // (Stopping also ends caches that are still filling, so start() is awaited after it.)
        if (controllerStarted) {
          await controller.stop();
          await controllerStarted.catch(() => undefined);
        }
        await elector.stop();
        await campaign.catch(() => undefined);
        await app.close();
        await api.close();
        logger.info('gomodproxy operator stopped');
      })();
      return stopping;
    },
  };
}
