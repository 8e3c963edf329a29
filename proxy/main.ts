/**
 * The gomodproxy command line. Settings come from --config FILE, then
 * GOMODPROXY_* environment variables, then flags (each overriding the one
 * before); a bad setting stops start-up with one line saying what is wrong.
 */
import { Command, Option } from 'commander';
import { ConfigError, DEFAULT_UPSTREAM, loadConfig } from './config.ts';
import { startProxy } from './serve.ts';
import { defaultOperatorOptions, startOperator, type OperatorOptions } from '../operator/main.ts';

type ServeFlags = {
  config?: string;
  listen?: string;
  storagePath?: string;
  upstream?: string;
  private?: string;
  listTtl?: string;
  upstreamTimeout?: string;
  logLevel?: string;
};

function flagsToSettings(flags: ServeFlags): Record<string, unknown> {
  const settings: Record<string, unknown> = {};
  if (flags.listen !== undefined) settings.listen = flags.listen;
  if (flags.storagePath !== undefined) settings.storage = { type: 'disk', path: flags.storagePath };
  if (flags.upstream !== undefined) settings.upstream = flags.upstream;
  if (flags.private !== undefined) settings.private = flags.private;
  if (flags.listTtl !== undefined) settings.listTtl = flags.listTtl;
  if (flags.upstreamTimeout !== undefined) settings.upstreamTimeout = flags.upstreamTimeout;
  if (flags.logLevel !== undefined) settings.logLevel = flags.logLevel;
  return settings;
}

async function serve(flags: ServeFlags): Promise<void> {
  const config = loadConfig({ file: flags.config, env: process.env, flags: flagsToSettings(flags) });
  const proxy = await startProxy(config);
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    proxy.app.log.info({ signal }, 'shutting down: finishing in-flight requests');
    proxy.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

type OperatorFlags = Partial<Omit<OperatorOptions, 'workers'>> & { workers?: string };

async function operator(flags: OperatorFlags): Promise<void> {
  const defaults = defaultOperatorOptions();
  const workers = flags.workers === undefined ? defaults.workers : Number(flags.workers);
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`invalid --workers "${flags.workers}": allowed: a whole number from 1`);
  const running = await startOperator({ ...defaults, ...flags, workers });
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

export function buildCli(): Command {
  const program = new Command('gomodproxy')
    .description('A private Go module proxy: the GOPROXY protocol with a durable cache of upstream modules.')
    .showHelpAfterError();

  program
    .command('serve')
    .description('serve the GOPROXY protocol (settings: --config file, GOMODPROXY_* environment, flags)')
    .option('-c, --config <file>', 'YAML settings file (keys as in the README)')
    .option('--listen <host:port>', 'address to serve on [GOMODPROXY_LISTEN] (default: 127.0.0.1:3000)')
    .option('--storage-path <dir>', 'disk storage folder, laid out like GOMODCACHE/cache/download [GOMODPROXY_STORAGE_PATH] (default: ./data)')
    .option('--upstream <list>', `upstream proxies in GOPROXY syntax [GOMODPROXY_UPSTREAM] (default: "${DEFAULT_UPSTREAM}")`)
    .option('--private <patterns>', 'GOPRIVATE-style patterns never asked of an upstream [GOMODPROXY_PRIVATE]')
    .option('--list-ttl <duration>', 'how long list and @latest answers are reused [GOMODPROXY_LIST_TTL] (default: 1m)')
    .option('--upstream-timeout <duration>', 'how long an upstream may take to answer [GOMODPROXY_UPSTREAM_TIMEOUT] (default: 30s)')
    .addOption(
      new Option('--log-level <level>', 'log level [GOMODPROXY_LOG_LEVEL] (default: info)').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    )
    .action(serve);

  const defaults = defaultOperatorOptions();
  program
    .command('operator')
    .description('run the Kubernetes operator: keeps GoModuleProxy resources running (apply crds/ first)')
    .option('--kubeconfig <file>', 'kubeconfig file (default: the pod\'s service account, else ~/.kube/config)')
    .option('--listen <host:port>', `address of /healthz and /metrics (default: ${defaults.listen})`)
    .option('--proxy-image <image>', `proxy image for resources that name none (default: ${defaults.proxyImage})`)
    .option('--namespace <namespace>', 'watch GoModuleProxies in this namespace only (default: every namespace)')
    .option('--lease-namespace <namespace>', 'namespace of the leader election Lease (default: $POD_NAMESPACE, else default)')
    .option('--lease-name <name>', `name of the Lease (default: ${defaults.leaseName})`)
    .option('--identity <name>', 'this candidate\'s name in the Lease (default: host name and a random suffix)')
    .option('--lease-duration <duration>', `how long a lease holds without renewal (default: ${defaults.leaseDuration})`)
    .option('--renew-deadline <duration>', `how long the leader keeps trying to renew before it stops (default: ${defaults.renewDeadline})`)
    .option('--retry-period <duration>', `how often to renew or try to acquire (default: ${defaults.retryPeriod})`)
    .option('--workers <n>', `reconciles at once (default: ${defaults.workers})`)
    .option('--resync <duration>', `how often every resource is reconciled without an event (default: ${defaults.resync})`)
    .addOption(new Option('--log-level <level>', 'log level (default: info)').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']))
    .action(operator);

  return program;
}

async function main(argv: string[]): Promise<void> {
  try {
    await buildCli().parseAsync(argv);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`gomodproxy: ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`gomodproxy: ${(err as Error).message}\n`);
    process.exit(1);
  }
}

await main(process.argv);
