/** Writes crds/ from the zod schema: `npm run crds`. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CRD_FILE, goModuleProxyCrdYaml } from './crd.ts';

const target = join(import.meta.dirname, '..', '..', 'crds', CRD_FILE);
writeFileSync(target, goModuleProxyCrdYaml());
process.stdout.write(`wrote ${target}\n`);
