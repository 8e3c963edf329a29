// A Kubernetes control plane for the operator's tests, the way controller-runtime's envtest makes
// one: etcd and kube-apiserver (and, when asked, kube-controller-manager running only the garbage
// collector) as processes on 127.0.0.1, on free ports, with their data in a throw-away folder.
// The binaries come from test/cluster/ensureCluster.sh (built from the pinned tools module).
//
// The admin user is a static token in the group system:masters, which RBAC lets do anything. The
// serving certificate is made with openssl for 127.0.0.1 and signed by a throw-away CA that the
// kubeconfig trusts. Every process runs in its own process group, stopped with it.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Agent, request } from 'undici';
import { freePort } from '../fixtures/freePort.ts';
import { makeTempDir, removeTempDir } from '../fixtures/goCommand.ts';
import { startProcess, stopProcess, waitFor, type ManagedProcess } from './processes.ts';

const run = promisify(execFile);
const ensureClusterScript = join(import.meta.dirname, 'ensureCluster.sh');

/** The folder holding etcd, kube-apiserver and kube-controller-manager; builds them when missing. */
export async function controlPlaneBinaries(): Promise<string> {
  // A folder of binaries made elsewhere (same names), instead of the pinned build.
  const given = process.env['GOMODPROXY_TEST_KUBE_BIN'];
  if (given) return given;
  const { stdout } = await run('bash', [ensureClusterScript], { maxBuffer: 1 << 20, timeout: 60 * 60_000 });
  const folder = stdout.trim().split('\n').pop();
  if (!folder) throw new Error(`${ensureClusterScript} printed no folder`);
  return folder;
}

export type ControlPlaneOptions = {
  /** Run kube-controller-manager with the garbage collector, so owned objects go when their owner does. */
  garbageCollector?: boolean;
  /**
   * kube-controller-manager's controllers, by name, instead of the garbage collector alone (e.g. the
   * deployment, replicaset, job and cronjob controllers for a cluster with a node).
   */
  controllers?: string[];
  /**
   * The address kube-apiserver binds and advertises (default 127.0.0.1). It is the endpoint of the
   * `kubernetes` Service, so pods reach the apiserver only when it is an address they can route to:
   * a bridge the test made on this machine (test/node/).
   */
  address?: string;
  /** Users besides the admin, with a token each and no group: RBAC gives them only what is bound to them. */
  users?: string[];
};

export type ControlPlane = {
  /** https://127.0.0.1:port */
  server: string;
  /** A kubeconfig file for the admin user. */
  kubeconfig: string;
  /** The admin user's bearer token. */
  token: string;
  /** A kubeconfig file for one of the users asked for in the options. */
  kubeconfigFor(user: string): string;
  /** PEM of the CA that signed the apiserver's serving certificate. */
  caPem: string;
  /** A GET/POST/… with the admin token; body parsed as JSON. For test assertions. */
  api(method: string, path: string, body?: unknown, contentType?: string, accept?: string): Promise<{ status: number; body: any }>;
  /** The object at path, or undefined when the apiserver does not answer 200 (not there). */
  get(path: string): Promise<any>;
  /**
   * Stops kube-apiserver and starts it again on the same port and etcd: every watch breaks. With
   * compactEtcd, etcd's history is compacted while the apiserver is down, so that a watch resumed
   * from a resourceVersion seen before is answered 410 Gone.
   */
  restartApiServer(options?: { compactEtcd?: boolean }): Promise<void>;
  /** What a process wrote, for failure messages. */
  logs(name: 'etcd' | 'kube-apiserver' | 'kube-controller-manager'): Promise<string>;
  stop(): Promise<void>;
};

async function openssl(cwd: string, args: string[]): Promise<void> {
  await run('openssl', args, { cwd });
}

/** The first address of --service-cluster-ip-range: the `kubernetes` Service's ClusterIP. */
const KUBERNETES_SERVICE_IP = '10.0.0.1';

/**
 * A CA and a serving certificate for the address, 127.0.0.1, localhost and the names and ClusterIP
 * pods use in the cluster; and the service-account key pair.
 */
async function makeCertificates(dir: string, address: string): Promise<void> {
  await openssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', '/CN=gomodproxy-test-ca', '-keyout', 'ca.key', '-out', 'ca.crt']);
  await openssl(dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=kube-apiserver', '-keyout', 'serving.key', '-out', 'serving.csr']);
  const names = [...new Set(['127.0.0.1', address, KUBERNETES_SERVICE_IP])].map((ip) => `IP:${ip}`).join(',');
  await writeFile(join(dir, 'serving.ext'), `subjectAltName=${names},DNS:localhost,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n`);
  await openssl(dir, ['x509', '-req', '-in', 'serving.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'serving.ext', '-out', 'serving.crt']);
  await openssl(dir, ['genrsa', '-out', 'service-account.key', '2048']);
  await openssl(dir, ['rsa', '-in', 'service-account.key', '-pubout', '-out', 'service-account.pub']);
}

function kubeconfigYaml(server: string, caPem: string, token: string): string {
  const ca = Buffer.from(caPem).toString('base64');
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: test\n  cluster:\n    server: ${server}\n    certificate-authority-data: ${ca}`,
    'users:',
    `- name: admin\n  user:\n    token: ${token}`,
    'contexts:',
    '- name: test\n  context:\n    cluster: test\n    user: admin',
    'current-context: test',
    '',
  ].join('\n');
}

/** Writes one key outside the apiserver's prefix (a new revision) and compacts etcd's history up to it. */
async function compactEtcd(etcdUrl: string): Promise<void> {
  const base64 = (text: string) => Buffer.from(text).toString('base64');
  const put = await request(`${etcdUrl}/v3/kv/put`, { method: 'POST', body: JSON.stringify({ key: base64('/gomodproxy-test/compaction'), value: base64(String(Date.now())) }) });
  const { header } = (await put.body.json()) as { header: { revision: string } };
  const compacted = await request(`${etcdUrl}/v3/kv/compaction`, { method: 'POST', body: JSON.stringify({ revision: header.revision, physical: true }) });
  const text = await compacted.body.text();
  if (compacted.statusCode !== 200) throw new Error(`etcd compaction failed: ${compacted.statusCode} ${text}`);
}

export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const binaries = await controlPlaneBinaries();
  const dir = await makeTempDir('gomodproxy-cluster-');
  const certs = join(dir, 'certs');
  await mkdir(certs);
  const address = options.address ?? '127.0.0.1';
  await makeCertificates(certs, address);
  const token = randomBytes(24).toString('hex');
  const userTokens = new Map((options.users ?? []).map((user) => [user, randomBytes(24).toString('hex')]));
  const userLines = [...userTokens].map(([user, userToken]) => `${userToken},${user},${user}-uid\n`).join('');
  await writeFile(join(dir, 'tokens.csv'), `${token},admin,admin-uid,system:masters\n${userLines}`);
  const caPem = readFileSync(join(certs, 'ca.crt'), 'utf8');
  const logFile = (name: string) => join(dir, `${name}.log`);
  const processes: ManagedProcess[] = [];

  const etcdClientPort = await freePort();
  const etcdPeerPort = await freePort();
  const etcdUrl = `http://127.0.0.1:${etcdClientPort}`;
  const etcd = startProcess('etcd', join(binaries, 'etcd'), [
    '--name=test',
    `--data-dir=${join(dir, 'etcd')}`,
    `--listen-client-urls=${etcdUrl}`,
    `--advertise-client-urls=${etcdUrl}`,
    `--listen-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
    `--initial-cluster=test=http://127.0.0.1:${etcdPeerPort}`,
    // A test cluster that is thrown away after the run: no fsync, so it keeps up on a busy disk.
    '--unsafe-no-fsync',
    '--log-level=warn',
  ], logFile('etcd'));
  processes.push(etcd);

  const stopAll = async () => {
    for (const managed of [...processes].reverse()) await stopProcess(managed);
  };

  try {
    await waitFor('etcd answers /health', async () => {
      const response = await request(`${etcdUrl}/health`);
      const text = await response.body.text();
      return response.statusCode === 200 && text.includes('"health":"true"');
    }, etcd, logFile('etcd'));

    const apiPort = await freePort();
    const server = `https://${address}:${apiPort}`;
    const apiServerArgs = [
      `--etcd-servers=${etcdUrl}`,
      `--bind-address=${address}`,
      `--advertise-address=${address}`,
      `--secure-port=${apiPort}`,
      `--tls-cert-file=${join(certs, 'serving.crt')}`,
      `--tls-private-key-file=${join(certs, 'serving.key')}`,
      `--client-ca-file=${join(certs, 'ca.crt')}`,
      `--token-auth-file=${join(dir, 'tokens.csv')}`,
      '--authorization-mode=RBAC',
      `--service-account-key-file=${join(certs, 'service-account.pub')}`,
      `--service-account-signing-key-file=${join(certs, 'service-account.key')}`,
      '--service-account-issuer=https://kubernetes.default.svc',
      '--service-cluster-ip-range=10.0.0.0/24',
      // Logs and exec reach a kubelet at its node's address: its name resolves nowhere.
      '--kubelet-preferred-address-types=InternalIP',
      `--cert-dir=${join(dir, 'apiserver-certs')}`,
      '--v=1',
    ];
    const agent = new Agent({ connect: { ca: caPem } });
    const api: ControlPlane['api'] = async (method, path, body, contentType = 'application/json', accept = 'application/json') => {
      const response = await request(`${server}${path}`, {
        method: method as 'GET',
        dispatcher: agent,
        headers: { authorization: `Bearer ${token}`, accept, ...(body === undefined ? {} : { 'content-type': contentType }) },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await response.body.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // Not JSON (e.g. /readyz says "ok"): keep the text.
      }
      return { status: response.statusCode, body: parsed };
    };

    let apiServer = startProcess('kube-apiserver', join(binaries, 'kube-apiserver'), apiServerArgs, logFile('kube-apiserver'));
    processes.push(apiServer);
    const waitReady = (managed: ManagedProcess) =>
      waitFor('kube-apiserver answers /readyz', async () => (await api('GET', '/readyz')).status === 200, managed, logFile('kube-apiserver'));
    await waitReady(apiServer);

    const kubeconfig = join(dir, 'kubeconfig');
    await writeFile(kubeconfig, kubeconfigYaml(server, caPem, token), { mode: 0o600 });
    for (const [user, userToken] of userTokens) {
      await writeFile(join(dir, `kubeconfig-${user}`), kubeconfigYaml(server, caPem, userToken), { mode: 0o600 });
    }

    const controllers = options.controllers ?? (options.garbageCollector ? ['garbage-collector-controller', 'namespace-controller'] : []);
    if (controllers.length > 0) {
      const controllerManager = startProcess('kube-controller-manager', join(binaries, 'kube-controller-manager'), [
        `--kubeconfig=${kubeconfig}`,
        // Only what the tests rely on (by default: owned objects deleted with their owner, namespaces emptied).
        `--controllers=${controllers.join(',')}`,
        // Published into every namespace as kube-root-ca.crt, from which pods trust the apiserver.
        `--root-ca-file=${join(certs, 'ca.crt')}`,
        '--leader-elect=false',
        '--secure-port=0',
        '--v=1',
      ], logFile('kube-controller-manager'));
      processes.push(controllerManager);
    }

    return {
      server,
      kubeconfig,
      token,
      kubeconfigFor(user) {
        if (!userTokens.has(user)) throw new Error(`no user ${user}: pass it in startControlPlane({ users })`);
        return join(dir, `kubeconfig-${user}`);
      },
      caPem,
      api,
      async get(path) {
        const response = await api('GET', path);
        return response.status === 200 ? response.body : undefined;
      },
      async restartApiServer(restart = {}) {
        await stopProcess(apiServer);
        processes.splice(processes.indexOf(apiServer), 1);
        if (restart.compactEtcd) await compactEtcd(etcdUrl);
        apiServer = startProcess('kube-apiserver', join(binaries, 'kube-apiserver'), apiServerArgs, logFile('kube-apiserver'));
        processes.splice(1, 0, apiServer);
        await waitReady(apiServer);
      },
      logs: (name) => readFile(logFile(name), 'utf8').catch(() => ''),
      async stop() {
        await stopAll();
        await agent.close();
        await removeTempDir(dir);
      },
    };
  } catch (err) {
    await stopAll();
    await removeTempDir(dir);
    throw err;
  }
}
