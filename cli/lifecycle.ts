/**
 * `gomodproxy apply-crd` and `gomodproxy delete-proxies`: what the Helm chart's hooks run, in the
 * operator's image, before an install or upgrade (the CRD of this version) and before an uninstall
 * (every GoModuleProxy gone while the operator still runs to finalize them).
 */
import type { Command } from 'commander';
import { parseDuration } from '../proxy/config.ts';
import { UsageError } from './usage.ts';

function timeoutFlag(value: string): number {
  const ms = parseDuration(value);
  if (!Number.isFinite(ms) || ms <= 0) throw new UsageError(`--timeout ${value}: give a duration such as 30s or 5m`);
  return ms;
}

export function addLifecycleCommands(program: Command): void {
  program
    .command('apply-crd')
    .description('apply the GoModuleProxy CRD of this version (server-side) and wait until it is served: the chart\'s pre-install/pre-upgrade hook')
    .option('--kubeconfig <file>', 'kubeconfig file (default: the pod\'s service account, else ~/.kube/config)')
    .option('--timeout <duration>', 'how long to wait for the CRD to be served (default: 1m)', '1m')
    .action(async (flags: { kubeconfig?: string; timeout: string }) => {
      // Loaded here, as by `gomodproxy operator`: the Kubernetes client is for these commands only.
      const { applyCrd } = await import('../operator/lifecycle/applyCrd.ts');
      process.stdout.write(`${await applyCrd({ ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}), timeoutMs: timeoutFlag(flags.timeout) })}\n`);
    });
  program
    .command('delete-proxies')
    .description('delete every GoModuleProxy and wait until the operator has finalized them: the chart\'s pre-delete hook')
    .option('--kubeconfig <file>', 'kubeconfig file (default: the pod\'s service account, else ~/.kube/config)')
    .option('--namespace <namespace>', 'only the GoModuleProxies in this namespace (default: every namespace)')
    .option('--timeout <duration>', 'how long to wait for them to be gone (default: 5m)', '5m')
    .action(async (flags: { kubeconfig?: string; namespace?: string; timeout: string }) => {
      const { deleteProxies } = await import('../operator/lifecycle/deleteProxies.ts');
      const deleted = await deleteProxies({
        ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}),
        ...(flags.namespace ? { namespace: flags.namespace } : {}),
        timeoutMs: timeoutFlag(flags.timeout),
      });
      process.stdout.write(deleted.length === 0 ? 'no GoModuleProxy to delete\n' : `deleted and finalized: ${deleted.join(', ')}\n`);
    });
}
