/**
 * The gomodproxy command line. Settings come from --config FILE, then
 * GOMODPROXY_* environment variables, then flags (each overriding the one
 * before); a bad setting stops start-up with one line saying what is wrong.
 */
import { Command, Option } from 'commander';
import { ConfigError, DEFAULT_UPSTREAM, loadConfig } from './config.ts';
import { startProxy } from './serve.ts';

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
