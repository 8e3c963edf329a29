// The whole product, the way a platform team runs it, on a real node (test/node/node.ts): helm
// installs the operator, which runs as a pod from the image built from our Dockerfile; a
// GoModuleProxy is applied with an upstream, private modules from a git host, a storage class and
// retention; the go command downloads and builds through the proxy's Service; a new upstream
// rolls the pods; the cleanup CronJob runs as a Job on the same store; a pod loads the
// cluster-wide settings with envFrom and mounts its namespace's .netrc; a key taken out of a
// Secret the spec names turns the resource Degraded with an Event saying so; deleting the
// resource leaves nothing of it behind.
//
// The proxy serves https with a certificate of a test CA from a TLS Secret, and signs clients in:
// an htpasswd Secret, and the token the operator issued to the labelled namespace as a .netrc
// Secret, which the go command reads through NETRC. The certificate is renewed once the Service
// has its address (as cert-manager would), and no pod restarts for it.
//
// The servers the proxy pods reach (the upstreams, the checksum database, the git host) listen
// on the node's bridge address: the pods' only way off their namespace is that bridge, which the
// test made on this machine and routes nowhere else. It needs root (the bridge, iptables, mounts).
import { execFile } from 'node:child_process';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { condition, eventsAbout, eventually, proxiesPath } from '../cluster/operatorProcess.ts';
import { tempFolder } from '../e2e/harness.ts';
import { startGitServer, type GitServer } from '../fixtures/gitServer.ts';
import bcrypt from 'bcryptjs';
import { makeGoHome, runGo, type GoHome } from '../fixtures/goCommand.ts';
import { makeTestCa, type TestCa } from '../fixtures/testCertificates.ts';
import { buildableProgram, standardCorpus, writeModuleTree, type FixtureModule } from '../fixtures/moduleTree.ts';
import { startChecksumDatabase, type ChecksumDatabaseServer } from '../fixtures/sumdbServer.ts';
import { startUpstream, type Upstream } from '../fixtures/upstreamServer.ts';
import { chartPath, helm, runHelmAsync } from '../helm/helm.ts';
import { startNode, type Node } from './node.ts';
import { proxyImage, type ProxyImage } from './proxyImage.ts';

const run = promisify(execFile);
const isRoot = process.getuid?.() === 0;

const TEAM = 'team';
const APPS = 'apps';
const OPERATOR_NAMESPACE = 'gomodproxy-system';
const PROXY = 'goproxy';
const GIT_SECRET = 'git-token';
const GIT_PASSWORD = 'story-token-7c1f';
const TLS_SECRET = 'goproxy-tls';
const USERS_SECRET = 'goproxy-users';
const NETRC_SECRET = 'gomodproxy-netrc';
/** The name the proxy's certificate is for, and the host:port the .netrc names. */
const SERVICE_HOST = `${PROXY}.${TEAM}.svc:443`;
const STORAGE_CLASS = 'local-store';
const VOLUME = 'story-modules';
const SETTINGS_LABEL = { 'gomodproxy.dev/settings': 'yes' };
/** A module only the second upstream has: served once the spec names that upstream. */
const SECOND: FixtureModule = {
  path: 'example.test/second',
  version: 'v1.0.0',
  files: { 'second.go': 'package second\n\n// Name says where this module comes from.\nfunc Name() string { return "second" }\n' },
};
const PRIVATE = 'github.com/acme/private';
const minutes = (n: number) => n * 60_000;
const seconds = (since: number) => Math.round((Date.now() - since) / 100) / 10;

/** The settings the spec starts with; the steps change one field at a time. */
function proxySpec(servers: { upstream: string; db: ChecksumDatabaseServer; git: GitServer }, changes: { upstream?: string } = {}) {
  return {
    apiVersion: 'gomodproxy.dev/v1alpha1',
    kind: 'GoModuleProxy',
    metadata: { name: PROXY, namespace: TEAM },
    spec: {
      upstream: changes.upstream ?? servers.upstream,
      private: [PRIVATE],
      sumdb: servers.db.setting,
      // The proxy's own default mirrors vuln.go.dev; a test reaches nothing beyond this machine.
      vulndb: { enabled: false },
      gitCredentials: [{ host: 'github.com', url: servers.git.url, username: 'story', secretRef: { name: GIT_SECRET, key: 'token' } }],
      storage: { pvc: { storageClassName: STORAGE_CLASS, size: '1Gi', accessModes: ['ReadWriteOnce'], deleteWithProxy: true } },
      // Every minute, keeping only what was downloaded in the last second and the newest release.
      retention: { keepSince: '1s', keepLatest: 1, schedule: '* * * * *' },
      service: { port: 443 },
      tls: { secretName: TLS_SECRET },
      auth: { htpasswdSecretRef: { name: USERS_SECRET } },
      audit: { log: true },
      clusterWide: { enabled: true, namespaceSelector: { matchLabels: SETTINGS_LABEL }, netrc: { enabled: true } },
    },
  };
}

describe.skipIf(!isRoot)('the whole story on a real node', () => {
  let node: Node | undefined;
  let image: ProxyImage;
  let work: { path: string; dispose(): Promise<void> };
  let upstream: Upstream;
  let secondUpstream: Upstream;
  let db: ChecksumDatabaseServer;
  let git: GitServer;
  let goHome: GoHome | undefined;
  let anonymousHome: GoHome | undefined;
  let ca: TestCa;
  let serviceIp = '';
  let volumePath = '';
  let helmHome = '';
  let olderReleaseDownloaded: Date | undefined;
  const figures: Record<string, number> = {};

  const api = (method: string, path: string, body?: unknown, contentType?: string) => node!.cluster.api(method, path, body, contentType);
  /** `kubectl apply --server-side`: the object as the user wrote it, sent as an apply patch. */
  const apply = async (path: string, object: unknown) => {
    const applied = await api('PATCH', `${path}?fieldManager=story&force=true`, JSON.stringify(object), 'application/apply-patch+yaml');
    if (applied.status !== 200 && applied.status !== 201) throw new Error(`apply ${path}: ${applied.status} ${JSON.stringify(applied.body)}`);
    return applied.body;
  };
  const servers = () => ({ upstream: upstream.url, db, git });
  const goDownload = (module: string) => runGo(['mod', 'download', '-json', module], { cwd: goHome!.home, env: goHome!.env, allowFailure: true, timeoutMs: minutes(2) });

  /** Runs `go mod download` until it succeeds (the Service has no ready endpoint at first). */
  async function downloadWhenServed(module: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const result = await goDownload(module);
      if (result.code === 0) return;
      if (Date.now() > deadline) throw new Error(`go mod download ${module} through ${serviceIp} did not succeed within ${timeoutMs / 1000} s:\n${result.stderr}${result.stdout}\n${await diagnostics()}`);
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }

  /** What the cluster says about the proxy, for a failure message. */
  async function diagnostics(): Promise<string> {
    const proxy = await api('GET', proxiesPath(TEAM, PROXY));
    const pods = await api('GET', `/api/v1/namespaces/${TEAM}/pods`);
    const podLines = (pods.body.items ?? []).map((pod: any) => `${pod.metadata.name} ${pod.status?.phase} ${JSON.stringify(pod.status?.containerStatuses?.map((c: any) => c.state))}`);
    return `status: ${JSON.stringify(proxy.body.status)}\npods:\n${podLines.join('\n')}\nkubelet:\n${(await node!.logs('kubelet')).slice(-3000)}`;
  }

  beforeAll(async () => {
    // Built before the node starts: helm and the image (minutes when the tree changed).
    helm();
    work = await tempFolder('gomodproxy-story-');
    helmHome = join(work.path, 'helm');
    image = await proxyImage(work.path);
    node = await startNode();
    figures['node start, s'] = node.startupSeconds['node']!;
    await node.importImage(image.archive);

    // Public modules from two upstreams, the checksum database that knows them, a private repository.
    const host = node.address;
    const tree = join(work.path, 'upstream');
    await writeModuleTree(tree, standardCorpus());
    upstream = await startUpstream(tree, { host });
    const secondTree = join(work.path, 'second-upstream');
    await writeModuleTree(secondTree, [SECOND]);
    secondUpstream = await startUpstream(secondTree, { host });
    db = await startChecksumDatabase(host);
    await db.addFixtures([...standardCorpus(), SECOND]);
    const repos = join(work.path, 'git');
    await makePrivateRepository(join(work.path, 'private-work'), join(repos, 'acme-private.git'));
    git = await startGitServer(repos, { host, basicAuth: { username: 'story', password: GIT_PASSWORD } });

    // What the cluster's administrators provide: namespaces, a Secret, a storage class with a volume.
    for (const [name, labels] of [[TEAM, {}], [APPS, SETTINGS_LABEL]] as const) {
      await apply(`/api/v1/namespaces/${name}`, { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
    }
    await apply(`/api/v1/namespaces/${TEAM}/secrets/${GIT_SECRET}`, { apiVersion: 'v1', kind: 'Secret', metadata: { name: GIT_SECRET, namespace: TEAM }, stringData: { token: GIT_PASSWORD } });
    // The proxy's certificate, for the Service's name only at first (its address is not known yet).
    const caDir = join(work.path, 'ca');
    await mkdir(caDir);
    ca = makeTestCa(caDir);
    await applyTlsSecret(ca.issue('proxy-first', [`DNS:${PROXY}.${TEAM}.svc`]));
    await apply(`/api/v1/namespaces/${TEAM}/secrets/${USERS_SECRET}`, {
      apiVersion: 'v1', kind: 'Secret', metadata: { name: USERS_SECRET, namespace: TEAM }, stringData: { htpasswd: `alice:${bcrypt.hashSync('alice-password', 10)}\n` },
    });
    volumePath = join(work.path, 'volume');
    await mkdir(volumePath);
    // A hostPath volume is not chowned to the pod's fsGroup: open to the proxy's user.
    await chmod(volumePath, 0o777);
    await apply(`/apis/storage.k8s.io/v1/storageclasses/${STORAGE_CLASS}`, {
      apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: STORAGE_CLASS }, provisioner: 'kubernetes.io/no-provisioner', volumeBindingMode: 'Immediate', reclaimPolicy: 'Retain',
    });
    await apply(`/api/v1/persistentvolumes/${VOLUME}`, {
      apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: VOLUME },
      spec: { storageClassName: STORAGE_CLASS, capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Retain', hostPath: { path: volumePath, type: 'Directory' } },
    });
  }, minutes(30));

  /** The TLS Secret as cert-manager writes it: a kubernetes.io/tls Secret with tls.crt and tls.key. */
  async function applyTlsSecret(files: { certFile: string; keyFile: string }): Promise<void> {
    await apply(`/api/v1/namespaces/${TEAM}/secrets/${TLS_SECRET}`, {
      apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls', metadata: { name: TLS_SECRET, namespace: TEAM },
      data: { 'tls.crt': (await readFile(files.certFile)).toString('base64'), 'tls.key': (await readFile(files.keyFile)).toString('base64') },
    });
  }

  afterAll(async () => {
    console.log(`story figures: ${JSON.stringify(figures)}`);
    await goHome?.dispose();
    await anonymousHome?.dispose();
    if (node) {
      await runHelmAsync(['uninstall', 'gmp', '--namespace', OPERATOR_NAMESPACE, '--kubeconfig', node.cluster.kubeconfig, '--wait', '--timeout', '2m'], helmHome);
      await node.stop();
    }
    await git?.close();
    await db?.close();
    await secondUpstream?.close();
    await upstream?.close();
    await work?.dispose();
  }, minutes(5));

  it('helm installs the operator, which runs as a pod on the node', async () => {
    const installed = await runHelmAsync([
      'install', 'gmp', chartPath,
      '--kubeconfig', node!.cluster.kubeconfig,
      '--namespace', OPERATOR_NAMESPACE, '--create-namespace',
      '--set', `image.repository=${image.repository}`, '--set', `image.tag=${image.tag}`, '--set', 'image.pullPolicy=Never',
      '--set', 'replicaCount=1',
      '--wait', '--timeout', '5m',
    ], helmHome);
    expect(installed.stderr).toBe('');
    expect(installed.code).toBe(0);
    const pods = await api('GET', `/api/v1/namespaces/${OPERATOR_NAMESPACE}/pods`);
    expect(pods.body.items.map((pod: any) => [pod.spec.nodeName, pod.status.phase, pod.spec.containers[0].image])).toEqual([[node!.name, 'Running', image.reference]]);
  }, minutes(6));

  it('a GoModuleProxy applied serves public and private modules, and a build, over https to the namespace\'s token only', async () => {
    const applied = Date.now();
    await apply(proxiesPath(TEAM, PROXY), proxySpec(servers()));
    serviceIp = await eventually('the proxy\'s Service has a ClusterIP', async () => (await api('GET', `/api/v1/namespaces/${TEAM}/services/${PROXY}`)).body.spec?.clusterIP as string | undefined, minutes(2));
    // Renewed for the Service's address too, which the go command on this host dials (it has no cluster DNS).
    await applyTlsSecret(ca.issue('proxy-renewed', [`DNS:${PROXY}.${TEAM}.svc`, `IP:${serviceIp}`]));

    // The labelled namespace's .netrc, as a CI pod there mounts it; the name its DNS would resolve is
    // written as the address it resolves to.
    const netrcSecret = await eventually('the .netrc Secret in the labelled namespace', async () => {
      const found = await api('GET', `/api/v1/namespaces/${APPS}/secrets/${NETRC_SECRET}`);
      return found.status === 200 ? found.body : undefined;
    }, minutes(2));
    const netrc = Buffer.from(netrcSecret.data['.netrc'], 'base64').toString('utf8');
    expect(netrc).toMatch(new RegExp(`^machine ${SERVICE_HOST.replaceAll('.', '\\.')} login namespace-${APPS} password [0-9a-f]{64}\n$`));
    const netrcFile = join(work.path, 'netrc');
    await writeFile(netrcFile, netrc.replace(SERVICE_HOST, `${serviceIp}:443`), { mode: 0o600 });
    const emptyNetrc = join(work.path, 'no-netrc');
    await writeFile(emptyNetrc, '', { mode: 0o600 });
    const goSettings = (netrcPath: string) => ({
      goproxy: `https://${serviceIp}:443`,
      // The test database by its name "localhost", through the proxy; private paths never.
      gosumdb: db.vkey,
      localHosts: [serviceIp],
      extra: { GONOSUMDB: PRIVATE, GOFLAGS: '-modcacherw', SSL_CERT_FILE: ca.caFile, NETRC: netrcPath },
    });
    goHome = await makeGoHome(goSettings(netrcFile));
    await downloadWhenServed('github.com/acme/base@v1.2.3', minutes(6));
    figures['apply to first go mod download, s'] = seconds(applied);

    // Without the token: the proxy asks for credentials, and the go command says so.
    anonymousHome = await makeGoHome(goSettings(emptyNetrc));
    const anonymous = await runGo(['mod', 'download', '-json', 'github.com/acme/base@v1.2.3'], { cwd: anonymousHome.home, env: anonymousHome.env, allowFailure: true, timeoutMs: minutes(2) });
    expect(anonymous.code).not.toBe(0);
    expect(`${anonymous.stdout}${anonymous.stderr}`).toMatch(/401 Unauthorized/);
    // The renewal reached the running proxy without a new pod: the Deployment was never changed.
    const deployment = (await api('GET', `/apis/apps/v1/namespaces/${TEAM}/deployments/${PROXY}`)).body;
    expect(deployment.metadata.generation).toBe(1);
    const servingPods = (await api('GET', `/api/v1/namespaces/${TEAM}/pods?labelSelector=app.kubernetes.io/component=server`)).body.items ?? [];
    expect(servingPods.map((pod: any) => pod.status.containerStatuses?.[0]?.restartCount)).toEqual([0]);

    const privateDownload = await goDownload(`${PRIVATE}@v1.0.0`);
    expect(privateDownload.stderr).toBe('');
    expect(JSON.parse(privateDownload.stdout)).toMatchObject({ Path: PRIVATE, Version: 'v1.0.0' });
    expect(git.requests.some((request) => request.status === 200 && request.path.startsWith('/acme-private'))).toBe(true);
    // An older release, which retention will remove from the store.
    olderReleaseDownloaded = new Date();
    expect((await goDownload('github.com/acme/base@v1.0.0')).code).toBe(0);
    expect((await stat(join(volumePath, 'github.com/acme/base/@v/v1.0.0.zip'))).size).toBeGreaterThan(0);

    const program = buildableProgram();
    const source = join(work.path, 'program');
    await mkdir(source);
    await writeFile(join(source, 'go.mod'), program.goMod);
    await writeFile(join(source, 'main.go'), program.mainGo);
    await writeFile(join(source, 'go.sum'), program.goSum);
    await runGo(['build', '-o', 'program', '.'], { cwd: source, env: goHome.env, timeoutMs: minutes(4) });
    const { stdout } = await run(join(source, 'program'));
    expect(stdout).toBe(program.expectedOutput);

    const proxy = await eventually('the GoModuleProxy is Ready', async () => {
      const current = (await api('GET', proxiesPath(TEAM, PROXY))).body;
      return condition(current, 'Ready')?.status === 'True' ? current : undefined;
    }, minutes(2));
    expect(condition(proxy, 'Degraded')?.status).toBe('False');
  }, minutes(12));

  it('a new upstream rolls the pods, and the module only it has is served', async () => {
    const deploymentPath = `/apis/apps/v1/namespaces/${TEAM}/deployments/${PROXY}`;
    const before = (await api('GET', deploymentPath)).body;
    const oldPods = new Set(((await api('GET', `/api/v1/namespaces/${TEAM}/pods?labelSelector=app.kubernetes.io/component=server`)).body.items ?? []).map((pod: any) => pod.metadata.name));
    const changed = Date.now();
    await apply(proxiesPath(TEAM, PROXY), proxySpec(servers(), { upstream: `${upstream.url},${secondUpstream.url}` }));
    await eventually('the Deployment rolled out', async () => {
      const deployment = (await api('GET', deploymentPath)).body;
      const { status, spec, metadata } = deployment;
      if (metadata.generation <= before.metadata.generation || status.observedGeneration < metadata.generation) return undefined;
      if (status.updatedReplicas !== spec.replicas || status.readyReplicas !== spec.replicas || status.replicas !== spec.replicas) return undefined;
      const pods = (await api('GET', `/api/v1/namespaces/${TEAM}/pods?labelSelector=app.kubernetes.io/component=server`)).body.items ?? [];
      return pods.length === spec.replicas && pods.every((pod: any) => !oldPods.has(pod.metadata.name)) ? true : undefined;
    }, minutes(5));
    figures['rollout after a spec change, s'] = seconds(changed);
    await downloadWhenServed(`${SECOND.path}@${SECOND.version}`, minutes(2));
    figures['spec change to the new upstream\'s module served, s'] = seconds(changed);
  }, minutes(8));

  it('the cleanup CronJob runs as a Job on the same store, and status.lastCleanup fills', async () => {
    const removedZip = join(volumePath, 'github.com/acme/base/@v/v1.0.0.zip');
    const downloaded = olderReleaseDownloaded!;
    // Runs start on the minute: the one after the download removes the older release (it may have
    // happened during the rollout already).
    const lastCleanup = await eventually('a cleanup after the download removed base@v1.0.0 from the volume', async () => {
      const exists = await stat(removedZip).then(() => true, () => false);
      const status = (await api('GET', proxiesPath(TEAM, PROXY))).body.status;
      return !exists && status?.lastCleanup && new Date(status.lastCleanup.time) > downloaded ? status.lastCleanup : undefined;
    }, minutes(4));
    expect(lastCleanup).toMatchObject({ removedVersions: expect.any(Number), freedBytes: expect.any(Number) });
    // The job controller counts the pod's success a moment after the pod reports it.
    const succeeded = await eventually('a cleanup Job succeeded', async () => {
      const jobs = (await api('GET', `/apis/batch/v1/namespaces/${TEAM}/jobs`)).body.items ?? [];
      return jobs.find((job: any) => job.status?.succeeded >= 1);
    }, minutes(2));
    expect(succeeded.metadata.ownerReferences[0].kind).toBe('CronJob');
    // The newest release is kept.
    expect((await stat(join(volumePath, 'github.com/acme/base/@v/v1.2.3.zip'))).size).toBeGreaterThan(0);
  }, minutes(6));

  it('a pod that loads the cluster-wide ConfigMap with envFrom gets the https GOPROXY of the Service, and its namespace\'s .netrc', async () => {
    const configMap = await eventually('the cluster-wide ConfigMap is in the labelled namespace', async () => {
      const found = await api('GET', `/api/v1/namespaces/${APPS}/configmaps/gomodproxy`);
      return found.status === 200 ? found.body : undefined;
    }, minutes(2));
    const pod = {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'go-settings', namespace: APPS },
      spec: {
        restartPolicy: 'Never',
        containers: [{
          name: 'print', image: image.reference, imagePullPolicy: 'Never',
          command: ['node', '-e', 'console.log(JSON.stringify({ GOPROXY: process.env.GOPROXY, GONOSUMDB: process.env.GONOSUMDB, netrc: require("fs").readFileSync(process.env.NETRC, "utf8").split(" ").slice(0, 4).join(" ") }))'],
          envFrom: [{ configMapRef: { name: 'gomodproxy' } }],
          env: [{ name: 'NETRC', value: '/var/run/gomodproxy/.netrc' }],
          volumeMounts: [{ name: 'netrc', mountPath: '/var/run/gomodproxy', readOnly: true }],
        }],
        volumes: [{ name: 'netrc', secret: { secretName: NETRC_SECRET, items: [{ key: '.netrc', path: '.netrc' }] } }],
      },
    };
    await apply(`/api/v1/namespaces/${APPS}/pods/go-settings`, pod);
    await eventually('the pod ran', async () => ((await api('GET', `/api/v1/namespaces/${APPS}/pods/go-settings`)).body.status?.phase === 'Succeeded' ? true : undefined), minutes(3));
    const log = await node!.cluster.api('GET', `/api/v1/namespaces/${APPS}/pods/go-settings/log`, undefined, undefined, '*/*');
    // The harness parses a JSON answer: the one line the pod printed is one.
    const printed = typeof log.body === 'string' ? JSON.parse(log.body.trim().split('\n').pop()!) : log.body;
    expect(printed).toEqual({ GOPROXY: configMap.data.GOPROXY, GONOSUMDB: PRIVATE, netrc: `machine ${SERVICE_HOST} login namespace-${APPS}` });
    // The name it gives is the proxy's Service, on its port, over https.
    expect(printed.GOPROXY).toBe(`https://${SERVICE_HOST}`);
    expect((await api('GET', `/api/v1/namespaces/${TEAM}/services/${PROXY}`)).body.spec.ports[0].port).toBe(443);
    await api('DELETE', `/api/v1/namespaces/${APPS}/pods/go-settings`);
  }, minutes(5));

  it('a key taken out of a Secret the spec names turns the resource Degraded, with an Event that names the key', async () => {
    // An administrator edits the Secret itself: the key the spec names is gone (the pods roll, as for any change of it).
    const edited = await api('PATCH', `/api/v1/namespaces/${TEAM}/secrets/${GIT_SECRET}`, JSON.stringify({ data: { token: null, renamed: Buffer.from(GIT_PASSWORD).toString('base64') } }), 'application/merge-patch+json');
    expect(edited.status).toBe(200);
    expect(Object.keys(edited.body.data)).toEqual(['renamed']);
    const missingKey = `couldn't find key token in Secret ${TEAM}/${GIT_SECRET}`;
    const degraded = await eventually('the GoModuleProxy is Degraded', async () => {
      const found = condition((await api('GET', proxiesPath(TEAM, PROXY))).body, 'Degraded');
      return found?.status === 'True' ? found : undefined;
    }, minutes(4));
    expect(degraded.message).toMatch(/CreateContainerConfigError/);
    expect(degraded.message).toContain(missingKey);
    // The operator records the Event after it has written the status: wait for it too.
    const warning = await eventually('a Warning Event names the missing key', async () => {
      const events = await eventsAbout(node!.cluster, TEAM, PROXY);
      return events.find((event) => event.type === 'Warning' && event.note.includes(missingKey));
    }, minutes(1));
    expect(warning.note).toContain(missingKey);
  }, minutes(5));

  it('deleting the resource leaves nothing of it behind', async () => {
    const deleted = await api('DELETE', proxiesPath(TEAM, PROXY));
    expect(deleted.status).toBe(200);
    await eventually('the GoModuleProxy is gone', async () => ((await api('GET', proxiesPath(TEAM, PROXY))).status === 404 ? true : undefined), minutes(2));
    const left = await eventually('nothing of it is left', async () => {
      const names: string[] = [];
      for (const [path, skip] of [
        [`/apis/apps/v1/namespaces/${TEAM}/deployments`, ''],
        [`/apis/apps/v1/namespaces/${TEAM}/replicasets`, ''],
        [`/api/v1/namespaces/${TEAM}/pods`, ''],
        [`/api/v1/namespaces/${TEAM}/services`, ''],
        [`/api/v1/namespaces/${TEAM}/configmaps`, 'kube-root-ca.crt'],
        [`/api/v1/namespaces/${TEAM}/persistentvolumeclaims`, ''],
        [`/apis/batch/v1/namespaces/${TEAM}/cronjobs`, ''],
        [`/apis/batch/v1/namespaces/${TEAM}/jobs`, ''],
        [`/api/v1/namespaces/${APPS}/configmaps`, 'kube-root-ca.crt'],
        // The administrator's Secrets stay; the .netrc and the tokens' hashes go.
        [`/api/v1/namespaces/${TEAM}/secrets`, `${GIT_SECRET} ${TLS_SECRET} ${USERS_SECRET}`],
        [`/api/v1/namespaces/${APPS}/secrets`, ''],
      ] as const) {
        for (const item of (await api('GET', path)).body.items ?? []) if (!skip.split(' ').includes(item.metadata.name)) names.push(`${path}/${item.metadata.name}`);
      }
      return names.length === 0 ? names : undefined;
    }, minutes(3));
    expect(left).toEqual([]);
    // The volume is the administrator's: released by the claim, kept with the modules on it.
    const volume = await eventually('the volume is released', async () => {
      const found = (await api('GET', `/api/v1/persistentvolumes/${VOLUME}`)).body;
      return found.status?.phase === 'Released' ? found : undefined;
    }, minutes(2));
    expect(volume.spec.claimRef).toMatchObject({ namespace: TEAM, name: `${PROXY}-data` });
  }, minutes(6));

  it('the node stops, leaving no process, mount, iptables chain or link', async () => {
    await runHelmAsync(['uninstall', 'gmp', '--namespace', OPERATOR_NAMESPACE, '--kubeconfig', node!.cluster.kubeconfig, '--wait', '--timeout', '2m'], helmHome);
    const stopping = node!;
    node = undefined;
    await stopping.stop();
    expect(await stopping.leftovers()).toEqual([]);
  }, minutes(4));
});

/** A private module's repository: github.com/acme/private v1.0.0, as a bare repository. */
async function makePrivateRepository(tree: string, bare: string): Promise<void> {
  const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: tree, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_AUTHOR_DATE: '2024-05-01T00:00:00Z', GIT_COMMITTER_DATE: '2024-05-01T00:00:00Z' };
  const git = (args: string[], cwd = tree) => run('git', ['-c', 'user.name=story', '-c', 'user.email=story@example.test', ...args], { cwd, env });
  await mkdir(tree, { recursive: true });
  await git(['init', '-q', '-b', 'main']);
  await writeFile(join(tree, 'go.mod'), `module ${PRIVATE}\n\ngo 1.21\n`);
  await writeFile(join(tree, 'private.go'), 'package private\n\n// Name says where this module comes from.\nfunc Name() string { return "private" }\n');
  await git(['add', '-A']);
  await git(['commit', '-q', '-m', 'first']);
  await git(['tag', 'v1.0.0']);
  await git(['clone', '-q', '--bare', tree, bare], join(tree, '..'));
}
