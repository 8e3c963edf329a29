// The operator against a real kube-apiserver (with kube-controller-manager's garbage collector):
// a GoModuleProxy becomes its objects, follows spec changes, survives an operator restart without
// rewriting anything, reports what a person must fix, and cleans up after itself.
import { createHash } from 'node:crypto';
import yaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { resolveConfig } from '../../proxy/config.ts';
import { startControlPlane, type ControlPlane } from './harness.ts';
import { condition, createNamespace, eventsAbout, eventually, installCrd, markDeploymentReady, podWithStatus, proxiesPath, startOperatorProcess, type OperatorProcess } from './operatorProcess.ts';

const NS = 'goproxy';
const OWNED = [
  ['ConfigMap', '/api/v1', 'configmaps', 'corp-config'],
  ['PersistentVolumeClaim', '/api/v1', 'persistentvolumeclaims', 'corp-data'],
  ['Service', '/api/v1', 'services', 'corp'],
  ['Deployment', '/apis/apps/v1', 'deployments', 'corp'],
  ['CronJob', '/apis/batch/v1', 'cronjobs', 'corp-cleanup'],
] as const;
const ownedPath = (base: string, plural: string, name: string, namespace = NS) => `${base}/namespaces/${namespace}/${plural}/${name}`;

const corp = {
  apiVersion: 'gomodproxy.dev/v1alpha1',
  kind: 'GoModuleProxy',
  metadata: { name: 'corp', namespace: NS },
  spec: {
    upstream: 'http://mirror.corp.example,direct',
    private: ['git.corp.example/*'],
    gitCredentials: [{ host: 'git.corp.example', secretRef: { name: 'git-token' } }],
    storage: { pvc: { size: '5Gi' } },
    retention: { keepSince: '90d', keepLatest: 5 },
    clusterWide: { enabled: true, namespaceSelector: { matchLabels: { 'go-proxy': 'corp' } } },
  },
};

describe('the operator on a real kube-apiserver', () => {
  let cluster: ControlPlane;
  let operator: OperatorProcess;

  beforeAll(async () => {
    cluster = await startControlPlane({ garbageCollector: true });
    await installCrd(cluster);
    await createNamespace(cluster, NS);
    await createNamespace(cluster, 'team-a', { 'go-proxy': 'corp' });
    await createNamespace(cluster, 'team-b');
    const secret = await cluster.api('POST', `/api/v1/namespaces/${NS}/secrets`, { metadata: { name: 'git-token' }, stringData: { token: 's3cret' } });
    expect(secret.status).toBe(201);
    operator = await startOperatorProcess(cluster, 'operator-a');
  }, 30 * 60_000);

  afterAll(async () => {
    await operator?.stop();
    await cluster?.stop();
  });

  const get = (path: string) => cluster.get(path);

  test('a GoModuleProxy becomes every owned object, with the right content', async () => {
    const created = await cluster.api('POST', proxiesPath(NS), corp);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const uid = created.body.metadata.uid;

    const objects = Object.fromEntries<any>(
      await Promise.all(OWNED.map(async ([kind, base, plural, name]) => [kind, await eventually(`${kind} ${name}`, () => get(ownedPath(base, plural, name)))] as const)),
    );
    for (const [kind, object] of Object.entries(objects)) {
      expect(object.metadata.labels['app.kubernetes.io/managed-by'], kind).toBe('gomodproxy-operator');
      const owners = object.metadata.ownerReferences ?? [];
      expect(owners, kind).toEqual(kind === 'PersistentVolumeClaim' ? [] : [expect.objectContaining({ kind: 'GoModuleProxy', name: 'corp', uid, controller: true })]);
      // One field manager wrote every object.
      const managers = new Set(object.metadata.managedFields.filter((f: { operation: string }) => f.operation === 'Apply').map((f: { manager: string }) => f.manager));
      expect([...managers], kind).toEqual(['gomodproxy-operator']);
    }

    const config = resolveConfig(yaml.load(objects['ConfigMap'].data['config.yaml']) as Record<string, unknown>);
    expect(config.upstream).toBe('http://mirror.corp.example,direct');
    expect(config.git.hosts['git.corp.example']).toEqual({ url: 'https://git.corp.example', token: 'env:GOMODPROXY_GIT_TOKEN_0' });

    const deployment = objects['Deployment'];
    const pod = deployment.spec.template.spec;
    expect(deployment.spec.strategy.type).toBe('Recreate');
    expect(pod.containers[0].readinessProbe.httpGet.path).toBe('/readyz');
    expect(pod.containers[0].livenessProbe.httpGet.path).toBe('/healthz');
    expect(pod.containers[0].securityContext.readOnlyRootFilesystem).toBe(true);
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(deployment.spec.template.metadata.annotations['gomodproxy.dev/config-checksum']).toBe(
      createHash('sha256').update(JSON.stringify(objects['ConfigMap'].data)).digest('hex'),
    );
    expect(objects['PersistentVolumeClaim'].spec.resources.requests.storage).toBe('5Gi');
    expect(objects['Service'].spec.ports[0]).toMatchObject({ port: 80, targetPort: 'http' });
    const cleanup = objects['CronJob'].spec.jobTemplate.spec.template.spec.containers[0];
    expect(cleanup.command).toBeUndefined();
    expect(cleanup.args).toEqual([
      'cleanup', '--config', '/etc/gomodproxy/config.yaml', '--keep-since', '90d', '--keep-latest', '5', '--termination-message', '/dev/termination-log',
    ]);
    expect(cleanup.terminationMessagePolicy).toBe('File');
    // Beside the serving pod that holds the ReadWriteOnce volume, within deadlines.
    expect(objects['CronJob'].spec.startingDeadlineSeconds).toBe(3600);
    expect(objects['CronJob'].spec.jobTemplate.spec.activeDeadlineSeconds).toBe(3600);
    expect(objects['CronJob'].spec.jobTemplate.spec.template.spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey).toBe('kubernetes.io/hostname');

    // Published in the selected namespace only.
    const published = await eventually('cluster-wide ConfigMap in team-a', () => get('/api/v1/namespaces/team-a/configmaps/gomodproxy'));
    expect(published.data).toEqual({ GOPROXY: 'http://corp.goproxy.svc:80', GONOSUMDB: 'git.corp.example/*', GOSUMDB: 'sum.golang.org' });
    expect(await get('/api/v1/namespaces/team-b/configmaps/gomodproxy')).toBeUndefined();

    // Not ready until the Deployment is; then Ready, with the finalizer and the URL in place.
    const progressing = await eventually('status Progressing', async () => {
      const proxy = await get(proxiesPath(NS, 'corp'));
      return condition(proxy, 'Progressing')?.status === 'True' ? proxy : undefined;
    });
    expect(condition(progressing, 'Ready')).toMatchObject({ status: 'False', reason: 'RollingOut' });
    expect(progressing.metadata.finalizers).toEqual(['gomodproxy.dev/cluster-wide-configmaps']);
    await markDeploymentReady(cluster, NS, 'corp');
    const ready = await eventually('status Ready', async () => {
      const proxy = await get(proxiesPath(NS, 'corp'));
      return condition(proxy, 'Ready')?.status === 'True' ? proxy : undefined;
    });
    expect(ready.status).toMatchObject({ observedGeneration: 1, url: 'http://corp.goproxy.svc:80', webUrl: 'http://corp.goproxy.svc:80/', readyReplicas: 1 });
    expect(condition(ready, 'Degraded')).toMatchObject({ status: 'False', observedGeneration: 1 });
    // What `kubectl get gomoduleproxies` prints: the CRD's printer columns.
    const table = await cluster.api('GET', proxiesPath(NS), undefined, undefined, 'application/json;as=Table;v=v1;g=meta.k8s.io');
    expect(table.body.columnDefinitions.map((c: { name: string; priority: number }) => `${c.name}/${c.priority}`)).toEqual(['Name/0', 'Ready/0', 'URL/0', 'Web/1', 'Age/0']);
    expect(table.body.rows[0].cells.slice(0, 4)).toEqual(['corp', 'True', 'http://corp.goproxy.svc:80', 'http://corp.goproxy.svc:80/']);
  });

  test('a spec change changes the objects and the pods\' config checksum; a namespace that starts to match gets the ConfigMap', async () => {
    const before = await get(ownedPath('/apis/apps/v1', 'deployments', 'corp'));
    const checksumBefore = before.metadata && before.spec.template.metadata.annotations['gomodproxy.dev/config-checksum'];
    const readyBefore = condition(await get(proxiesPath(NS, 'corp')), 'Ready');

    const patched = await cluster.api('PATCH', proxiesPath(NS, 'corp'), { spec: { upstream: 'http://other-mirror.corp.example', retention: { keepLatest: 2 } } }, 'application/merge-patch+json');
    expect(patched.status).toBe(200);
    const after = await eventually('the Deployment rolls', async () => {
      const deployment = await get(ownedPath('/apis/apps/v1', 'deployments', 'corp'));
      return deployment.spec.template.metadata.annotations['gomodproxy.dev/config-checksum'] !== checksumBefore ? deployment : undefined;
    });
    const configMap = await get(ownedPath('/api/v1', 'configmaps', 'corp-config'));
    expect(resolveConfig(yaml.load(configMap.data['config.yaml']) as Record<string, unknown>).upstream).toBe('http://other-mirror.corp.example');
    expect(after.spec.template.metadata.annotations['gomodproxy.dev/config-checksum']).toBe(createHash('sha256').update(JSON.stringify(configMap.data)).digest('hex'));
    const cronJob = await get(ownedPath('/apis/batch/v1', 'cronjobs', 'corp-cleanup'));
    expect(cronJob.spec.jobTemplate.spec.template.spec.containers[0].args).toContain('2');

    // The new pod template is not rolled out yet: Ready flips to False (a transition, so a new time).
    const rolling = await eventually('Ready False for generation 2', async () => {
      const proxy = await get(proxiesPath(NS, 'corp'));
      return proxy.status.observedGeneration === 2 && condition(proxy, 'Ready').status === 'False' ? proxy : undefined;
    });
    expect(condition(rolling, 'Ready').reason).toBe('RollingOut');
    expect(Date.parse(condition(rolling, 'Ready').lastTransitionTime)).toBeGreaterThanOrEqual(Date.parse(readyBefore.lastTransitionTime));
    await markDeploymentReady(cluster, NS, 'corp');
    await eventually('Ready again', async () => (condition(await get(proxiesPath(NS, 'corp')), 'Ready').status === 'True' ? true : undefined));

    const labelled = await cluster.api('PATCH', '/api/v1/namespaces/team-b', { metadata: { labels: { 'go-proxy': 'corp' } } }, 'application/merge-patch+json');
    expect(labelled.status).toBe(200);
    const published = await eventually('cluster-wide ConfigMap in team-b', () => get('/api/v1/namespaces/team-b/configmaps/gomodproxy'));
    expect(published.data.GOPROXY).toBe('http://corp.goproxy.svc:80');
  });

  test('a restarted operator rewrites nothing: every resourceVersion stays, no apply is sent', async () => {
    const paths = [
      proxiesPath(NS, 'corp'),
      ...OWNED.map(([, base, plural, name]) => ownedPath(base, plural, name)),
      '/api/v1/namespaces/team-a/configmaps/gomodproxy',
      '/api/v1/namespaces/team-b/configmaps/gomodproxy',
    ];
    const versionsBefore = await Promise.all(paths.map(async (path) => (await get(path)).metadata.resourceVersion));
    expect(await operator.stop()).toBe(0);
    operator = await startOperatorProcess(cluster, 'operator-a2');
    // Reconciled at least once since start (every GoModuleProxy is queued when the caches fill), queue drained.
    await eventually('the restarted operator reconciled', async () =>
      (await operator.metric('gomodproxy_operator_reconciles_total')) >= 1 && (await operator.metric('gomodproxy_operator_queue_depth')) === 0 ? true : undefined,
    );
    const versionsAfter = await Promise.all(paths.map(async (path) => (await get(path)).metadata.resourceVersion));
    expect(versionsAfter).toEqual(versionsBefore);
    expect(await operator.metric('gomodproxy_operator_api_requests_total{verb="apply"}')).toBe(0);
    expect(await operator.metric('gomodproxy_operator_api_requests_total{verb="delete"}')).toBe(0);
  });

  test('hand edits of owned objects (image, replicas, ConfigMap data) are undone; then a reconcile sends nothing', async () => {
    const deploymentPath = ownedPath('/apis/apps/v1', 'deployments', 'corp');
    const configMapPath = ownedPath('/api/v1', 'configmaps', 'corp-config');
    const rendered = { deployment: await get(deploymentPath), configMap: await get(configMapPath) };
    // As `kubectl set image`, `kubectl scale` and `kubectl edit` do: updates by other field managers.
    const edits = [
      cluster.api('PATCH', `${deploymentPath}?fieldManager=kubectl-set`, [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'gomodproxy:hand-edited' }], 'application/json-patch+json'),
      cluster.api('PATCH', `${deploymentPath}/scale?fieldManager=kubectl-scale`, { spec: { replicas: 4 } }, 'application/merge-patch+json'),
      cluster.api('PATCH', `${configMapPath}?fieldManager=kubectl-edit`, { data: { 'config.yaml': 'upstream: http://elsewhere.example\n' } }, 'application/merge-patch+json'),
    ];
    for (const edit of await Promise.all(edits)) expect(edit.status, JSON.stringify(edit.body)).toBe(200);

    const restored = await eventually('every edit undone', async () => {
      const deployment = await get(deploymentPath);
      const configMap = await get(configMapPath);
      const back = deployment.spec.template.spec.containers[0].image === 'gomodproxy:test' && deployment.spec.replicas === 1 && configMap.data['config.yaml'] === rendered.configMap.data['config.yaml'];
      return back ? { deployment, configMap } : undefined;
    });
    expect(restored.deployment.spec.template.metadata.annotations).toEqual(rendered.deployment.spec.template.metadata.annotations);

    // The next reconcile (an annotation on the resource enqueues it) finds everything as rendered.
    const reconciles = await operator.metric('gomodproxy_operator_reconciles_total');
    const applies = await operator.metric('gomodproxy_operator_api_requests_total{verb="apply"}');
    const versions = [(await get(deploymentPath)).metadata.resourceVersion, (await get(configMapPath)).metadata.resourceVersion];
    expect((await cluster.api('PATCH', proxiesPath(NS, 'corp'), { metadata: { annotations: { 'example.com/touched': 'yes' } } }, 'application/merge-patch+json')).status).toBe(200);
    await eventually('reconciled again', async () =>
      (await operator.metric('gomodproxy_operator_reconciles_total')) > reconciles && (await operator.metric('gomodproxy_operator_queue_depth')) === 0 ? true : undefined,
    );
    expect(await operator.metric('gomodproxy_operator_api_requests_total{verb="apply"}')).toBe(applies);
    expect([(await get(deploymentPath)).metadata.resourceVersion, (await get(configMapPath)).metadata.resourceVersion]).toEqual(versions);
  });

  test('status.lastCleanup is the report of the latest cleanup pod that succeeded; a malformed or older one changes nothing', async () => {
    // No kubelet runs here: each pod is made with the labels of the CronJob's pod template, then
    // its status is set through the status subresource as the kubelet sets it when the container
    // exits 0 with the report in its termination message file.
    // The service-account controller does not run either: the pods' account is made as it would make it.
    const account = await cluster.api('POST', `/api/v1/namespaces/${NS}/serviceaccounts`, { metadata: { name: 'default' } });
    expect([201, 409], JSON.stringify(account.body)).toContain(account.status);
    const cronJob = await get(ownedPath('/apis/batch/v1', 'cronjobs', 'corp-cleanup'));
    const labels = cronJob.spec.jobTemplate.spec.template.metadata.labels;
    const succeededCleanupPod = async (name: string, message: string) => {
      const time = new Date().toISOString();
      const terminated = { exitCode: 0, reason: 'Completed', message, startedAt: time, finishedAt: time };
      await podWithStatus(cluster, NS, name, labels, 'cleanup', { phase: 'Succeeded', containerStatuses: [{ name: 'cleanup', image: 'gomodproxy:test', imageID: '', ready: false, restartCount: 0, state: { terminated } }] }, 'OnFailure');
    };
    const lastCleanup = async () => (await get(proxiesPath(NS, 'corp'))).status.lastCleanup;

    const first = { time: '2026-11-20T03:17:42.123Z', removedVersions: 4, freedBytes: 25165824 };
    await succeededCleanupPod('corp-cleanup-29000001-aaaaa', JSON.stringify(first));
    expect(await eventually('the first report', async () => ((await lastCleanup())?.time === first.time ? lastCleanup() : undefined))).toEqual(first);

    const second = { time: '2026-11-21T03:17:40.000Z', removedVersions: 0, freedBytes: 0 };
    await succeededCleanupPod('corp-cleanup-29000002-bbbbb', JSON.stringify(second));
    expect(await eventually('the later report', async () => ((await lastCleanup())?.time === second.time ? lastCleanup() : undefined))).toEqual(second);

    // Not JSON, a later time without the numbers, and an older report.
    await succeededCleanupPod('corp-cleanup-29000003-ccccc', 'panic: out of memory');
    await succeededCleanupPod('corp-cleanup-29000004-ddddd', JSON.stringify({ time: '2026-11-22T03:17:40.000Z', removedVersions: 1 }));
    await succeededCleanupPod('corp-cleanup-29000005-eeeee', JSON.stringify({ ...first, time: '2026-11-19T03:17:40.000Z' }));
    for (const pod of ['corp-cleanup-29000003-ccccc', 'corp-cleanup-29000004-ddddd']) {
      await eventually(`the warning about ${pod}`, async () => (operator.output().includes(`"pod":"${NS}/${pod}"`) ? true : undefined));
    }
    // The warnings come after those pods are in the operator's cache; a spec change reconciled
    // afterwards (observedGeneration) has therefore seen them all.
    const generation = (await get(proxiesPath(NS, 'corp'))).metadata.generation;
    const patched = await cluster.api('PATCH', proxiesPath(NS, 'corp'), { spec: { retention: { schedule: '47 4 * * *' } } }, 'application/merge-patch+json');
    expect(patched.status).toBe(200);
    const after = await eventually('the spec change reconciled', async () => {
      const proxy = await get(proxiesPath(NS, 'corp'));
      return proxy.status.observedGeneration > generation ? proxy : undefined;
    });
    expect(after.status.lastCleanup).toEqual(second);
    expect(operator.output()).toContain('cleanup pod\'s termination message ignored');
  });

  test('a pod that cannot start makes it Degraded, saying which container, reason and Secret key, with an Event; fixed, it recovers', async () => {
    const deployment = await get(ownedPath('/apis/apps/v1', 'deployments', 'corp'));
    const labels = deployment.spec.template.metadata.labels;
    const podName = 'corp-5d4f8c7b9-xk2p9';
    const kubeletMessage = 'couldn\'t find key token in Secret goproxy/git-token';
    // The deployment controller counts the pod as not ready.
    await markDeploymentReady(cluster, NS, 'corp', 0);
    await podWithStatus(cluster, NS, podName, labels, 'gomodproxy', {
      phase: 'Pending',
      containerStatuses: [{ name: 'gomodproxy', image: 'gomodproxy:test', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'CreateContainerConfigError', message: kubeletMessage } } }],
    });
    const degraded = await eventually('Degraded by the pod, the Deployment seen not ready', async () => {
      const proxy = await get(proxiesPath(NS, 'corp'));
      return condition(proxy, 'Degraded')?.reason === 'PodsFailing' && proxy.status.readyReplicas === 0 ? proxy : undefined;
    });
    const expected = `pod ${podName} container gomodproxy: CreateContainerConfigError: ${kubeletMessage}; create the Secret or key it names, or fix the reference in the spec`;
    expect(condition(degraded, 'Degraded')).toMatchObject({ status: 'True', message: expected });
    expect(condition(degraded, 'Ready')).toMatchObject({ status: 'False', reason: 'PodsFailing', message: `0 of 1 replicas ready, 1 updated: ${expected}` });
    const warning = await eventually('the Warning Event', async () => (await eventsAbout(cluster, NS, 'corp')).find((event) => event.reason === 'PodsFailing'));
    expect(warning).toMatchObject({ type: 'Warning', note: expected, reportingController: 'gomodproxy.dev/operator' });

    // The key is added; the kubelet starts the container and it becomes ready.
    const now = new Date().toISOString();
    await podWithStatus(cluster, NS, podName, labels, 'gomodproxy', {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }],
      containerStatuses: [{ name: 'gomodproxy', image: 'gomodproxy:test', imageID: '', ready: true, restartCount: 0, started: true, state: { running: { startedAt: now } } }],
    });
    await markDeploymentReady(cluster, NS, 'corp');
    await eventually('Ready and not Degraded', async () => {
      const proxy = await get(proxiesPath(NS, 'corp'));
      return condition(proxy, 'Ready')?.status === 'True' && condition(proxy, 'Degraded')?.status === 'False' ? true : undefined;
    });
    const recovered = await eventually('the Normal Event', async () => (await eventsAbout(cluster, NS, 'corp')).find((event) => event.reason === 'Recovered'));
    expect(recovered.type).toBe('Normal');
    expect((await cluster.api('DELETE', `/api/v1/namespaces/${NS}/pods/${podName}`)).status).toBe(200);
  });

  test('invalid resources are refused by the apiserver with the CRD\'s message', async () => {
    const both = await cluster.api('POST', proxiesPath(NS), { ...corp, metadata: { name: 'both', namespace: NS }, spec: { storage: { pvc: {}, s3: { bucket: 'modules', credentialsSecretRef: { name: 's3' } } } } });
    expect(both.status).toBe(422);
    expect(both.body.message).toContain('storage: set exactly one of pvc or s3');
    const shared = await cluster.api('POST', proxiesPath(NS), { ...corp, metadata: { name: 'shared', namespace: NS }, spec: { replicas: 3, storage: { pvc: { accessModes: ['ReadWriteOnce'] } } } });
    expect(shared.status).toBe(422);
    expect(shared.body.message).toContain('replicas > 1 needs storage.s3 or storage.pvc.accessModes [ReadWriteMany]');
    const oncePod = await cluster.api('POST', proxiesPath(NS), { ...corp, metadata: { name: 'once-pod', namespace: NS }, spec: { storage: { pvc: { accessModes: ['ReadWriteOncePod'] } } } });
    expect(oncePod.status).toBe(422);
    expect(oncePod.body.message).toContain('ReadWriteOncePod: the cleanup job could never mount the volume');
    const badField = await cluster.api('POST', proxiesPath(NS), { ...corp, metadata: { name: 'bad', namespace: NS }, spec: { storage: { pvc: { size: 'lots' } } } });
    expect(badField.status).toBe(422);
    expect(badField.body.message).toContain('spec.storage.pvc.size');
  });

  test('a missing Secret is Degraded with what to do, and recovers when the Secret is created', async () => {
    const created = await cluster.api('POST', proxiesPath(NS), {
      ...corp,
      metadata: { name: 'needs-secret', namespace: NS },
      spec: { storage: { pvc: {} }, gitCredentials: [{ host: 'git.other.example', secretRef: { name: 'other-token', key: 'password' } }] },
    });
    expect(created.status).toBe(201);
    const degraded = await eventually('Degraded', async () => {
      const proxy = await get(proxiesPath(NS, 'needs-secret'));
      return condition(proxy, 'Degraded')?.status === 'True' ? proxy : undefined;
    });
    expect(condition(degraded, 'Degraded')).toMatchObject({ reason: 'SecretMissing' });
    expect(condition(degraded, 'Degraded').message).toBe(
      'Secret goproxy/other-token (spec.gitCredentials[0].secretRef) does not exist: create it with the key password, e.g. kubectl -n goproxy create secret generic other-token --from-literal=password=…',
    );
    expect(condition(degraded, 'Ready').status).toBe('False');
    expect(await get(ownedPath('/apis/apps/v1', 'deployments', 'needs-secret'))).toBeUndefined();

    const secret = await cluster.api('POST', `/api/v1/namespaces/${NS}/secrets`, { metadata: { name: 'other-token' }, stringData: { password: 'x' } });
    expect(secret.status).toBe(201);
    await eventually('Degraded False', async () => (condition(await get(proxiesPath(NS, 'needs-secret')), 'Degraded')?.status === 'False' ? true : undefined));
    const deployment = await eventually('its Deployment', () => get(ownedPath('/apis/apps/v1', 'deployments', 'needs-secret')));
    expect(deployment.spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef).toEqual({ name: 'other-token', key: 'password' });
  });

  test('settings the proxy would refuse are Degraded with the proxy\'s own message, and nothing is deployed', async () => {
    const created = await cluster.api('POST', proxiesPath(NS), { ...corp, metadata: { name: 'bad-upstream', namespace: NS }, spec: { upstream: 'ftp://mirror.corp.example', storage: { pvc: {} } } });
    expect(created.status).toBe(201);
    const degraded = await eventually('Degraded', async () => {
      const proxy = await get(proxiesPath(NS, 'bad-upstream'));
      return condition(proxy, 'Degraded')?.status === 'True' ? proxy : undefined;
    });
    expect(condition(degraded, 'Degraded').reason).toBe('InvalidSettings');
    expect(condition(degraded, 'Degraded').message).toContain('invalid setting upstream (GOMODPROXY_UPSTREAM) = "ftp://mirror.corp.example"');
    expect(await get(ownedPath('/api/v1', 'configmaps', 'bad-upstream-config'))).toBeUndefined();
    expect(await get(ownedPath('/apis/apps/v1', 'deployments', 'bad-upstream'))).toBeUndefined();
  });

  test('a rotated Secret rolls the pods; a long name gets a CronJob within 52 characters; a name that cannot be a Service is refused', async () => {
    const deploymentPath = ownedPath('/apis/apps/v1', 'deployments', 'corp');
    const version = (deployment: any) => deployment.spec.template.metadata.annotations['gomodproxy.dev/secrets-version'];
    const before = version(await get(deploymentPath));
    expect(before).toMatch(/^[0-9a-f]{32}$/);
    const rotated = await cluster.api('PATCH', `/api/v1/namespaces/${NS}/secrets/git-token`, { stringData: { token: 'rotated' } }, 'application/merge-patch+json');
    expect(rotated.status).toBe(200);
    await eventually('the pod template changes', async () => (version(await get(deploymentPath)) !== before ? true : undefined));

    const name = 'a-proxy-whose-name-is-long-enough-to-break-the-cronjob-x';
    expect(name.length).toBeGreaterThan(44);
    const created = await cluster.api('POST', proxiesPath(NS), { ...corp, metadata: { name, namespace: NS }, spec: { storage: { s3: { bucket: 'modules', credentialsSecretRef: { name: 'git-token' } } }, clusterWide: { enabled: false } } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const cronJobs = await eventually('its CronJob', async () => {
      const listed = await cluster.api('GET', `/apis/batch/v1/namespaces/${NS}/cronjobs?labelSelector=${encodeURIComponent(`gomodproxy.dev/proxy-name=${name}`)}`);
      return listed.body.items.length === 1 ? listed.body.items : undefined;
    });
    expect(cronJobs[0].metadata.name).toMatch(/^a-proxy-whose-name-is-long-enough-t-[0-9a-f]{8}-cleanup$/);
    expect(cronJobs[0].metadata.name.length).toBeLessThanOrEqual(52);

    const dotted = await cluster.api('POST', proxiesPath(NS), { ...corp, metadata: { name: 'corp.v2', namespace: NS } });
    expect(dotted.status).toBe(422);
    expect(dotted.body.message).toContain('metadata.name must be at most 63 characters of a-z, 0-9 and -');
  });

  test('pod knobs, a PodDisruptionBudget and a NetworkPolicy are accepted by the apiserver; the budget goes when one replica is left', async () => {
    const spec = {
      replicas: 3,
      storage: { s3: { bucket: 'modules', credentialsSecretRef: { name: 'git-token' } } },
      networkPolicy: { enabled: true, from: [{ namespaceSelector: { matchLabels: { 'go-proxy': 'corp' } } }] },
      pod: {
        labels: { team: 'platform' },
        annotations: { 'sidecar.istio.io/inject': 'false' },
        imagePullSecrets: [{ name: 'registry' }],
        serviceAccountName: 'go-proxy-s3',
        priorityClassName: 'platform-critical',
        topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway' }],
      },
    };
    const created = await cluster.api('POST', proxiesPath(NS), { ...corp, metadata: { name: 'knobs', namespace: NS }, spec });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const budgetPath = ownedPath('/apis/policy/v1', 'poddisruptionbudgets', 'knobs');
    const budget = await eventually('the PodDisruptionBudget', () => get(budgetPath));
    expect(budget.spec.maxUnavailable).toBe(1);
    const networkPolicy = await eventually('the NetworkPolicy', () => get(ownedPath('/apis/networking.k8s.io/v1', 'networkpolicies', 'knobs')));
    expect(networkPolicy.spec.ingress[0].ports).toEqual([{ protocol: 'TCP', port: 3000 }]);
    const deployment = await eventually('the Deployment', () => get(ownedPath('/apis/apps/v1', 'deployments', 'knobs')));
    expect(deployment.spec.template.spec).toMatchObject({ serviceAccountName: 'go-proxy-s3', priorityClassName: 'platform-critical', imagePullSecrets: [{ name: 'registry' }] });
    expect(deployment.spec.template.spec.topologySpreadConstraints[0].labelSelector.matchLabels['app.kubernetes.io/instance']).toBe('knobs');
    const proxy = await eventually('reconciled without problem', async () => {
      const current = await get(proxiesPath(NS, 'knobs'));
      return condition(current, 'Degraded')?.status === 'False' ? current : undefined;
    });
    expect(proxy.status.observedGeneration).toBe(1);

    expect((await cluster.api('PATCH', proxiesPath(NS, 'knobs'), { spec: { replicas: 1 } }, 'application/merge-patch+json')).status).toBe(200);
    await eventually('the PodDisruptionBudget deleted', async () => ((await cluster.api('GET', budgetPath)).status === 404 ? true : undefined));
  });

  test('a refused apply does not stop the others: the PVC cannot grow while unbound, the Deployment still rolls, Degraded says why', async () => {
    const created = await cluster.api('POST', proxiesPath(NS), { ...corp, metadata: { name: 'grows', namespace: NS }, spec: { storage: { pvc: { size: '1Gi' } }, clusterWide: { enabled: false } } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const deploymentPath = ownedPath('/apis/apps/v1', 'deployments', 'grows');
    const before = await eventually('its Deployment', () => get(deploymentPath));
    await eventually('its PVC', () => get(ownedPath('/api/v1', 'persistentvolumeclaims', 'grows-data')));
    const checksum = (deployment: any) => deployment.spec.template.metadata.annotations['gomodproxy.dev/config-checksum'];

    // The PVC comes first in the order of applies; no volume binds it here, and an unbound claim cannot be resized.
    const patched = await cluster.api('PATCH', proxiesPath(NS, 'grows'), { spec: { storage: { pvc: { size: '2Gi' } }, upstream: 'http://third-mirror.corp.example' } }, 'application/merge-patch+json');
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    const degraded = await eventually('Degraded: ApplyFailed', async () => {
      const proxy = await get(proxiesPath(NS, 'grows'));
      return condition(proxy, 'Degraded')?.reason === 'ApplyFailed' && proxy.status.observedGeneration === 2 ? proxy : undefined;
    });
    expect(condition(degraded, 'Degraded').message).toMatch(/^PersistentVolumeClaim grows-data: 422 PersistentVolumeClaim "grows-data" is invalid: spec: Forbidden: spec is immutable after creation/);
    const after = await get(deploymentPath);
    expect(checksum(after)).not.toBe(checksum(before));
    const configMap = await get(ownedPath('/api/v1', 'configmaps', 'grows-config'));
    expect(configMap.data['config.yaml']).toContain('http://third-mirror.corp.example');
    expect((await get(ownedPath('/api/v1', 'persistentvolumeclaims', 'grows-data'))).spec.resources.requests.storage).toBe('1Gi');
  });

  test('impossible changes of the volume are refused by the CRD\'s transition rules, with what to do', async () => {
    const refused = async (pvc: object) => {
      const response = await cluster.api('PATCH', proxiesPath(NS, 'grows'), { spec: { storage: { pvc } } }, 'application/merge-patch+json');
      expect(response.status, JSON.stringify(response.body)).toBe(422);
      return response.body.message as string;
    };
    expect(await refused({ storageClassName: 'fast' })).toContain('storage.pvc.storageClassName cannot change');
    expect(await refused({ accessModes: ['ReadWriteMany'] })).toContain('storage.pvc.accessModes cannot change');
    expect(await refused({ size: '512Mi' })).toContain('storage.pvc.size cannot shrink');
    // Growing, and everything else, is still allowed.
    const grown = await cluster.api('PATCH', proxiesPath(NS, 'grows'), { spec: { storage: { pvc: { size: '3Gi' } } } }, 'application/merge-patch+json');
    expect(grown.status, JSON.stringify(grown.body)).toBe(200);
  });

  test('a cluster-wide ConfigMap name someone else holds is never overwritten: a user\'s own, or another proxy\'s, makes it Degraded', async () => {
    // The user's ConfigMap is there before the namespace is selected, so the operator cannot publish first.
    await createNamespace(cluster, 'team-c');
    const mine = await cluster.api('POST', '/api/v1/namespaces/team-c/configmaps', { metadata: { name: 'gomodproxy' }, data: { GOPROXY: 'http://mine.team-c.example' } });
    expect(mine.status).toBe(201);
    expect((await cluster.api('PATCH', '/api/v1/namespaces/team-c', { metadata: { labels: { 'go-proxy': 'corp' } } }, 'application/merge-patch+json')).status).toBe(200);
    const degraded = await eventually('corp Degraded: ConfigMapConflict', async () => {
      const proxy = await get(proxiesPath(NS, 'corp'));
      return condition(proxy, 'Degraded')?.reason === 'ConfigMapConflict' ? proxy : undefined;
    });
    expect(condition(degraded, 'Degraded').message).toBe(
      'ConfigMap team-c/gomodproxy is held by someone else (it has no gomodproxy-operator labels): it is left as it is; set spec.clusterWide.configMapName to a name nobody else uses there',
    );
    expect((await get('/api/v1/namespaces/team-c/configmaps/gomodproxy')).data).toEqual({ GOPROXY: 'http://mine.team-c.example' });

    const rival = await cluster.api('POST', proxiesPath(NS), { ...corp, metadata: { name: 'rival', namespace: NS }, spec: { storage: { pvc: {} }, clusterWide: { enabled: true, namespaceSelector: { matchLabels: { 'go-proxy': 'corp' } } } } });
    expect(rival.status).toBe(201);
    const rivalDegraded = await eventually('rival Degraded', async () => {
      const proxy = await get(proxiesPath(NS, 'rival'));
      return condition(proxy, 'Degraded')?.reason === 'ConfigMapConflict' ? proxy : undefined;
    });
    expect(condition(rivalDegraded, 'Degraded').message).toContain('ConfigMap team-a/gomodproxy is published by GoModuleProxy goproxy/corp');
    expect((await get('/api/v1/namespaces/team-a/configmaps/gomodproxy')).data.GOPROXY).toBe('http://corp.goproxy.svc:80');
    expect((await cluster.api('DELETE', proxiesPath(NS, 'rival'))).status).toBe(200);
    await eventually('rival gone', async () => ((await cluster.api('GET', proxiesPath(NS, 'rival'))).status === 404 ? true : undefined));
    expect((await get('/api/v1/namespaces/team-a/configmaps/gomodproxy')).metadata.labels['gomodproxy.dev/proxy-name']).toBe('corp');
  });

  test('deleting it removes the cluster-wide ConfigMaps (finalizer) and garbage-collects the owned objects, keeping the PVC', async () => {
    const deleted = await cluster.api('DELETE', proxiesPath(NS, 'corp'));
    expect(deleted.status).toBe(200);
    await eventually('the GoModuleProxy is gone', async () => ((await cluster.api('GET', proxiesPath(NS, 'corp'))).status === 404 ? true : undefined));
    expect(await get('/api/v1/namespaces/team-a/configmaps/gomodproxy')).toBeUndefined();
    expect(await get('/api/v1/namespaces/team-b/configmaps/gomodproxy')).toBeUndefined();
    // A user's own ConfigMap of that name is not the operator's to delete.
    expect((await get('/api/v1/namespaces/team-c/configmaps/gomodproxy')).data).toEqual({ GOPROXY: 'http://mine.team-c.example' });
    for (const [kind, base, plural, name] of OWNED) {
      if (kind === 'PersistentVolumeClaim') continue;
      await eventually(`${kind} ${name} collected`, async () => ((await cluster.api('GET', ownedPath(base, plural, name))).status === 404 ? true : undefined));
    }
    expect(await get(ownedPath('/api/v1', 'persistentvolumeclaims', 'corp-data'))).toBeDefined();
  });
});
