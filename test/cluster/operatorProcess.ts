// The operator under test as a child process running the production command line
// (`gomodproxy operator`), and helpers to drive a control plane the way a user would.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { CRD_FILE } from '../../operator/api/crd.ts';
import { productionCommand, repositoryRoot } from '../e2e/harness.ts';
import type { ControlPlane } from './harness.ts';

export type OperatorProcess = {
  identity: string;
  url: string;
  output(): string;
  /** The value of one metric line, e.g. 'gomodproxy_operator_api_requests_total{verb="apply"}'. */
  metric(name: string): Promise<number>;
  /** SIGTERM, and the exit code. */
  stop(): Promise<number | null>;
};

/** Short lease timings so that hand-over happens within seconds. */
export async function startOperatorProcess(cluster: ControlPlane, identity: string, extraArgs: string[] = [], kubeconfig = cluster.kubeconfig): Promise<OperatorProcess> {
  const { command, args } = productionCommand();
  const child = spawn(command, [
    ...args,
    'operator',
    `--kubeconfig=${kubeconfig}`,
    '--listen=127.0.0.1:0',
    `--identity=${identity}`,
    '--lease-namespace=default',
    '--lease-duration=6s',
    '--renew-deadline=4s',
    '--retry-period=1s',
    '--proxy-image=gomodproxy:test',
    ...extraArgs,
  ], { cwd: repositoryRoot, env: { PATH: process.env['PATH'] ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    // One that did not start is stopped, so that it is not left running after the test.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`operator did not start within 30 s:\n${output}`));
    }, 30_000);
    const look = () => {
      const match = /"url":"(http:\/\/[^"]+)".*operator started/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', look);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`operator exited with ${code} before starting:\n${output}`));
    });
  });
  return {
    identity,
    url,
    output: () => output,
    async metric(name) {
      const response = await request(`${url}/metrics`);
      const text = await response.body.text();
      const line = text.split('\n').find((l) => l.startsWith(`${name} `));
      if (line === undefined) throw new Error(`no metric ${name} in:\n${text}`);
      return Number(line.slice(name.length + 1));
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Polls until check returns a value that is not undefined; the message of the last failure is in the error. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Applies crds/ as `kubectl apply --server-side` would, and waits until the apiserver serves it. */
export async function installCrd(cluster: ControlPlane): Promise<void> {
  const text = readFileSync(join(repositoryRoot, 'crds', CRD_FILE), 'utf8');
  const name = 'gomoduleproxies.gomodproxy.dev';
  const applied = await cluster.api('PATCH', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}?fieldManager=test`, text, 'application/apply-patch+yaml');
  if (applied.status !== 200 && applied.status !== 201) throw new Error(`the CRD was refused: ${applied.status} ${JSON.stringify(applied.body)}`);
  await eventually('the CRD is Established', async () => {
    const crd = await cluster.api('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`);
    const established = crd.body.status?.conditions?.find((c: { type: string }) => c.type === 'Established');
    if (established?.status !== 'True') return undefined;
    return (await cluster.api('GET', '/apis/gomodproxy.dev/v1alpha1/gomoduleproxies')).status === 200 ? true : undefined;
  });
}

export async function createNamespace(cluster: ControlPlane, name: string, labels: Record<string, string> = {}): Promise<void> {
  const created = await cluster.api('POST', '/api/v1/namespaces', { metadata: { name, labels } });
  if (created.status !== 201) throw new Error(`namespace ${name}: ${created.status} ${JSON.stringify(created.body)}`);
}

export const proxiesPath = (namespace: string, name = '') => `/apis/gomodproxy.dev/v1alpha1/namespaces/${namespace}/gomoduleproxies${name ? `/${name}` : ''}`;

/**
 * Sets a Deployment's status as the deployment controller would once its pods are ready (no
 * kubelet runs here), or once `ready` of them are.
 */
export async function markDeploymentReady(cluster: ControlPlane, namespace: string, name: string, ready?: number): Promise<void> {
  const path = `/apis/apps/v1/namespaces/${namespace}/deployments/${name}`;
  const deployment = await cluster.api('GET', path);
  const replicas = deployment.body.spec.replicas;
  const readyReplicas = ready ?? replicas;
  const status = { observedGeneration: deployment.body.metadata.generation, replicas, updatedReplicas: replicas, readyReplicas, availableReplicas: readyReplicas };
  const patched = await cluster.api('PATCH', `${path}/status`, { status }, 'application/merge-patch+json');
  if (patched.status !== 200) throw new Error(`deployment status: ${patched.status} ${JSON.stringify(patched.body)}`);
}

export function condition(proxy: { status?: { conditions?: Array<{ type: string }> } }, type: string): any {
  return proxy.status?.conditions?.find((c) => c.type === type);
}

/**
 * A pod as the kubelet reports it: made with the given labels (e.g. those of a Deployment's pod
 * template), then its status set through the status subresource as the kubelet sets it. The
 * namespace's service account "default" must exist (no service-account controller runs here).
 */
export async function podWithStatus(cluster: ControlPlane, namespace: string, name: string, labels: Record<string, string>, container: string, status: object, restartPolicy = 'Always'): Promise<void> {
  const path = `/api/v1/namespaces/${namespace}/pods`;
  const existing = await cluster.api('GET', `${path}/${name}`);
  if (existing.status === 404) {
    const created = await cluster.api('POST', path, { metadata: { name, labels }, spec: { restartPolicy, containers: [{ name: container, image: 'gomodproxy:test' }] } });
    if (created.status !== 201) throw new Error(`pod ${name}: ${created.status} ${JSON.stringify(created.body)}`);
  }
  const patched = await cluster.api('PATCH', `${path}/${name}/status`, { status }, 'application/merge-patch+json');
  if (patched.status !== 200) throw new Error(`pod ${name} status: ${patched.status} ${JSON.stringify(patched.body)}`);
}

/** The Events recorded about one object, oldest first. */
export async function eventsAbout(cluster: ControlPlane, namespace: string, name: string): Promise<Array<{ type: string; reason: string; note: string; reportingController: string }>> {
  const listed = await cluster.api('GET', `/apis/events.k8s.io/v1/namespaces/${namespace}/events`);
  return (listed.body.items ?? [])
    .filter((event: { regarding?: { name?: string } }) => event.regarding?.name === name)
        // Events written through the core v1 API (kubelet's, the controllers') have no eventTime.
    .sort((a: { eventTime: string | null }, b: { eventTime: string | null }) => (a.eventTime ?? '').localeCompare(b.eventTime ?? ''));
}
