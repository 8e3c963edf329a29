// crds/ is generated from the zod schema; a change of the schema without `npm run crds` fails here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { CRD_FILE, goModuleProxyCrd, goModuleProxyCrdYaml } from '../../operator/api/crd.ts';

describe('the GoModuleProxy CRD', () => {
  test('crds/ holds what the schema generates (run `npm run crds` after changing operator/api/)', () => {
    const checkedIn = readFileSync(join(import.meta.dirname, '..', '..', 'crds', CRD_FILE), 'utf8');
    expect(checkedIn).toBe(goModuleProxyCrdYaml());
  });

  test('is a structural schema: no additionalProperties: false, every property typed', () => {
    const text = JSON.stringify(goModuleProxyCrd());
    expect(text).not.toContain('"additionalProperties":false');
    expect(text).not.toContain('$schema');
    const untyped: string[] = [];
    const walk = (node: Record<string, unknown>, path: string) => {
      if (!('type' in node) && !node['x-kubernetes-preserve-unknown-fields']) untyped.push(path);
      for (const [name, child] of Object.entries((node['properties'] ?? {}) as Record<string, Record<string, unknown>>)) walk(child, `${path}.${name}`);
      if (node['items']) walk(node['items'] as Record<string, unknown>, `${path}[]`);
    };
    const version = (goModuleProxyCrd()['spec'] as { versions: Array<{ schema: { openAPIV3Schema: Record<string, unknown> } }> }).versions[0]!;
    walk(version.schema.openAPIV3Schema, '');
    expect(untyped).toEqual([]);
  });
});
