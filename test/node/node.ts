// A real node for the end-to-end story: the control plane of test/cluster/ (etcd, kube-apiserver,
// kube-controller-manager with the controllers workloads need) bound to a bridge the test makes,
// kube-scheduler, containerd with runc (Debian's), kubelet registered with the apiserver, and
// kube-proxy (iptables) for Service traffic. Every binary but containerd and runc is built from the
// same pinned k8s.io/kubernetes (test/cluster/ensureCluster.sh). Images come from archives
// imported into containerd; nothing is pulled. stop() removes every process, mount, iptables chain,
// link and file the node made.
//
// What it takes on this kind of machine (cgroup v1, a kernel that refuses negative oom_score_adj):
// see the KubeletConfiguration and containerd's CRI settings below.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../fixtures/freePort.ts';
import { makeTempDir, removeTempDir } from '../fixtures/goCommand.ts';
import { controlPlaneBinaries, startControlPlane, type ControlPlane } from '../cluster/harness.ts';
import { startProcess, stopProcess, waitFor, type ManagedProcess } from '../cluster/processes.ts';
import { kubeChains, removeKubeChainsSince } from './iptablesChains.ts';
import { BRIDGE, BRIDGE_ADDRESS, POD_SUBNET, createBridge, removeBridge, writeCniConfig } from './network.ts';
import { SANDBOX_IMAGE, sandboxImageArchive } from './sandboxImage.ts';

const run = promisify(execFile);

export const NODE_NAME = 'gomodproxy-node';

/** Where stop() leaves the logs of the node's processes. */
export const LAST_LOGS = join(tmpdir(), 'gomodproxy-node-logs');

/** kube-controller-manager's controllers that Deployments, CronJobs, PVCs and Services need. */
const CONTROLLERS = [
  'deployment-controller',
  'replicaset-controller',
  'job-controller',
  'cronjob-controller',
  'garbage-collector-controller',
  'namespace-controller',
  // Every namespace's default ServiceAccount, without which no pod is admitted.
  'serviceaccount-controller',
  // kube-root-ca.crt in every namespace: the CA of a pod's service account token volume.
  'root-ca-certificate-publisher-controller',
  'persistentvolume-binder-controller',
  // The finalizers the apiserver puts on every PVC and PV are removed by these once unused.
  'persistentvolumeclaim-protection-controller',
  'persistentvolume-protection-controller',
  // kube-proxy routes a Service to the endpoints these slices list.
  'endpointslice-controller',
  // kubelet registers the node with the not-ready taint; this controller lifts it once the node is Ready.
  'node-lifecycle-controller',
];

export type Node = {
  cluster: ControlPlane;
  name: string;
  /** The host's address on the node's bridge: servers the pods must reach listen here. */
  address: string;
  /** Imports a `docker save`/`podman save` archive into containerd's k8s.io namespace. */
  importImage(archive: string): Promise<void>;
  /** Gives an imported image another name, e.g. the one a chart's values name. */
  tagImage(source: string, target: string): Promise<void>;
  logs(name: 'containerd' | 'kubelet' | 'kube-proxy' | 'kube-scheduler'): Promise<string>;
  /** Seconds each part took to come up, for the figures. */
  startupSeconds: Record<string, number>;
  stop(): Promise<void>;
  /** After stop(): what is still there of the node (processes, mounts, iptables chains, the bridge), one line each. */
  leftovers(): Promise<string[]>;
};

function containerdConfig(dir: string, cniConfDir: string): string {
  return `version = 2
root = "${dir}/root"
state = "${dir}/state"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = "${dir}/containerd.sock"

[ttrpc]
  address = "${dir}/containerd.sock.ttrpc"

[plugins."io.containerd.internal.v1.opt"]
  path = "${dir}/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${SANDBOX_IMAGE}"
  # This kernel refuses a negative oom_score_adj; without this every sandbox fails to start
  # ("can't get final child's PID from pipe").
  restrict_oom_score_adj = true
  disable_apparmor = true
  # Network namespaces under our state folder, not /var/run/netns.
  netns_mounts_under_state_dir = true
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "${cniConfDir}"
    max_conf_num = 1
`;
}

function kubeletConfig(options: { socket: string; port: number; healthzPort: number; podLogsDir: string }): string {
  return JSON.stringify({
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    address: BRIDGE_ADDRESS,
    port: options.port,
    readOnlyPort: 0,
    healthzBindAddress: '127.0.0.1',
    healthzPort: options.healthzPort,
    // The apiserver (logs, exec) is the only client, on the bridge: no client certificates here.
    authentication: { anonymous: { enabled: true }, webhook: { enabled: false } },
    authorization: { mode: 'AlwaysAllow' },
    containerRuntimeEndpoint: `unix://${options.socket}`,
    podLogsDir: options.podLogsDir,
    // This machine's cgroups are v1, hybrid, without systemd managing them.
    failCgroupV1: false,
    cgroupDriver: 'cgroupfs',
    cgroupsPerQOS: false,
    enforceNodeAllocatable: [],
    failSwapOn: false,
    localStorageCapacityIsolation: false,
    // Images are imported, never pulled: none may be collected, and a busy disk evicts nothing.
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    evictionHard: { 'memory.available': '1Mi', 'nodefs.available': '1%', 'nodefs.inodesFree': '1%', 'imagefs.available': '1%' },
    hairpinMode: 'none',
    resolvConf: '',
    registerNode: true,
    serializeImagePulls: false,
    maxPods: 30,
    // A ConfigMap volume's change reaches pods within this.
    syncFrequency: '10s',
    shutdownGracePeriod: '0s',
    rotateCertificates: false,
  });
}

function kubeProxyConfig(kubeconfig: string, healthzPort: number, metricsPort: number): string {
  return JSON.stringify({
    apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
    kind: 'KubeProxyConfiguration',
    clientConnection: { kubeconfig },
    mode: 'iptables',
    hostnameOverride: NODE_NAME,
    clusterCIDR: POD_SUBNET,
    healthzBindAddress: `127.0.0.1:${healthzPort}`,
    metricsBindAddress: `127.0.0.1:${metricsPort}`,
    nodePortAddresses: [`${BRIDGE_ADDRESS}/32`],
    // The machine's conntrack sysctls are not ours to change: 0 leaves each as it is.
    conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: '0s', tcpCloseWaitTimeout: '0s' },
    iptables: { localhostNodePorts: false, masqueradeAll: false, syncPeriod: '10s', minSyncPeriod: '1s' },
  });
}

/** The mount points under dir, deepest first, from this process's mount table. */
async function mountsUnder(dir: string): Promise<string[]> {
  const table = await readFile('/proc/self/mountinfo', 'utf8');
  const points = table
    .split('\n')
    .map((line) => line.split(' ')[4]?.replace(/\\040/g, ' '))
    .filter((point): point is string => point !== undefined && (point === dir || point.startsWith(`${dir}/`)));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/** The pids whose command line names the given text (containerd's shims name its socket). */
async function pidsNaming(text: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(text)) pids.push(Number(entry));
  }
  return pids;
}

/**
 * Folders made at fixed places whatever the flags (kubelet's device-plugin sockets and container
 * log links, containerd's shim sockets): removed at stop when the node made them.
 */
const KUBELET_FIXED_FOLDERS = ['/var/lib/kubelet', '/var/log/containers', '/run/containerd'];

export async function startNode(): Promise<Node> {
  const started = Date.now();
  const startupSeconds: Record<string, number> = {};
  const lap = (part: string, since: number) => (startupSeconds[part] = Math.round((Date.now() - since) / 100) / 10);
  for (const tool of ['containerd', 'containerd-shim-runc-v2', 'runc', 'ctr']) {
    await run('bash', ['-c', `command -v ${tool}`], { env: { PATH: `${process.env['PATH']}:/usr/sbin:/sbin` } }).catch(() => {
      throw new Error(`the node needs ${tool} (Debian: apt-get install containerd runc; test/ensureTools.sh installs them)`);
    });
  }
  if (!existsSync('/usr/lib/cni/bridge')) throw new Error('the node needs the CNI plugins in /usr/lib/cni (Debian: apt-get install containernetworking-plugins)');

  const binaries = await controlPlaneBinaries();
  const dir = await makeTempDir('gomodproxy-node-');
  const fixedFoldersBefore = KUBELET_FIXED_FOLDERS.filter((folder) => existsSync(folder));
  const chainsBefore = await kubeChains();
  const log = (name: string) => join(dir, `${name}.log`);
  const containerdDir = join(dir, 'containerd');
  const socket = join(containerdDir, 'containerd.sock');
  const processes: ManagedProcess[] = [];
  let cluster: ControlPlane | undefined;
  let kubeProxyConfigFile = '';

  const ctr = (args: string[]) => run('ctr', ['--address', socket, '--namespace', 'k8s.io', ...args], { maxBuffer: 16 << 20 });

  const teardown = async () => {
    // Pods first, while kubelet runs: it stops their sandboxes, which releases their network.
    if (cluster) await deleteEveryPod(cluster).catch(() => undefined);
    for (const managed of [...processes].reverse()) await stopProcess(managed);
    if (kubeProxyConfigFile) await run(join(binaries, 'kube-proxy'), ['--config', kubeProxyConfigFile, '--cleanup'], { env: { PATH: `${process.env['PATH']}:/usr/sbin:/sbin` } }).catch(() => undefined);
    // Shims outlive containerd by design; ours name its socket.
    for (const pid of await pidsNaming(socket)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
    for (const point of await mountsUnder(dir)) {
      await run('umount', [point]).catch(() => run('umount', ['-l', point]).catch(() => undefined));
    }
    await removeKubeChainsSince(chainsBefore);
    await removeBridge();
    // The logs of the last run outlive it, for a failure to be looked into.
    await rm(LAST_LOGS, { recursive: true, force: true });
    await mkdir(LAST_LOGS, { recursive: true });
    for (const file of (await readdir(dir)).filter((name) => name.endsWith('.log'))) await copyFile(join(dir, file), join(LAST_LOGS, file));
    if (cluster) {
      for (const name of ['kube-apiserver', 'kube-controller-manager'] as const) await writeFile(join(LAST_LOGS, `${name}.log`), await cluster.logs(name));
      await cluster.stop();
    }
    for (const folder of KUBELET_FIXED_FOLDERS) if (!fixedFoldersBefore.includes(folder)) await rm(folder, { recursive: true, force: true });
    await removeTempDir(dir);
  };

  try {
    let since = Date.now();
    await createBridge();
    cluster = await startControlPlane({ address: BRIDGE_ADDRESS, controllers: CONTROLLERS });
    lap('control plane', since);

    const scheduler = startProcess('kube-scheduler', join(binaries, 'kube-scheduler'), [
      `--kubeconfig=${cluster.kubeconfig}`,
      '--leader-elect=false',
      '--secure-port=0',
      '--v=1',
    ], log('kube-scheduler'));
    processes.push(scheduler);

    since = Date.now();
    await mkdir(containerdDir, { recursive: true });
    const cniConfDir = join(dir, 'cni', 'net.d');
    await mkdir(cniConfDir, { recursive: true });
    await writeCniConfig(cniConfDir, join(dir, 'cni', 'leases'));
    await writeFile(join(containerdDir, 'config.toml'), containerdConfig(containerdDir, cniConfDir));
    const containerd = startProcess('containerd', 'containerd', ['--config', join(containerdDir, 'config.toml'), '--log-level', 'warn'], log('containerd'));
    processes.push(containerd);
    await waitFor('containerd answers', async () => (await ctr(['version'])).stdout.includes('Server'), containerd, log('containerd'));
    await ctr(['images', 'import', await sandboxImageArchive()]);
    lap('containerd', since);

    since = Date.now();
    const podLogsDir = join(dir, 'pod-logs');
    await mkdir(podLogsDir);
    const kubeletConfigFile = join(dir, 'kubelet.json');
    await writeFile(kubeletConfigFile, kubeletConfig({ socket, port: await freePort(), healthzPort: await freePort(), podLogsDir }));
    const kubelet = startProcess('kubelet', join(binaries, 'kubelet'), [
      `--config=${kubeletConfigFile}`,
      `--kubeconfig=${cluster.kubeconfig}`,
      `--root-dir=${join(dir, 'kubelet')}`,
      `--cert-dir=${join(dir, 'kubelet-pki')}`,
      `--hostname-override=${NODE_NAME}`,
      `--node-ip=${BRIDGE_ADDRESS}`,
      '--v=1',
    ], log('kubelet'));
    processes.push(kubelet);
    const api = cluster.api;
    await waitFor('the node is Ready', async () => {
      const { status, body } = await api('GET', `/api/v1/nodes/${NODE_NAME}`);
      return status === 200 && body.status?.conditions?.some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True');
    }, kubelet, log('kubelet'), 180_000);
    lap('kubelet', since);

    since = Date.now();
    kubeProxyConfigFile = join(dir, 'kube-proxy.json');
    const proxyHealthzPort = await freePort();
    await writeFile(kubeProxyConfigFile, kubeProxyConfig(cluster.kubeconfig, proxyHealthzPort, await freePort()));
    const kubeProxy = startProcess('kube-proxy', join(binaries, 'kube-proxy'), [`--config=${kubeProxyConfigFile}`, '--v=1'], log('kube-proxy'));
    processes.push(kubeProxy);
    // Its health turns 200 once it has written the rules of the Services it saw.
    await waitFor('kube-proxy is healthy', async () => {
      const response = await fetch(`http://127.0.0.1:${proxyHealthzPort}/healthz`);
      return response.status === 200;
    }, kubeProxy, log('kube-proxy'), 120_000);
    lap('kube-proxy', since);
    startupSeconds['node'] = Math.round((Date.now() - started) / 100) / 10;

    const node: Node = {
      cluster,
      name: NODE_NAME,
      address: BRIDGE_ADDRESS,
      async importImage(archive) {
        await ctr(['images', 'import', archive]);
      },
      async tagImage(source, target) {
        await ctr(['images', 'tag', '--force', source, target]);
      },
      logs: (name) => readFile(log(name), 'utf8').catch(() => ''),
      startupSeconds,
      stop: teardown,
      async leftovers() {
        const chainsNow = await kubeChains();
        return [
          ...(await pidsNaming(dir)).filter((pid) => pid !== process.pid).map((pid) => `process ${pid}`),
          ...(await mountsUnder(dir)).map((point) => `mount ${point}`),
          ...[...chainsNow].filter((chain) => !chainsBefore.has(chain)).map((chain) => `chain ${chain}`),
          ...(existsSync(`/sys/class/net/${BRIDGE}`) ? [`link ${BRIDGE}`] : []),
          ...(existsSync(dir) ? [`folder ${dir}`] : []),
        ];
      },
    };
    return node;
  } catch (err) {
    await teardown();
    throw err;
  }
}

/** Deletes every namespace's pods and their controllers' will to make more; waits until kubelet has stopped them. */
async function deleteEveryPod(cluster: ControlPlane): Promise<void> {
  const { body: namespaces } = await cluster.api('GET', '/api/v1/namespaces');
  for (const namespace of namespaces.items as Array<{ metadata: { name: string } }>) {
    const ns = namespace.metadata.name;
    for (const kind of ['apis/batch/v1/namespaces/NS/cronjobs', 'apis/batch/v1/namespaces/NS/jobs', 'apis/apps/v1/namespaces/NS/deployments', 'apis/apps/v1/namespaces/NS/replicasets']) {
      await cluster.api('DELETE', `/${kind.replace('NS', ns)}?propagationPolicy=Background`);
    }
    await cluster.api('DELETE', `/api/v1/namespaces/${ns}/pods?gracePeriodSeconds=5`);
  }
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    const { body } = await cluster.api('GET', '/api/v1/pods');
    if ((body.items ?? []).length === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}
