// The helm command, built by ensureHelm.sh from the pinned tools module, run on the chart.
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import yaml from 'js-yaml';

export const chartPath = join(import.meta.dirname, '..', '..', 'charts', 'gomodproxy-operator');

let helmPath: string | undefined;

/** The helm binary (built once by `npm test`'s pretest; here it is only found). */
export function helm(): string {
  helmPath ??= execFileSync('bash', [join(import.meta.dirname, 'ensureHelm.sh')], { encoding: 'utf8' }).trim();
  return helmPath;
}

export type HelmResult = { code: number; stdout: string; stderr: string };

/** helm's environment: a throw-away home, so no repository or plugin of the machine is used. */
function helmEnvironment(home: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env['PATH'] ?? '',
    HOME: home,
    HELM_CACHE_HOME: join(home, 'cache'),
    HELM_CONFIG_HOME: join(home, 'config'),
    HELM_DATA_HOME: join(home, 'data'),
  };
}

export function runHelm(args: string[], home: string): HelmResult {
  const result = spawnSync(helm(), args, { encoding: 'utf8', env: helmEnvironment(home) });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/**
 * runHelm without blocking the event loop: for `helm install --wait` beside servers whose output
 * this process reads (a blocked loop stops reading, and they stop when their pipes fill).
 */
export function runHelmAsync(args: string[], home: string): Promise<HelmResult> {
  return new Promise((resolve) => {
    execFile(helm(), args, { encoding: 'utf8', env: helmEnvironment(home), maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

export type KubeObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; [key: string]: unknown }; [key: string]: unknown };

/** The objects of a `helm template` output. */
export function renderedObjects(stdout: string): KubeObject[] {
  return yaml.loadAll(stdout).filter((doc): doc is KubeObject => typeof doc === 'object' && doc !== null && 'kind' in doc);
}
