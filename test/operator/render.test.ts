// The objects a GoModuleProxy owns, rendered without a cluster.
import { describe, expect, test } from 'vitest';
import { resolveConfig } from '../../proxy/config.ts';
import yaml from 'js-yaml';
import {
  CLEANUP_POD_SELECTOR,
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
    expect(Object.keys(objects)).toEqual(['ConfigMap', 'Service', 'Deployment', 'CronJob']);
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
