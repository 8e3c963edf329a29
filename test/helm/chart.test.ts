// The Helm chart: `helm lint` and `helm template` (helm built from its pinned Go module) for the
// default values and a table of value sets; values that break values.schema.json fail with the
// schema's message; the chart's CRD is the generated one.
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repositoryRoot, tempFolder } from '../e2e/harness.ts';
import { chartPath, renderedObjects, runHelm, type KubeObject } from './helm.ts';
import { VALUE_SETS } from './valueSets.ts';
import { HOOK_RULES, OPERATOR_RULES } from '../../operator/api/rbac.ts';

/** Values the schema or the templates refuse, and the message the user sees. */
const BAD_VALUE_SETS: Array<{ name: string; values: unknown; message: RegExp }> = [
  { name: 'a misspelt top-level value', values: { replicas: 2 }, message: /additional properties 'replicas' not allowed|additionalProperties 'replicas' not allowed/ },
  { name: 'a replica count that is not a number', values: { replicaCount: 'two' }, message: /replicaCount.*(expected integer|got string)/i },
  { name: 'an unknown log level', values: { logLevel: 'loud' }, message: /logLevel.*(must be one of|value must be one of)/i },
  { name: 'a lease duration without a unit', values: { leaderElection: { leaseDuration: '15' } }, message: /leaseDuration.*(pattern|does not match)/i },
  { name: 'an ingress without a host', values: { proxy: { create: true, ingress: { enabled: true } } }, message: /proxy\.ingress\.host is required/ },
  {
    name: 'a ServiceMonitor without the metrics Service',
    values: { metrics: { service: { enabled: false }, serviceMonitor: { enabled: true } } },
    message: /metrics\.serviceMonitor\.enabled needs metrics\.service\.enabled/,
  },
];

describe('the Helm chart', () => {
  let home: { path: string; dispose(): Promise<void> };
  const valuesFile = async (name: string, values: unknown) => {
    const file = join(home.path, `${name.replace(/[^a-z0-9]+/gi, '-')}.yaml`);
    await writeFile(file, yaml.dump(values));
    return file;
  };

  beforeAll(async () => {
    home = await tempFolder('gomodproxy-helm-');
  });
  afterAll(async () => {
    await home?.dispose();
  });

  it.each(Object.entries(VALUE_SETS))('lints and renders with %s', async (name, values) => {
    const file = await valuesFile(name, values);
    const lint = runHelm(['lint', '--strict', chartPath, '-f', file], home.path);
    expect(lint.code, lint.stdout + lint.stderr).toBe(0);
    const rendered = runHelm(['template', 'gomodproxy', chartPath, '-n', 'goproxy', '-f', file], home.path);
    expect(rendered.code, rendered.stderr).toBe(0);
    const objects = renderedObjects(rendered.stdout);
    const kinds = objects.map((o) => o.kind);
    expect(kinds).toContain('Deployment');
    const deployment = objects.find((o) => o.kind === 'Deployment') as KubeObject & { spec: { template: { spec: PodSpec } } };
    const container = deployment.spec.template.spec.containers[0]!;
    expect(container.args[0]).toBe('operator');
    expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    expect(deployment.spec.template.spec.securityContext).toMatchObject({ runAsNonRoot: true });
    expect(container.livenessProbe).toMatchObject({ httpGet: { path: '/healthz' } });
    const v = values as { rbac?: { create?: boolean }; proxy?: { create?: boolean } };
    expect(kinds.includes('ClusterRole')).toBe(v.rbac?.create !== false);
    expect(kinds.includes('GoModuleProxy')).toBe(v.proxy?.create === true);
  });

  it.each(BAD_VALUE_SETS)('refuses $name with a message that says so', async ({ name, values, message }) => {
    const file = await valuesFile(name, values);
    const rendered = runHelm(['template', 'gomodproxy', chartPath, '-f', file], home.path);
    expect(rendered.code).not.toBe(0);
    expect(rendered.stderr).toMatch(message);
  });

  it('grants the operator exactly the rules it is proven to need (operator/api/rbac.ts)', () => {
    const rendered = runHelm(['template', 'gomodproxy', chartPath, '-n', 'goproxy'], home.path);
    const objects = renderedObjects(rendered.stdout) as Array<KubeObject & { rules?: unknown[] }>;
    const isHook = (o: KubeObject) => (o.metadata['annotations'] as Record<string, string> | undefined)?.['helm.sh/hook'] !== undefined;
    const roles = objects.filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role');
    const normal = (rules: unknown[]) => rules.map((r) => JSON.stringify(r)).sort();
    expect(normal(roles.filter((o) => !isHook(o)).flatMap((o) => o.rules ?? []))).toEqual(normal(OPERATOR_RULES));
    // The hooks' own rights, only while they run.
    expect(normal(roles.filter(isHook).flatMap((o) => o.rules ?? []))).toEqual(normal(HOOK_RULES));
  });

  it('with watchNamespace, grants Secrets in that namespace only (a Role), the rest as without', () => {
    const rendered = runHelm(['template', 'gomodproxy', chartPath, '-n', 'goproxy', '--set', 'watchNamespace=team-a'], home.path);
    expect(rendered.code, rendered.stderr).toBe(0);
    const objects = renderedObjects(rendered.stdout) as Array<KubeObject & { rules?: Array<{ resources: string[] }> }>;
    const clusterRole = objects.find((o) => o.kind === 'ClusterRole')!;
    expect(clusterRole.rules!.some((rule) => rule.resources.includes('secrets'))).toBe(false);
    const secretsRole = objects.find((o) => o.kind === 'Role' && o.rules!.some((rule) => rule.resources.includes('secrets')))!;
    expect(secretsRole.metadata.namespace).toBe('team-a');
    expect(objects.some((o) => o.kind === 'RoleBinding' && o.metadata.namespace === 'team-a')).toBe(true);
    const granted = objects.filter((o) => (o.kind === 'ClusterRole' || o.kind === 'Role') && !(o.metadata['annotations'] as Record<string, string> | undefined)?.['helm.sh/hook']).flatMap((o) => o.rules ?? []);
    expect(granted.map((r) => JSON.stringify(r)).sort()).toEqual(OPERATOR_RULES.map((r) => JSON.stringify(r)).sort());
  });

  it('carries the generated CRD', () => {
    const generated = readFileSync(join(repositoryRoot, 'crds', 'gomodproxy.dev_gomoduleproxies.yaml'), 'utf8');
    expect(readFileSync(join(chartPath, 'crds', 'gomodproxy.dev_gomoduleproxies.yaml'), 'utf8')).toBe(generated);
  });
});

type PodSpec = {
  securityContext?: unknown;
  containers: Array<{ args: string[]; securityContext?: unknown; livenessProbe?: unknown }>;
};
