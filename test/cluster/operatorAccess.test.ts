// Who may fetch what, through the operator against a real kube-apiserver: a GoModuleProxy with
// tls and auth mounts its Secrets and publishes an https GOPROXY; a certificate renewal leaves the
// pods alone while a token's rotation rolls them; every selected namespace gets a .netrc Secret of
// its own token, whose hash the proxy's pods are given; a rotation issues new tokens; a namespace
// deselected, or the resource deleted, takes its Secret away; a Secret someone else holds is left
// alone and reported.
import { createHash } from 'node:crypto';
import yaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { resolveConfig } from '../../proxy/config.ts';
import { startControlPlane, type ControlPlane } from './harness.ts';
import { condition, createNamespace, eventually, installCrd, proxiesPath, startOperatorProcess, type OperatorProcess } from './operatorProcess.ts';

const NS = 'goproxy';
const SELECTED = { 'go-proxy': 'secure' };
const netrcPath = (namespace: string) => `/api/v1/namespaces/${namespace}/secrets/gomodproxy-netrc`;
const deploymentPath = `/apis/apps/v1/namespaces/${NS}/deployments/secure`;
const hashesPath = `/api/v1/namespaces/${NS}/secrets/secure-namespace-tokens`;
const decoded = (secret: any, key: string) => Buffer.from(secret.data[key], 'base64').toString('utf8');
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function secure(rotation = 0) {
  return {
    apiVersion: 'gomodproxy.dev/v1alpha1',
    kind: 'GoModuleProxy',
    metadata: { name: 'secure', namespace: NS },
    spec: {
      upstream: 'http://mirror.corp.example',
      storage: { pvc: {} },
      service: { port: 443 },
      tls: { secretName: 'secure-tls' },
      auth: { htpasswdSecretRef: { name: 'users' }, tokens: [{ name: 'ci-build', secretRef: { name: 'ci-token' } }] },
      access: { rules: [{ modules: ['git.corp.example/*'], allow: ['ci-build', 'namespace:team-a'] }] },
      policy: { deny: [{ module: 'github.com/acme/old', reason: 'retired' }] },
      audit: { storage: true },
      clusterWide: { enabled: true, namespaceSelector: { matchLabels: SELECTED }, netrc: { enabled: true, rotation } },
    },
  };
}

describe('the operator on a real kube-apiserver: tls, auth and per-namespace tokens', () => {
  let cluster: ControlPlane;
  let operator: OperatorProcess;

  const get = (path: string) => cluster.get(path);
  const secret = (name: string, data: Record<string, string>, type = 'Opaque') => cluster.api('POST', `/api/v1/namespaces/${NS}/secrets`, { metadata: { name }, type, stringData: data });
  const podTemplate = async () => (await get(deploymentPath)).spec.template;

  beforeAll(async () => {
    cluster = await startControlPlane();
    await installCrd(cluster);
    await createNamespace(cluster, NS);
    await createNamespace(cluster, 'team-a', SELECTED);
    await createNamespace(cluster, 'team-b', SELECTED);
    await createNamespace(cluster, 'team-c');
    expect((await secret('secure-tls', { 'tls.crt': 'certificate', 'tls.key': 'key' }, 'kubernetes.io/tls')).status).toBe(201);
    expect((await secret('users', { htpasswd: 'alice:$2y$05$abcdefghijklmnopqrstuuN5bT6U3iGQWc6M2mBWuWq1iE4Xl5tq2' })).status).toBe(201);
    expect((await secret('ci-token', { sha256: sha256('ci-secret') })).status).toBe(201);
    operator = await startOperatorProcess(cluster, 'operator-access');
  }, 30 * 60_000);

  afterAll(async () => {
    await operator?.stop();
    await cluster?.stop();
  });

  test('CEL refuses .netrc tokens without tls, since the go command would not send them', async () => {
    const spec = { ...secure().spec, tls: undefined };
    const refused = await cluster.api('POST', proxiesPath(NS), { ...secure(), metadata: { name: 'plain', namespace: NS }, spec });
    expect(refused.status).toBe(422);
    expect(refused.body.message).toContain('clusterWide.netrc needs clusterWide.enabled and spec.tls');
  });

  test('tls and auth are mounted read-only, the settings name their files, and GOPROXY is https everywhere', async () => {
    const created = await cluster.api('POST', proxiesPath(NS), secure());
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const template = await eventually('the Deployment', async () => (await get(deploymentPath))?.spec.template);
    const pod = template.spec;
    expect(pod.volumes).toContainEqual(expect.objectContaining({ name: 'tls', secret: expect.objectContaining({ secretName: 'secure-tls' }) }));
    const auth = pod.volumes.find((volume: any) => volume.name === 'auth');
    expect(auth.projected.sources.map((source: any) => source.secret.name)).toEqual(['users', 'ci-token', 'secure-namespace-tokens']);
    expect(pod.containers[0].volumeMounts).toEqual(expect.arrayContaining([
      { name: 'tls', mountPath: '/etc/gomodproxy-tls', readOnly: true },
      { name: 'auth', mountPath: '/etc/gomodproxy-auth', readOnly: true },
    ]));
    expect(pod.containers[0].readinessProbe.httpGet).toMatchObject({ port: 'https', scheme: 'HTTPS' });

    const configMap = await get(`/api/v1/namespaces/${NS}/configmaps/secure-config`);
    const config = resolveConfig(yaml.load(configMap.data['config.yaml']) as Record<string, unknown>);
    expect(config.tls).toEqual({ certFile: '/etc/gomodproxy-tls/tls.crt', keyFile: '/etc/gomodproxy-tls/tls.key' });
    expect(config.auth?.htpasswd).toBe('/etc/gomodproxy-auth/htpasswd');
    expect(config.auth?.tokens.map((token) => token.name)).toEqual(['ci-build', 'namespace:team-a', 'namespace:team-b']);
    expect(config.access?.rules[0]?.allow).toEqual(['ci-build', 'namespace:team-a']);
    expect(config.policy.deny[0]).toMatchObject({ module: 'github.com/acme/old', reason: 'retired' });
    expect(config.audit.storage).toBe(true);

    expect((await get(`/api/v1/namespaces/${NS}/services/secure`)).spec.ports[0]).toMatchObject({ name: 'https', port: 443, targetPort: 'https' });
    const published = await eventually('the cluster-wide ConfigMap', () => get('/api/v1/namespaces/team-a/configmaps/gomodproxy'));
    expect(published.data.GOPROXY).toBe('https://secure.goproxy.svc:443');
    const status = await eventually('status.url', async () => (await get(proxiesPath(NS, 'secure')))?.status?.url);
    expect(status).toBe('https://secure.goproxy.svc:443');
  });

  test('each selected namespace gets a .netrc of its own token; the proxy holds only the hashes', async () => {
    const [a, b] = await Promise.all(['team-a', 'team-b'].map((namespace) => eventually(`the .netrc Secret in ${namespace}`, () => get(netrcPath(namespace)))));
    expect(await get(netrcPath('team-c'))).toBeUndefined();
    const tokenA = decoded(a, 'token');
    expect(tokenA).toMatch(/^[0-9a-f]{64}$/);
    expect(decoded(b, 'token')).not.toBe(tokenA);
    expect(decoded(a, '.netrc')).toBe(`machine secure.goproxy.svc:443 login namespace-team-a password ${tokenA}\n`);
    const hashes = await eventually('the hashes', async () => {
      const found = await get(hashesPath);
      return found?.data?.['team-b'] ? found : undefined;
    });
    expect(Object.keys(hashes.data).sort()).toEqual(['team-a', 'team-b']);
    expect(decoded(hashes, 'team-a')).toBe(sha256(tokenA));
    expect(JSON.stringify(hashes)).not.toContain(tokenA);
    expect(hashes.metadata.ownerReferences[0]).toMatchObject({ kind: 'GoModuleProxy', name: 'secure' });
  });

  test('a renewed certificate leaves the pod template alone; a rotated named token rolls the pods', async () => {
    const before = await podTemplate();
    const renewed = await cluster.api('PATCH', `/api/v1/namespaces/${NS}/secrets/secure-tls`, { stringData: { 'tls.crt': 'renewed certificate' } }, 'application/merge-patch+json');
    expect(renewed.status).toBe(200);
    const users = await cluster.api('PATCH', `/api/v1/namespaces/${NS}/secrets/users`, { stringData: { htpasswd: '' } }, 'application/merge-patch+json');
    expect(users.status).toBe(200);
    // The token's rotation is the witness that the operator saw the Secrets change.
    const rotated = await cluster.api('PATCH', `/api/v1/namespaces/${NS}/secrets/ci-token`, { stringData: { sha256: sha256('ci-secret-2') } }, 'application/merge-patch+json');
    expect(rotated.status).toBe(200);
    const after = await eventually('the pods roll for the token', async () => {
      const template = await podTemplate();
      return template.metadata.annotations['gomodproxy.dev/secrets-version'] !== before.metadata.annotations['gomodproxy.dev/secrets-version'] ? template : undefined;
    });
    const rest = (template: any) => ({ ...template, metadata: { ...template.metadata, annotations: { ...template.metadata.annotations, 'gomodproxy.dev/secrets-version': '' } } });
    expect(rest(after)).toEqual(rest(before));
    // The digest is of the token's Secret alone: neither the certificate nor the htpasswd file rolls the pods.
    const token = rotated.body.metadata;
    expect(after.metadata.annotations['gomodproxy.dev/secrets-version']).toBe(sha256(`ci-token=${token.uid}/${token.resourceVersion}`).slice(0, 32));
  });

  test('a rotation issues new tokens in every namespace and rolls the pods; a Secret someone else holds is left alone and reported', async () => {
    const tokenBefore = decoded(await get(netrcPath('team-a')), 'token');
    const annotationBefore = (await podTemplate()).metadata.annotations['gomodproxy.dev/namespace-tokens'];
    expect(annotationBefore).toMatch(/^[0-9a-f]{32}$/);
    const applied = await cluster.api('PATCH', `${proxiesPath(NS, 'secure')}?fieldManager=test&force=true`, JSON.stringify(secure(1)), 'application/apply-patch+yaml');
    expect(applied.status, JSON.stringify(applied.body)).toBe(200);
    const rotated = await eventually('a new token in team-a', async () => {
      const found = await get(netrcPath('team-a'));
      return found && decoded(found, 'token') !== tokenBefore ? found : undefined;
    });
    expect(rotated.metadata.annotations['gomodproxy.dev/token-rotation']).toBe('1');
    await eventually('the hash and the pods follow', async () => {
      const hashes = await get(hashesPath);
      const annotation = (await podTemplate()).metadata.annotations['gomodproxy.dev/namespace-tokens'];
      return decoded(hashes, 'team-a') === sha256(decoded(rotated, 'token')) && annotation !== annotationBefore ? true : undefined;
    });

    // team-c's own Secret of that name, then team-c selected: never overwritten.
    const own = await cluster.api('POST', '/api/v1/namespaces/team-c/secrets', { metadata: { name: 'gomodproxy-netrc' }, stringData: { '.netrc': 'mine' } });
    expect(own.status).toBe(201);
    const labelled = await cluster.api('PATCH', '/api/v1/namespaces/team-c', { metadata: { labels: SELECTED } }, 'application/merge-patch+json');
    expect(labelled.status).toBe(200);
    const degraded = await eventually('Degraded SecretConflict', async () => {
      const found = condition(await get(proxiesPath(NS, 'secure')), 'Degraded');
      return found?.reason === 'SecretConflict' ? found : undefined;
    });
    expect(degraded.message).toContain('Secret team-c/gomodproxy-netrc is held by someone else');
    expect(decoded(await get(netrcPath('team-c')), '.netrc')).toBe('mine');
    expect((await get(hashesPath)).data['team-c']).toBeUndefined();
    await cluster.api('PATCH', '/api/v1/namespaces/team-c', { metadata: { labels: { 'go-proxy': null } } }, 'application/merge-patch+json');
  });

  test('a namespace deselected loses its Secret and its token; deleting the resource removes the rest (finalizer)', async () => {
    const unlabelled = await cluster.api('PATCH', '/api/v1/namespaces/team-b', { metadata: { labels: { 'go-proxy': null } } }, 'application/merge-patch+json');
    expect(unlabelled.status).toBe(200);
    await eventually('team-b\'s Secret is gone', async () => ((await cluster.api('GET', netrcPath('team-b'))).status === 404 ? true : undefined));
    await eventually('team-b\'s hash is gone', async () => ((await get(hashesPath)).data?.['team-b'] === undefined ? true : undefined));
    const config = await eventually('team-b\'s identity is gone from the settings', async () => {
      const configMap = await get(`/api/v1/namespaces/${NS}/configmaps/secure-config`);
      return configMap.data['config.yaml'].includes('namespace:team-b') ? undefined : configMap;
    });
    expect(config.data['config.yaml']).toContain('namespace:team-a');

    expect((await cluster.api('DELETE', proxiesPath(NS, 'secure'))).status).toBe(200);
    await eventually('team-a\'s Secret is gone', async () => ((await cluster.api('GET', netrcPath('team-a'))).status === 404 ? true : undefined));
    await eventually('the GoModuleProxy is gone', async () => ((await cluster.api('GET', proxiesPath(NS, 'secure'))).status === 404 ? true : undefined));
    // The Secret someone else holds stays theirs.
    expect(decoded(await get(netrcPath('team-c')), '.netrc')).toBe('mine');
  });
});
