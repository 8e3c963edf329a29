/** Writes crds/, and the Helm chart's copy of it, from the zod schema: `npm run crds`. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CRD_FILE, goModuleProxyCrdYaml } from '../operator/api/crd.ts';

const root = join(import.meta.dirname, '..');
for (const folder of ['crds', join('charts', 'gomodproxy-operator', 'crds')]) {
  const target = join(root, folder, CRD_FILE);
  writeFileSync(target, goModuleProxyCrdYaml());
  process.stdout.write(`wrote ${target}\n`);
}
