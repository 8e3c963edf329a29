/** Writes proxy/web/built/ from proxy/web/src/: `npm run web`. Files of earlier builds are removed. */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { buildWebPage } from '../proxy/web/build.ts';

const target = join(import.meta.dirname, '..', 'proxy', 'web', 'built');
const files = await buildWebPage();
rmSync(target, { recursive: true, force: true });
for (const [name, content] of files) {
  const file = join(target, name);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
  process.stdout.write(`wrote ${file} (${content.length} bytes)\n`);
}
