/** `gomodproxy serve`: the proxy until SIGTERM or SIGINT, which let in-flight requests finish. */
import type { Command } from 'commander';
import { serveConfig, withSettingsFlags, type ParsedFlags } from './settingsFlags.ts';

async function serve(flags: ParsedFlags): Promise<void> {
  const { startProxy } = await import('../proxy/serve.ts');
  const proxy = await startProxy(serveConfig(flags));
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

export function addServeCommand(program: Command): void {
  withSettingsFlags(program.command('serve').description('serve the GOPROXY protocol (settings: --config file, GOMODPROXY_* environment, flags)'), 'serve').action(serve);
}
