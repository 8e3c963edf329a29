// The objects a GoModuleProxy owns, rendered without a cluster.
import { describe, expect, test } from 'vitest';
import { resolveConfig } from '../../proxy/config.ts';
import yaml from 'js-yaml';
import {
  CLEANUP_POD_SELECTOR,
  CRONJOB_NAME_LIMIT,
  SECRETS_VERSION_ANNOTATION,
  NAMESPACE_TOKENS_ANNOTATION,
  renderNetrcSecret,
  tokenHash,
  boundedName,
  CONFIG_CHECKSUM_ANNOTATION,
  RenderError,
  clusterWideSettings,
  configChecksum,
  ownerKeyFromLabels,
  renderOwnedObjects,
  selectorMatches,
  type KubeObject,
} from '../../operator/render/index.ts';
import { goModuleProxy } from './fixtures.ts';

const options = { defaultImage: 'gomodproxy:test' };
const byKind = (objects: KubeObject[]) => Object.fromEntries(objects.map((object) => [object.kind, object as any]));

describe('rendering a GoModuleProxy', () => {
  const proxy = goModuleProxy({
    upstream: 'http://mirror.corp.example,direct',
    private: ['git.corp.example/*'],
    gitCredentials: [{ host: 'git.corp.example', secretRef: { name: 'git-token' } }],
    storage: { pvc: { size: '50Gi' } },
    retention: { keepSince: '90d', keepLatest: 5 },
  });
  const objects = byKind(renderOwnedObjects(proxy, options));

  test('every owned object, in the namespace, labelled and owned by the GoModuleProxy (the PVC is kept on delete)', () => {
    expect(Object.keys(objects)).toEqual(['ConfigMap', 'PersistentVolumeClaim', 'Service', 'Deployment', 'CronJob']);
    for (const object of Object.values(objects)) {
      expect(object.metadata.namespace).toBe('goproxy');
      expect(object.metadata.labels['gomodproxy.dev/proxy-name']).toBe('corp');
    }
    for (const kind of ['ConfigMap', 'Service', 'Deployment', 'CronJob']) {
      expect(objects[kind].metadata.ownerReferences).toEqual([
        { apiVersion: 'gomodproxy.dev/v1alpha1', kind: 'GoModuleProxy', name: 'corp', uid: proxy.metadata.uid, controller: true, blockOwnerDeletion: true },
      ]);
    }
    expect(objects['PersistentVolumeClaim'].metadata.ownerReferences).toBeUndefined();
  });

  test('the ConfigMap holds settings the proxy\'s own schema accepts, with the token as an env: reference', () => {
    const settings = yaml.load(objects['ConfigMap'].data['config.yaml']) as Record<string, unknown>;
    const config = resolveConfig(settings);
    expect(config.upstream).toBe('http://mirror.corp.example,direct');
    expect(config.private).toEqual(['git.corp.example/*']);
    expect(config.storage).toEqual({ type: 'disk', path: '/var/lib/gomodproxy' });
    expect(config.git.hosts).toEqual({ 'git.corp.example': { url: 'https://git.corp.example', token: 'env:GOMODPROXY_GIT_TOKEN_0' } });
  });

  test('the Deployment: probes, non-root, read-only root, the token from its Secret, Recreate on ReadWriteOnce, the config checksum', () => {
    const deployment = objects['Deployment'];
    const pod = deployment.spec.template.spec;
    const container = pod.containers[0];
    expect(container.image).toBe('gomodproxy:test');
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(container.env).toEqual([{ name: 'GOMODPROXY_GIT_TOKEN_0', valueFrom: { secretKeyRef: { name: 'git-token', key: 'token' } } }]);
    expect(deployment.spec.strategy).toEqual({ type: 'Recreate' });
    expect(deployment.spec.template.metadata.annotations[CONFIG_CHECKSUM_ANNOTATION]).toBe(configChecksum(objects['ConfigMap']));
  });

  test('ReadWriteMany storage rolls pods one by one', () => {
    const shared = byKind(renderOwnedObjects(goModuleProxy({ replicas: 2, storage: { pvc: { accessModes: ['ReadWriteMany'] } } }), options));
    expect(shared['Deployment'].spec.strategy.type).toBe('RollingUpdate');
  });

  test('a settings change changes the checksum; a replica change does not', () => {
    const changed = byKind(renderOwnedObjects(goModuleProxy({ ...proxy.spec, upstream: 'http://other.corp.example' }), options));
    const scaled = byKind(renderOwnedObjects(goModuleProxy({ ...proxy.spec, replicas: 0 }), options));
    const checksum = (o: Record<string, any>) => o['Deployment'].spec.template.metadata.annotations[CONFIG_CHECKSUM_ANNOTATION];
    expect(checksum(changed)).not.toBe(checksum(objects));
    expect(checksum(scaled)).toBe(checksum(objects));
  });

  test('the CronJob runs gomodproxy cleanup with the settings and the retention', () => {
    const cronJob = objects['CronJob'];
    expect(cronJob.spec.schedule).toBe('17 3 * * *');
    expect(cronJob.spec.concurrencyPolicy).toBe('Forbid');
    const container = cronJob.spec.jobTemplate.spec.template.spec.containers[0];
    expect(container.command).toBeUndefined();
    expect(container.args).toEqual([
      'cleanup', '--config', '/etc/gomodproxy/config.yaml', '--keep-since', '90d', '--keep-latest', '5', '--termination-message', '/dev/termination-log',
    ]);
    // The report is read from the file the args name, and only from it.
    expect(container.terminationMessagePath).toBe('/dev/termination-log');
    expect(container.terminationMessagePolicy).toBe('File');
  });

  test('the cleanup job has deadlines and resources, and runs beside the serving pod that holds a ReadWriteOnce volume', () => {
    const cronJob = objects['CronJob'];
    expect(cronJob.spec).toMatchObject({ concurrencyPolicy: 'Forbid', startingDeadlineSeconds: 3600 });
    expect(cronJob.spec.jobTemplate.spec.activeDeadlineSeconds).toBe(3600);
    const pod = cronJob.spec.jobTemplate.spec.template.spec;
    expect(pod.containers[0].resources).toEqual({ requests: { cpu: '50m', memory: '128Mi' } });
    expect(pod.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution).toEqual([
      { labelSelector: { matchLabels: objects['Deployment'].spec.selector.matchLabels }, topologyKey: 'kubernetes.io/hostname' },
    ]);
  });

  test.each([
    ['ReadWriteMany', { replicas: 2, storage: { pvc: { accessModes: ['ReadWriteMany' as const] } } }],
    ['S3', { storage: { s3: { bucket: 'go-modules', credentialsSecretRef: { name: 'minio' } } } }],
    ['no serving pod', { replicas: 0, storage: { pvc: {} } }],
  ])('with %s the cleanup pod may run anywhere', (_name, spec) => {
    const pod = byKind(renderOwnedObjects(goModuleProxy(spec), options))['CronJob'].spec.jobTemplate.spec.template.spec;
    expect(pod.affinity).toBeUndefined();
  });

  test('the user\'s own affinity and cleanup resources are kept', () => {
    const nodeAffinity = { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }] } };
    const spec = { storage: { pvc: {} }, scheduling: { affinity: { nodeAffinity } }, retention: { activeDeadlineSeconds: 600, resources: { limits: { memory: '1Gi' } } } };
    const job = byKind(renderOwnedObjects(goModuleProxy(spec), options))['CronJob'].spec.jobTemplate.spec;
    expect(job.activeDeadlineSeconds).toBe(600);
    expect(job.template.spec.affinity.nodeAffinity).toEqual(nodeAffinity);
    expect(job.template.spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution).toHaveLength(1);
    expect(job.template.spec.containers[0].resources).toEqual({ limits: { memory: '1Gi' } });
  });

  test('the cleanup pods are selected by the operator\'s pod informer and not by the Service', () => {
    const podLabels: Record<string, string> = objects['CronJob'].spec.jobTemplate.spec.template.metadata.labels;
    const matches = (selector: Record<string, string>) => Object.entries(selector).every(([key, value]) => podLabels[key] === value);
    const informerSelector = Object.fromEntries(CLEANUP_POD_SELECTOR.split(',').map((term) => term.split('=') as [string, string]));
    expect(matches(informerSelector)).toBe(true);
    expect(ownerKeyFromLabels(podLabels)).toBe('goproxy/corp');
    expect(matches(objects['Service'].spec.selector)).toBe(false);
    // The serving pods are not cleanup pods.
    const servingLabels: Record<string, string> = objects['Deployment'].spec.template.metadata.labels;
    expect(Object.entries(informerSelector).every(([key, value]) => servingLabels[key] === value)).toBe(false);
  });

  test('settings the proxy refuses are a RenderError naming them', () => {
    expect(() => renderOwnedObjects(goModuleProxy({ upstream: 'ftp://x', storage: { pvc: {} } }), options)).toThrow(RenderError);
    expect(() => renderOwnedObjects(goModuleProxy({ upstream: 'ftp://x', storage: { pvc: {} } }), options)).toThrow(/upstream.*ftp/);
  });

  test('cluster-wide settings: GOPROXY at the Service, private paths in GONOSUMDB and never in GOPRIVATE', () => {
    expect(clusterWideSettings(proxy)).toEqual({ GOPROXY: 'http://corp.goproxy.svc:80', GONOSUMDB: 'git.corp.example/*', GOSUMDB: 'sum.golang.org' });
  });
});

describe('namespace selectors', () => {
  test.each([
    [{}, {}, true],
    [{ matchLabels: { team: 'go' } }, { team: 'go' }, true],
    [{ matchLabels: { team: 'go' } }, { team: 'rust' }, false],
    [{ matchExpressions: [{ key: 'team', operator: 'In' as const, values: ['go', 'c'] }] }, { team: 'c' }, true],
    [{ matchExpressions: [{ key: 'team', operator: 'NotIn' as const, values: ['go'] }] }, {}, true],
    [{ matchExpressions: [{ key: 'team', operator: 'Exists' as const }] }, {}, false],
    [{ matchExpressions: [{ key: 'team', operator: 'DoesNotExist' as const }] }, { team: 'go' }, false],
  ])('%j matches %j: %s', (selector, labels, expected) => {
    expect(selectorMatches(selector, labels)).toBe(expected);
  });
});

describe('rendering a GoModuleProxy on S3 storage', () => {
  const proxy = goModuleProxy({
    replicas: 3,
    storage: { s3: { bucket: 'go-modules', endpoint: 'https://minio.corp.example:9000', prefix: 'corp', credentialsSecretRef: { name: 'minio' } } },
  });
  const objects = byKind(renderOwnedObjects(proxy, options));

  test('settings the proxy accepts: the bucket, path-style for an S3-compatible endpoint, no credentials in the file', () => {
    const settings = yaml.load(objects['ConfigMap'].data['config.yaml']) as Record<string, any>;
    expect(settings['storage']).toEqual({
      type: 's3',
      bucket: 'go-modules',
      region: 'us-east-1',
      prefix: 'corp',
      endpoint: 'https://minio.corp.example:9000',
      forcePathStyle: true,
      stagingPath: '/tmp/gomodproxy-staging',
    });
    expect(() => resolveConfig(settings)).not.toThrow();
  });

  test('no PVC and no data volume; the credentials reach the proxy and the cleanup job from the Secret', () => {
    expect(Object.keys(objects)).toEqual(['ConfigMap', 'Service', 'Deployment', 'CronJob', 'PodDisruptionBudget']);
    const credentials = [
      { name: 'AWS_ACCESS_KEY_ID', valueFrom: { secretKeyRef: { name: 'minio', key: 'AWS_ACCESS_KEY_ID' } } },
      { name: 'AWS_SECRET_ACCESS_KEY', valueFrom: { secretKeyRef: { name: 'minio', key: 'AWS_SECRET_ACCESS_KEY' } } },
    ];
    const pod = objects['Deployment'].spec.template.spec;
    expect(pod.containers[0].env).toEqual(credentials);
    expect(pod.volumes.map((v: { name: string }) => v.name)).not.toContain('data');
    expect(pod.containers[0].volumeMounts.map((m: { name: string }) => m.name)).not.toContain('data');
    const job = objects['CronJob'].spec.jobTemplate.spec.template.spec;
    expect(job.containers[0].env).toEqual(credentials);
    expect(job.volumes.map((v: { name: string }) => v.name)).not.toContain('data');
    expect(objects['Deployment'].spec.replicas).toBe(3);
  });
});

describe('names and rolls', () => {
  test('a CronJob name stays within 52 characters; long names keep a hash, short ones are as they were', () => {
    const long = 'a'.repeat(40) + '-proxy-for-team-x';
    const other = 'a'.repeat(40) + '-proxy-for-team-y';
    expect(boundedName('corp', '-cleanup', CRONJOB_NAME_LIMIT)).toBe('corp-cleanup');
    expect(boundedName(long, '-cleanup', CRONJOB_NAME_LIMIT)).toHaveLength(CRONJOB_NAME_LIMIT);
    expect(boundedName(long, '-cleanup', CRONJOB_NAME_LIMIT)).toMatch(/^a{35}-[0-9a-f]{8}-cleanup$/);
    expect(boundedName(long, '-cleanup', CRONJOB_NAME_LIMIT)).not.toBe(boundedName(other, '-cleanup', CRONJOB_NAME_LIMIT));
    const objects = byKind(renderOwnedObjects(goModuleProxy({ storage: { pvc: {} } }, long), options));
    expect(objects['CronJob'].metadata.name.length).toBeLessThanOrEqual(CRONJOB_NAME_LIMIT);
  });

  test('a change of the Secrets the pods read rolls them; none read, no annotation', () => {
    const proxy = goModuleProxy({ gitCredentials: [{ host: 'git.corp.example', secretRef: { name: 'git-token' } }], storage: { pvc: {} } });
    const annotations = (version?: string) => byKind(renderOwnedObjects(proxy, options, version))['Deployment'].spec.template.metadata.annotations;
    expect(annotations('v1')[SECRETS_VERSION_ANNOTATION]).toBe('v1');
    expect(annotations('v2')[SECRETS_VERSION_ANNOTATION]).toBe('v2');
    expect(annotations(undefined)).not.toHaveProperty(SECRETS_VERSION_ANNOTATION);
  });
});

describe('what a platform team sets on the pods, and objects beside them', () => {
  const spec = {
    replicas: 3,
    storage: { s3: { bucket: 'go-modules', credentialsSecretRef: { name: 'minio' } } },
    networkPolicy: { enabled: true, from: [{ namespaceSelector: { matchLabels: { ci: 'yes' } } }] },
    pod: {
      labels: { team: 'platform', 'app.kubernetes.io/component': 'mine' },
      annotations: { 'sidecar.istio.io/inject': 'false' },
      imagePullSecrets: [{ name: 'registry' }],
      serviceAccountName: 'go-proxy-s3',
      priorityClassName: 'platform-critical',
      topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway' }],
      gitCacheSizeLimit: '20Gi',
    },
  };
  const objects = byKind(renderOwnedObjects(goModuleProxy(spec), options));

  test('the serving pods and the cleanup pods get the pull secrets, service account, priority, labels and annotations; the operator\'s labels win', () => {
    for (const template of [objects['Deployment'].spec.template, objects['CronJob'].spec.jobTemplate.spec.template]) {
      expect(template.spec).toMatchObject({ imagePullSecrets: [{ name: 'registry' }], serviceAccountName: 'go-proxy-s3', priorityClassName: 'platform-critical', automountServiceAccountToken: false });
      expect(template.metadata.labels.team).toBe('platform');
      expect(template.metadata.labels['app.kubernetes.io/component']).not.toBe('mine');
      expect(template.metadata.annotations['sidecar.istio.io/inject']).toBe('false');
    }
    expect(objects['Deployment'].spec.template.metadata.annotations[CONFIG_CHECKSUM_ANNOTATION]).toBe(configChecksum(objects['ConfigMap']));
    expect(objects['Deployment'].spec.template.spec.topologySpreadConstraints).toEqual([
      { labelSelector: { matchLabels: objects['Deployment'].spec.selector.matchLabels }, maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway' },
    ]);
    const volumes = objects['Deployment'].spec.template.spec.volumes;
    expect(volumes.find((v: { name: string }) => v.name === 'git-cache').emptyDir).toEqual({ sizeLimit: '20Gi' });
    expect(volumes.find((v: { name: string }) => v.name === 'tmp').emptyDir).toEqual({ sizeLimit: '2Gi' });
  });

  test('more than one replica: a PodDisruptionBudget of one unavailable pod; one replica: none', () => {
    expect(objects['PodDisruptionBudget'].spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: objects['Deployment'].spec.selector.matchLabels } });
    expect(byKind(renderOwnedObjects(goModuleProxy({ ...spec, replicas: 1 }), options))['PodDisruptionBudget']).toBeUndefined();
  });

  test('the NetworkPolicy admits the named peers to the proxy\'s port only', () => {
    expect(objects['NetworkPolicy'].spec).toEqual({
      podSelector: { matchLabels: objects['Deployment'].spec.selector.matchLabels },
      policyTypes: ['Ingress'],
      ingress: [{ ports: [{ protocol: 'TCP', port: 3000 }], from: [{ namespaceSelector: { matchLabels: { ci: 'yes' } } }] }],
    });
  });
});

describe('rendering who may fetch what: tls, auth, access, policy, audit, per-namespace tokens', () => {
  const proxy = goModuleProxy({
    storage: { pvc: {} },
    tls: { secretName: 'proxy-tls' },
    auth: {
      htpasswdSecretRef: { name: 'users' },
      tokens: [{ name: 'ci-build', secretRef: { name: 'ci-token' } }],
      groups: { builders: ['ci-build', 'namespace:apps'] },
    },
    access: { rules: [{ modules: ['git.corp.example/*'], allow: ['builders'] }], default: ['authenticated'] },
    policy: { deny: [{ module: 'github.com/acme/old', versions: ['<v1.2.0'], reason: 'CVE-2026-0001' }] },
    audit: { log: true, storage: true },
    clusterWide: { enabled: true, netrc: { enabled: true } },
  });
  const hashes = new Map([['apps', 'a'.repeat(64)], ['build', 'b'.repeat(64)]]);
  const objects = byKind(renderOwnedObjects(proxy, options, undefined, hashes));
  const settings = resolveConfig(yaml.load(objects['ConfigMap'].data['config.yaml']) as Record<string, unknown>);
  const pod = objects['Deployment'].spec.template.spec;
  const container = pod.containers[0];

  test('the settings the proxy\'s own schema accepts: files of mounted Secrets, the rules as given, a token per namespace', () => {
    expect(settings.tls).toEqual({ certFile: '/etc/gomodproxy-tls/tls.crt', keyFile: '/etc/gomodproxy-tls/tls.key' });
    expect(settings.auth).toMatchObject({
      htpasswd: '/etc/gomodproxy-auth/htpasswd',
      tokens: [
        { name: 'ci-build', sha256: 'file:/etc/gomodproxy-auth/tokens/0' },
        { name: 'namespace:apps', sha256: 'file:/etc/gomodproxy-auth/namespaces/apps' },
        { name: 'namespace:build', sha256: 'file:/etc/gomodproxy-auth/namespaces/build' },
      ],
      groups: { builders: ['ci-build', 'namespace:apps'] },
    });
    expect(settings.access).toEqual({ rules: [{ modules: ['git.corp.example/*'], allow: ['builders'] }], default: ['authenticated'] });
    expect(settings.policy.deny).toEqual([{ module: 'github.com/acme/old', versions: ['<v1.2.0'], reason: 'CVE-2026-0001' }]);
    expect(settings.audit).toMatchObject({ log: true, storage: true });
  });

  test('the TLS Secret is a volume of its own, read-only; the auth files one projected volume; probes speak https', () => {
    expect(pod.volumes).toContainEqual({ name: 'tls', secret: { secretName: 'proxy-tls', defaultMode: 0o440 } });
    expect(pod.volumes).toContainEqual({
      name: 'auth',
      projected: {
        defaultMode: 0o440,
        sources: [
          { secret: { name: 'users', items: [{ key: 'htpasswd', path: 'htpasswd' }] } },
          { secret: { name: 'ci-token', items: [{ key: 'sha256', path: 'tokens/0' }] } },
          { secret: { name: 'corp-namespace-tokens', items: [{ key: 'apps', path: 'namespaces/apps' }, { key: 'build', path: 'namespaces/build' }] } },
        ],
      },
    });
    expect(container.volumeMounts).toContainEqual({ name: 'tls', mountPath: '/etc/gomodproxy-tls', readOnly: true });
    expect(container.volumeMounts).toContainEqual({ name: 'auth', mountPath: '/etc/gomodproxy-auth', readOnly: true });
    expect(container.ports).toEqual([{ name: 'https', containerPort: 3000, protocol: 'TCP' }]);
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'https', scheme: 'HTTPS' });
    expect(objects['Service'].spec.ports).toEqual([{ name: 'https', port: 80, targetPort: 'https', protocol: 'TCP' }]);
    // The cleanup job reads no credential: none is mounted there.
    expect(JSON.stringify(objects['CronJob'])).not.toMatch(/proxy-tls|ci-token|namespace-tokens/);
  });

  test('the published GOPROXY is https; the hashes Secret holds one key per namespace, and a token rotation rolls the pods', () => {
    expect(clusterWideSettings(proxy).GOPROXY).toBe('https://corp.goproxy.svc:80');
    expect(objects['Secret'].metadata.name).toBe('corp-namespace-tokens');
    expect(Object.keys(objects['Secret'].data)).toEqual(['apps', 'build']);
    expect(Buffer.from(objects['Secret'].data.apps, 'base64').toString()).toBe('a'.repeat(64));
    const rotated = byKind(renderOwnedObjects(proxy, options, undefined, new Map([['apps', 'c'.repeat(64)], ['build', 'b'.repeat(64)]])));
    const annotations = (objects: Record<string, any>) => objects['Deployment'].spec.template.metadata.annotations;
    expect(annotations(rotated)[NAMESPACE_TOKENS_ANNOTATION]).not.toBe(annotations(objects)[NAMESPACE_TOKENS_ANNOTATION]);
    // Same namespaces, same settings file: only the annotation rolls the pods.
    expect(rotated['ConfigMap'].data).toEqual(objects['ConfigMap'].data);
  });

  test('a namespace\'s .netrc names the proxy\'s host with its port, as the go command matches it', () => {
    const secret = renderNetrcSecret(proxy, 'apps', 'f'.repeat(64)) as any;
    expect(secret.metadata.namespace).toBe('apps');
    expect(secret.metadata.name).toBe('gomodproxy-netrc');
    expect(secret.metadata.ownerReferences).toBeUndefined();
    expect(Buffer.from(secret.data['.netrc'], 'base64').toString()).toBe(`machine corp.goproxy.svc:80 login namespace-apps password ${'f'.repeat(64)}\n`);
    expect(tokenHash('f'.repeat(64))).toMatch(/^[0-9a-f]{64}$/);
  });

  test('with .netrc tokens on and no namespace yet, auth is already on (who may read what does not flip with the first namespace)', () => {
    const bare = goModuleProxy({ storage: { pvc: {} }, tls: { secretName: 'proxy-tls' }, clusterWide: { enabled: true, netrc: { enabled: true } } });
    const config = resolveConfig(yaml.load(byKind(renderOwnedObjects(bare, options))['ConfigMap'].data['config.yaml']) as Record<string, unknown>);
    expect(config.auth?.tokens).toEqual([]);
  });

  test('rules the proxy refuses are a RenderError naming the setting', () => {
    const bad = goModuleProxy({ storage: { pvc: {} }, access: { rules: [{ modules: ['git.corp.example/[a'], allow: ['x'] }] } });
    expect(() => renderOwnedObjects(bad, options)).toThrow(/access\.rules\.0\.modules/);
  });
});
