/**
 * The gomodproxy command line. Settings come from --config FILE, then
 * GOMODPROXY_* environment variables, then flags (each overriding the one
 * before); a bad setting stops start-up with one line saying what is wrong.
 */
import { Command, Option } from 'commander';
import { destination, pino, type Logger } from 'pino';
import { readFile, writeFile } from 'node:fs/promises';
import { cleanup, cleanupReport, formatCleanupSummary } from './commands/cleanup.ts';
import { exportBundle, formatExportSummary, type ExportSelection } from './commands/exportBundle.ts';
import { BundleError, formatImportSummary, importBundle } from './commands/importBundle.ts';
import { formatPrefetchSummary, planPrefetch, prefetch, PrefetchInputError } from './commands/prefetch.ts';
import { createProgress } from './commands/progress.ts';
import { ConfigError, DEFAULT_UPSTREAM, loadConfig, parseDuration, type Config } from './config.ts';
import { GoSumError, parseGoSum } from './protocol/index.ts';
import { assembleProxy, createStorage, startProxy } from './serve.ts';
import { defaultOperatorOptions, startOperator, type OperatorOptions } from '../operator/main.ts';

type ServeFlags = {
  config?: string;
  listen?: string;
  storagePath?: string;
  upstream?: string;
  private?: string;
  nosumdb?: string;
  sumdb?: string;
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
  if (flags.nosumdb !== undefined) settings.nosumdb = flags.nosumdb;
  if (flags.sumdb !== undefined) settings.sumdb = flags.sumdb;
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

type CommandFlags = ServeFlags & {
  json?: boolean;
  concurrency?: string;
  from?: string;
  all?: boolean;
  module?: string;
  out?: string;
  goSum?: string;
  keepSince?: string;
  keepLatest?: string;
  pin?: string[];
  dryRun?: boolean;
  terminationMessage?: string;
};

/** Commands other than serve keep stdout for their report: logs go to stderr, warnings and up by default. */
function commandLogger(flags: CommandFlags): Logger {
  return pino({ level: flags.logLevel ?? 'warn' }, destination(2));
}

function commandConfig(flags: CommandFlags): Config {
  return loadConfig({ file: flags.config, env: process.env, flags: flagsToSettings({ ...flags, logLevel: undefined }) });
}

async function prefetchCommand(inputs: string[], flags: CommandFlags): Promise<void> {
  const config = commandConfig(flags);
  const plan = await planPrefetch(inputs);
  const logger = commandLogger(flags);
  const { modules } = await assembleProxy(config, logger);
  const progress = createProgress('prefetch');
  const concurrency = flags.concurrency === undefined ? 16 : Number(flags.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new UsageError(`--concurrency ${flags.concurrency}: give a whole number of at least 1`);
  const summary = await prefetch(plan, { modules, concurrency, progress });
  progress.stop();
  process.stdout.write(flags.json ? `${JSON.stringify(summary, null, 2)}\n` : formatPrefetchSummary(summary));
  if (summary.failed > 0) process.exitCode = 1;
}

async function readArgumentFile(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

async function exportCommand(flags: CommandFlags): Promise<void> {
  const chosen = [flags.from !== undefined, flags.all === true, flags.module !== undefined].filter(Boolean).length;
  if (chosen !== 1) throw new UsageError('say what to export with exactly one of --from <go.sum>, --all or --module <patterns>');
  if (!flags.out) throw new UsageError('say where to write the bundle with --out <file.tar>');
  const selection: ExportSelection = flags.from
    ? { goSum: await readArgumentFile(flags.from, 'go.sum'), file: flags.from }
    : { patterns: flags.all ? 'all' : flags.module!.split(',').map((p) => p.trim()).filter(Boolean) };
  const config = commandConfig(flags);
  const storage = await createStorage(config);
  await storage.open();
  const progress = createProgress('export');
  const summary = await exportBundle(storage, selection, flags.out, progress);
  progress.stop();
  process.stdout.write(flags.json ? `${JSON.stringify(summary, null, 2)}\n` : formatExportSummary(summary));
  if (summary.missing.length > 0) process.exitCode = 1;
}

async function importCommand(bundle: string, flags: CommandFlags): Promise<void> {
  const goSum = flags.goSum ? parseGoSum(await readArgumentFile(flags.goSum, 'go.sum'), flags.goSum) : undefined;
  const config = commandConfig(flags);
  const { storage, checksums } = await assembleProxy(config, commandLogger(flags));
  const progress = createProgress('import');
  const summary = await importBundle(bundle, { storage, checksums, progress, ...(goSum && { goSum }) });
  progress.stop();
  process.stdout.write(flags.json ? `${JSON.stringify(summary, null, 2)}\n` : formatImportSummary(summary));
  if (summary.refused.length > 0) process.exitCode = 1;
}

async function cleanupCommand(flags: CommandFlags): Promise<void> {
  const config = commandConfig(flags);
  const keepSinceMs = flags.keepSince === undefined ? config.retention.keepSince : parseDuration(flags.keepSince);
  if (!Number.isFinite(keepSinceMs) || keepSinceMs < 0) throw new UsageError(`--keep-since ${flags.keepSince}: give a duration such as 180d, 12h or 30m`);
  const keepLatest = flags.keepLatest === undefined ? config.retention.keepLatest : Number(flags.keepLatest);
  if (!Number.isInteger(keepLatest) || keepLatest < 0) throw new UsageError(`--keep-latest ${flags.keepLatest}: give a whole number, 0 or more`);
  const storage = await createStorage(config);
  await storage.open();
  const progress = createProgress(flags.dryRun ? 'cleanup (dry run)' : 'cleanup');
  try {
    const summary = await cleanup(
      storage,
      {
        keepSinceMs,
        keepLatest,
        pins: [...config.retention.pins, ...(flags.pin ?? [])],
        modules: flags.module ? flags.module.split(',').map((p) => p.trim()).filter(Boolean) : [],
        dryRun: flags.dryRun === true,
      },
      { progress },
    );
    progress.stop();
    process.stdout.write(flags.json ? `${JSON.stringify(summary, null, 2)}\n` : formatCleanupSummary(summary));
    if (flags.terminationMessage !== undefined && !summary.dryRun) await writeTerminationMessage(flags.terminationMessage, JSON.stringify(cleanupReport(summary, new Date())), flags);
  } finally {
    await storage.close?.();
  }
}

/**
 * Best effort: the cleanup has already succeeded, so a report that cannot be written is a warning,
 * not a failed run (the next run reports again).
 */
async function writeTerminationMessage(file: string, line: string, flags: CommandFlags): Promise<void> {
  try {
    await writeFile(file, `${line}\n`);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    commandLogger(flags).warn({ file, err: reason }, `cannot write the cleanup report to --termination-message ${file}: ${reason}; the cleanup itself succeeded (give a writable file, in Kubernetes /dev/termination-log)`);
  }
}

/** A mistake in the command line or its inputs: exit code 2, like a bad setting. */
class UsageError extends Error {}

/** The settings flags every command takes, as serve does. */
function withSettingsFlags(command: Command): Command {
  return command
    .option('-c, --config <file>', 'YAML settings file (keys as in the README)')
    .option('--storage-path <dir>', 'disk storage folder [GOMODPROXY_STORAGE_PATH] (default: ./data)')
    .option('--upstream <list>', `upstream proxies in GOPROXY syntax [GOMODPROXY_UPSTREAM] (default: "${DEFAULT_UPSTREAM}")`)
    .option('--private <patterns>', 'GOPRIVATE-style patterns never asked of an upstream [GOMODPROXY_PRIVATE]')
    .option('--sumdb <setting>', 'checksum database in GOSUMDB syntax [GOMODPROXY_SUMDB] (default: sum.golang.org)')
    .addOption(new Option('--log-level <level>', 'log level on stderr (default: warn)').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']));
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
    .description('A private Go module proxy: the GOPROXY protocol with a durable, verified cache of upstream modules.')
    .showHelpAfterError();

  program
    .command('serve')
    .description('serve the GOPROXY protocol (settings: --config file, GOMODPROXY_* environment, flags)')
    .option('-c, --config <file>', 'YAML settings file (keys as in the README)')
    .option('--listen <host:port>', 'address to serve on [GOMODPROXY_LISTEN] (default: 127.0.0.1:3000)')
    .option('--storage-path <dir>', 'disk storage folder, laid out like GOMODCACHE/cache/download [GOMODPROXY_STORAGE_PATH] (default: ./data)')
    .option('--upstream <list>', `upstream proxies in GOPROXY syntax [GOMODPROXY_UPSTREAM] (default: "${DEFAULT_UPSTREAM}")`)
    .option('--private <patterns>', 'GOPRIVATE-style patterns never asked of an upstream [GOMODPROXY_PRIVATE]')
    .option('--sumdb <setting>', 'checksum database in GOSUMDB syntax: name, "name+key [url]" or off [GOMODPROXY_SUMDB] (default: sum.golang.org)')
    .option('--nosumdb <patterns>', 'GONOSUMDB-style patterns never looked up in the checksum database [GOMODPROXY_NOSUMDB]')
    .option('--list-ttl <duration>', 'how long list and @latest answers are reused [GOMODPROXY_LIST_TTL] (default: 1m)')
    .option('--upstream-timeout <duration>', 'how long an upstream may take to answer [GOMODPROXY_UPSTREAM_TIMEOUT] (default: 30s)')
    .addOption(
      new Option('--log-level <level>', 'log level [GOMODPROXY_LOG_LEVEL] (default: info)').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    )
    .action(serve);

  withSettingsFlags(
    program
      .command('prefetch')
      .description('warm the store with the module graph of go.mod, go.work or go.sum files, or module@version arguments')
      .argument('<inputs...>', 'go.mod, go.work or go.sum files, or module@version'),
  )
    .option('--concurrency <n>', 'files fetched at once (default: 16)')
    .option('--json', 'print the summary as JSON')
    .action(prefetchCommand);

  withSettingsFlags(program.command('export').description('write module versions from the store to an offline bundle (a tar usable as GOPROXY=file:// once unpacked)'))
    .option('--from <go.sum>', 'the versions a go.sum names')
    .option('--all', 'every version in the store')
    .option('--module <patterns>', 'the versions of modules matching GOPRIVATE-style patterns')
    .option('--out <file.tar>', 'where to write the bundle')
    .option('--json', 'print the summary as JSON')
    .action(exportCommand);

  withSettingsFlags(
    program
      .command('cleanup')
      .description('remove versions neither downloaded within --keep-since nor among the --keep-latest newest releases of their module, nor pinned'),
  )
    .option('--keep-since <duration>', 'keep versions downloaded within this time [retention.keepSince] (default: 180d)')
    .option('--keep-latest <n>', 'keep the newest n releases of every module [retention.keepLatest] (default: 3)')
    .option('--pin <spec...>', 'never remove module@version, or every version of modules matching a pattern [retention.pins]')
    .option('--module <patterns>', 'look only at modules matching GOPRIVATE-style patterns')
    .option('--dry-run', 'say what would be removed, remove nothing')
    .option('--json', 'print the summary as JSON')
    .option('--termination-message <file>', 'after a run that removed for real, write {"time","removedVersions","freedBytes"} as one JSON line here (in Kubernetes: /dev/termination-log)')
    .action(cleanupCommand);

  withSettingsFlags(
    program
      .command('import')
      .description('check every module version of an offline bundle and add those that pass to the store')
      .argument('<bundle.tar>', 'a bundle written by gomodproxy export'),
  )
    .option('--go-sum <file>', 'a go.sum whose lines the bundle must agree with')
    .option('--json', 'print the summary as JSON')
    .action(importCommand);

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
    if (err instanceof ConfigError || err instanceof PrefetchInputError || err instanceof UsageError || err instanceof GoSumError || err instanceof BundleError) {
      process.stderr.write(`gomodproxy: ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`gomodproxy: ${(err as Error).message}\n`);
    process.exit(1);
  }
}

await main(process.argv);
