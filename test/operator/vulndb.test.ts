// spec.vulndb and spec.policy.vulnerable rendered into the settings the proxy's own schema accepts,
// and status.vulndb read from a ready pod: which pod is asked, and what an answer becomes.
import yaml from 'js-yaml';
import { describe, expect, test } from 'vitest';
import { resolveConfig } from '../../proxy/config.ts';
import { renderOwnedObjects, type KubeObject } from '../../operator/render/index.ts';
import { statusAddress, statusFromAnswer } from '../../operator/controller/vulndbStatus.ts';
import { goModuleProxy } from './fixtures.ts';

const settingsOf = (spec: Parameters<typeof goModuleProxy>[0]) => {
  const configMap = renderOwnedObjects(goModuleProxy(spec), { defaultImage: 'gomodproxy:test' }).find((o) => o.kind === 'ConfigMap') as KubeObject & { data: Record<string, string> };
  return resolveConfig(yaml.load(configMap.data['config.yaml']!) as Record<string, unknown>);
};

describe('spec.vulndb and spec.policy.vulnerable', () => {
  test('render into vulndb and policy.vulnerable, as the proxy reads them', () => {
    const settings = settingsOf({
      storage: { pvc: {} },
      vulndb: { url: 'https://vulndb.corp.example', refresh: '15m' },
      policy: { vulnerable: { action: 'deny', ids: ['GO-2026-0001', 'CVE-2026-1111'] } },
    });
    expect(settings.vulndb).toEqual({ url: 'https://vulndb.corp.example', refresh: 15 * 60_000 });
    expect(settings.policy.vulnerable).toEqual({ action: 'deny', ids: ['GO-2026-0001', 'CVE-2026-1111'] });
  });

  test('enabled: false turns the mirror off; without spec.vulndb the proxy keeps its defaults', () => {
    expect(settingsOf({ storage: { pvc: {} }, vulndb: { enabled: false } }).vulndb).toBe('off');
    expect(settingsOf({ storage: { pvc: {} } }).vulndb).toEqual({ url: 'https://vuln.go.dev', refresh: 3_600_000 });
    expect(settingsOf({ storage: { pvc: {} }, policy: { vulnerable: { action: 'warn' } } }).policy.vulnerable).toEqual({ action: 'warn' });
  });

  test('an ID the proxy would refuse stops the rendering with the proxy\'s message', () => {
    expect(() => settingsOf({ storage: { pvc: {} }, policy: { vulnerable: { action: 'deny', ids: ['RUSTSEC-2026-0001'] } } })).toThrow(
      'the proxy refuses the settings rendered from spec: invalid setting policy.vulnerable.ids.0 = "RUSTSEC-2026-0001"',
    );
  });
});

const pod = (name: string, fields: { namespace?: string; phase?: string; ready?: boolean; ip?: string; port?: number; deleting?: boolean }) =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: fields.namespace ?? 'goproxy', ...(fields.deleting ? { deletionTimestamp: '2026-12-04T00:00:00Z' } : {}) },
    spec: { containers: [{ name: 'gomodproxy', ports: [{ name: 'http', containerPort: fields.port ?? 3000 }] }] },
    status: {
      phase: fields.phase ?? 'Running',
      ...(fields.ip ? { podIP: fields.ip } : {}),
      conditions: [{ type: 'Ready', status: fields.ready === false ? 'False' : 'True' }],
    },
  }) as unknown as KubeObject;

describe('status.vulndb', () => {
  test('is asked of the first ready, running pod of the namespace by name, at its http port', () => {
    const pods = [
      pod('corp-c', { ip: '10.0.0.3' }),
      pod('corp-a', { ip: '10.0.0.1', ready: false }),
      pod('corp-b', { ip: 'fd00::2', port: 3001 }),
      pod('corp-0', { ip: '10.0.0.9', deleting: true }),
      pod('corp-1', { ip: '10.0.0.8', namespace: 'elsewhere' }),
      pod('corp-2', { ip: '10.0.0.7', phase: 'Pending' }),
    ];
    expect(statusAddress(pods, 'goproxy')).toBe('http://[fd00::2]:3001');
    expect(statusAddress([pod('corp-a', {})], 'goproxy')).toBeUndefined();
  });

  test("an answer becomes the status's fields; anything else is no answer", () => {
    expect(statusFromAnswer(JSON.stringify({ url: 'https://vuln.go.dev', modified: '2026-12-01T00:00:00Z', refreshedAt: '2026-12-04T10:00:00.000Z', stale: false, lastFailure: null }))).toEqual({
      url: 'https://vuln.go.dev',
      modified: '2026-12-01T00:00:00Z',
      lastRefresh: '2026-12-04T10:00:00.000Z',
      stale: false,
    });
    expect(statusFromAnswer(JSON.stringify({ url: 'https://vuln.go.dev', modified: null, refreshedAt: null, stale: false, lastFailure: 'x: 502' }))).toEqual({
      url: 'https://vuln.go.dev',
      stale: false,
      lastFailure: 'x: 502',
    });
    expect(statusFromAnswer('<html>')).toBeUndefined();
    expect(statusFromAnswer('{"ok":true}')).toBeUndefined();
  });
});
