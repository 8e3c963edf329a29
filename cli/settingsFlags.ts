/**
 * The settings flags of the commands, made from the proxy's table of settings (ENVIRONMENT_SETTINGS
 * in proxy/config.ts): each flag's name, help, environment variable and default come from there,
 * so a setting gets its flag, and its flag's meaning, in one place. Settings come from --config
 * FILE, then GOMODPROXY_* environment variables, then flags (each overriding the one before).
 */
import { Option, type Command } from 'commander';
import { destination, pino, type Logger } from 'pino';
import { ENVIRONMENT_SETTINGS, formatDuration, LOG_LEVELS, loadConfig, resolveConfig, settingsFromFlags, type Config, type SettingFlag } from '../proxy/config.ts';

/** What commander parsed: flag values by attribute name (--storage-path: storagePath). */
export type ParsedFlags = Record<string, unknown> & { config?: string; logLevel?: string };

/** A default as the settings file would say it (the numbers among the flagged settings are durations, kept in ms). */
function shownDefault(value: unknown): string | undefined {
  if (value === undefined || (Array.isArray(value) && value.length === 0)) return undefined;
  if (typeof value === 'number') return formatDuration(value);
  return typeof value === 'string' && value.includes(',') ? `"${value}"` : String(value);
}

function settingOption(flag: SettingFlag, env: string, defaultValue: unknown): Option {
  const shown = shownDefault(defaultValue);
  const option = new Option(`${flag.name} ${flag.value}`, `${flag.help} [${env}]${shown === undefined ? '' : ` (default: ${shown})`}`);
  return flag.choices ? option.choices(flag.choices) : option;
}

/**
 * Adds --config and the settings flags: every one for serve; for the other commands those marked
 * everyCommand, and a --log-level of their own (their logs go to stderr, below their report).
 */
export function withSettingsFlags(command: Command, which: 'serve' | 'everyCommand'): Command {
  const defaults = resolveConfig();
  // GOMODPROXY_CONFIG names the file when the flag does not: a path, not a setting, so that an
  // image can point every command at its own file and a mounted file replaces it whole.
  command.addOption(new Option('-c, --config <file>', 'YAML settings file (keys as in the README) [GOMODPROXY_CONFIG]').env('GOMODPROXY_CONFIG'));
  for (const { env, path, flag } of ENVIRONMENT_SETTINGS) {
    if (!flag || (which === 'everyCommand' && !flag.everyCommand)) continue;
    command.addOption(settingOption(flag, env, path.reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], defaults)));
  }
  if (which === 'everyCommand') command.addOption(new Option('--log-level <level>', 'log level on stderr (default: warn)').choices(LOG_LEVELS));
  return command;
}

function flagValues(flags: ParsedFlags): (flag: SettingFlag) => string | undefined {
  return (flag) => flags[new Option(`${flag.name} ${flag.value}`).attributeName()] as string | undefined;
}

/** The settings serve runs with. */
export function serveConfig(flags: ParsedFlags): Config {
  return loadConfig({ file: flags.config, env: process.env, flags: settingsFromFlags(flagValues(flags)) });
}

/** The settings of the other commands: their --log-level is their own, not the setting. */
export function commandConfig(flags: ParsedFlags): Config {
  const values = flagValues({ ...flags, logLevel: undefined });
  return loadConfig({ file: flags.config, env: process.env, flags: settingsFromFlags(values) });
}

/** Commands other than serve keep stdout for their report: logs go to stderr, warnings and up by default. */
export function commandLogger(flags: ParsedFlags): Logger {
  return pino({ level: flags.logLevel ?? 'warn' }, destination(2));
}
