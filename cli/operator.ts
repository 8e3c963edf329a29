/**
 * `gomodproxy operator`: the Kubernetes operator until SIGTERM or SIGINT (exit 0, the Lease handed
 * over), or until it loses the Lease (exit 3, to start again as a candidate with fresh caches).
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Option, type Command } from 'commander';
import { LOG_LEVELS, parseDuration, parseListen } from '../proxy/config.ts';

type OperatorFlags = {
  kubeconfig?: string;
  listen: string;
  proxyImage: string;
  namespace?: string;
  leaseNamespace: string;
  leaseName: string;
  identity: string;
  leaseDuration: string;
  renewDeadline: string;
  retryPeriod: string;
  workers: string;
  resync: string;
  logLevel: string;
};

const defaults = (): OperatorFlags => ({
  listen: '0.0.0.0:8080',
  proxyImage: 'gomodproxy:0.1.0',
  leaseNamespace: process.env['POD_NAMESPACE'] ?? 'default',
  leaseName: 'gomodproxy-operator',
  identity: `${hostname()}_${randomBytes(4).toString('hex')}`,
  leaseDuration: '15s',
  renewDeadline: '10s',
  retryPeriod: '2s',
  workers: '2',
  resync: '10m',
  logLevel: 'info',
});

function durationFlag(name: string, value: string): number {
  const ms = parseDuration(value);
  if (!Number.isFinite(ms) || ms <= 0) throw new Error(`invalid --${name} "${value}": allowed: a duration such as 2s, 15s or 10m`);
  return ms;
}

async function operator(given: Partial<OperatorFlags>): Promise<void> {
  const flags = { ...defaults(), ...given };
  const workers = Number(flags.workers);
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`invalid --workers "${flags.workers}": allowed: a whole number from 1`);
  const listen = parseListen(flags.listen);
  if (!listen) throw new Error(`invalid --listen "${flags.listen}": allowed: host:port, e.g. 0.0.0.0:8080`);
  const leaseDurationMs = durationFlag('lease-duration', flags.leaseDuration);
  const renewDeadlineMs = durationFlag('renew-deadline', flags.renewDeadline);
  const retryPeriodMs = durationFlag('retry-period', flags.retryPeriod);
  const resyncPeriodMs = durationFlag('resync', flags.resync);
  if (!(retryPeriodMs < renewDeadlineMs && renewDeadlineMs < leaseDurationMs)) {
    throw new Error('lease timing: --retry-period < --renew-deadline < --lease-duration is required, so a leader gives up before another may take over');
  }
  // Loaded here, not at the top: the Kubernetes client costs ~85 MiB of memory that serve and the
  // other commands, which share this program, must not pay.
  const { runOperator } = await import('../operator/main.ts');
  const running = await runOperator({
    ...(flags.kubeconfig !== undefined && { kubeconfig: flags.kubeconfig }),
    ...(flags.namespace !== undefined && { namespace: flags.namespace }),
    listen,
    proxyImage: flags.proxyImage,
    leaseNamespace: flags.leaseNamespace,
    leaseName: flags.leaseName,
    identity: flags.identity,
    leaseDurationMs,
    renewDeadlineMs,
    retryPeriodMs,
    workers,
    resyncPeriodMs,
    logLevel: flags.logLevel,
  });
  let closing = false;
  const shutdown = (code: number) => {
    if (closing) return;
    closing = true;
    running.stop().then(
      () => process.exit(code),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => shutdown(0));
  process.on('SIGINT', () => shutdown(0));
  void running.lost.then(() => shutdown(3));
}

export function addOperatorCommand(program: Command): void {
  const shown = defaults();
  program
    .command('operator')
    .description('run the Kubernetes operator: keeps GoModuleProxy resources running (apply crds/ first)')
    .option('--kubeconfig <file>', 'kubeconfig file (default: the pod\'s service account, else ~/.kube/config)')
    .option('--listen <host:port>', `address of /healthz and /metrics (default: ${shown.listen})`)
    .option('--proxy-image <image>', `proxy image for resources that name none (default: ${shown.proxyImage})`)
    .option('--namespace <namespace>', 'watch GoModuleProxies in this namespace only (default: every namespace)')
    .option('--lease-namespace <namespace>', 'namespace of the leader election Lease (default: $POD_NAMESPACE, else default)')
    .option('--lease-name <name>', `name of the Lease (default: ${shown.leaseName})`)
    .option('--identity <name>', 'this candidate\'s name in the Lease (default: host name and a random suffix)')
    .option('--lease-duration <duration>', `how long a lease holds without renewal (default: ${shown.leaseDuration})`)
    .option('--renew-deadline <duration>', `how long the leader keeps trying to renew before it stops (default: ${shown.renewDeadline})`)
    .option('--retry-period <duration>', `how often to renew or try to acquire (default: ${shown.retryPeriod})`)
    .option('--workers <n>', `reconciles at once (default: ${shown.workers})`)
    .option('--resync <duration>', `how often every resource is reconciled without an event (default: ${shown.resync})`)
    .addOption(new Option('--log-level <level>', 'log level (default: info)').choices(LOG_LEVELS))
    .action(operator);
}
