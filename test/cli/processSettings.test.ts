// The node flags and allocator settings each command runs with (cli/processSettings.ts), and the
// bin applying them by executing node again in the same process.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { processSettingsFor, reexecution } from '../../cli/processSettings.ts';
import { spawnProxy, tempFolder } from '../e2e/harness.ts';

const argvOf = (...args: string[]) => ['/usr/bin/node', '/app/bin/gomodproxy.js', ...args];
const processWith = (args: string[], execArgv: string[] = [], env: Record<string, string> = {}) => ({
  execPath: '/usr/bin/node',
  execArgv,
  argv: argvOf(...args),
  env: { PATH: '/usr/bin', ...env },
});

describe('the settings of each command', () => {
  it('gives serve a small young generation, and the batch commands node\'s defaults', () => {
    expect(processSettingsFor(argvOf('serve'), 'linux').nodeFlags).toContain('--max-semi-space-size=1');
    for (const command of ['cleanup', 'export', 'import', 'prefetch', 'audit', 'policy', 'vulns', 'operator', '--help']) {
      expect(processSettingsFor(argvOf(command, '--config', 'x.yaml'), 'linux'), command).toEqual({ nodeFlags: [], environment: {} });
    }
    expect(processSettingsFor(argvOf(), 'linux')).toEqual({ nodeFlags: [], environment: {} });
  });

  it('sets the C allocator\'s variables on Linux only', () => {
    const linux = processSettingsFor(argvOf('serve'), 'linux').environment;
    for (const platform of ['darwin', 'win32', 'freebsd'] as const) {
      const elsewhere = processSettingsFor(argvOf('serve'), platform).environment;
      expect(Object.keys(elsewhere).filter((name) => name.startsWith('MALLOC_'))).toEqual([]);
      expect(linux).toMatchObject(elsewhere);
    }
  });

  it('turns the compile cache off for serve alone', () => {
    expect(processSettingsFor(argvOf('serve'), 'linux').environment).toMatchObject({ NODE_DISABLE_COMPILE_CACHE: '1' });
  });
});

describe('executing node again', () => {
  const serve = processSettingsFor(argvOf('serve'), 'linux');

  it('adds what is missing before the script, keeping the flags and arguments given', () => {
    const again = reexecution(serve, processWith(['serve', '--listen', ':3000'], ['--cpu-prof']));
    expect(again).not.toBeNull();
    expect(again!.args).toEqual(['/usr/bin/node', ...serve.nodeFlags, '--cpu-prof', '/app/bin/gomodproxy.js', 'serve', '--listen', ':3000']);
    expect(again!.env).toEqual({ PATH: '/usr/bin', ...serve.environment });
  });

  it('runs once: the process it starts has everything', () => {
    const again = reexecution(serve, processWith(['serve']))!;
    expect(reexecution(serve, { execPath: '/usr/bin/node', execArgv: again.args.slice(1, -2), argv: argvOf('serve'), env: again.env })).toBeNull();
  });

  it('leaves a flag or variable the user gave as it is', () => {
    // Each of serve's flags given with another value, written with _ as V8 also reads it.
    const flags = serve.nodeFlags.map((flag) => `${flag.split('=')[0]!.replaceAll('-', '_').replace(/^__/, '--')}=3`);
    const mine = { execArgv: flags, env: Object.fromEntries(Object.keys(serve.environment).map((name) => [name, 'mine'])) };
    expect(reexecution(serve, processWith(['serve'], mine.execArgv, mine.env))).toBeNull();
    expect(reexecution(serve, processWith(['serve'], [], { ...mine.env, NODE_OPTIONS: `${flags.join(' ')} --trace-gc` }))).toBeNull();
    // One flag of the user's: the others are still added, theirs kept.
    const again = reexecution(serve, processWith(['serve'], [flags[0]!], mine.env));
    expect(again?.args).toEqual(['/usr/bin/node', ...serve.nodeFlags.slice(1), flags[0], '/app/bin/gomodproxy.js', 'serve']);
  });

  it('is not needed for a batch command', () => {
    expect(reexecution(processSettingsFor(argvOf('cleanup'), 'linux'), processWith(['cleanup']))).toBeNull();
  });

  it.runIf(process.platform === 'linux')('runs serve in the same process with its flags and variables, and prints nothing of it', async () => {
    const store = await tempFolder('gomodproxy-settings-');
    try {
      const proxy = await spawnProxy({ GOMODPROXY_UPSTREAM: 'off', GOMODPROXY_STORAGE_PATH: store.path });
      try {
        const pid = proxy.child.pid!;
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        expect(cmdline).toEqual(expect.arrayContaining([...serve.nodeFlags, 'serve']));
        const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
        expect(environ).toEqual(expect.arrayContaining(Object.entries(serve.environment).map(([name, value]) => `${name}=${value}`)));
        expect(proxy.output()).not.toMatch(/Warning/);
      } finally {
        await proxy.stop();
      }
    } finally {
      await store.dispose();
    }
  });
});
