// `npm run docs`: writes the settings table generated from proxy/config.ts into README.md.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { withSettingsTable } from './settingsTable.ts';

const readme = join(import.meta.dirname, '..', 'README.md');
await writeFile(readme, withSettingsTable(await readFile(readme, 'utf8')));
