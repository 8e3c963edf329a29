// The README's settings table is generated from the settings schema: it must be current, and
// every flag it names must be one `gomodproxy serve` takes.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENVIRONMENT_SETTINGS } from '../../proxy/config.ts';
import { settingRows, withSettingsTable } from '../../scripts/settingsTable.ts';
import { productionCommand, repositoryRoot } from '../e2e/harness.ts';

describe('the settings table', () => {
  it('in the README is the one the schema gives (npm run docs writes it)', () => {
    const readme = readFileSync(join(repositoryRoot, 'README.md'), 'utf8');
    expect(withSettingsTable(readme)).toBe(readme);
  });

  it('documents every setting the environment can set, and every flag is one serve takes', () => {
    const documented = new Set(settingRows().map((r) => r.path));
    for (const setting of ENVIRONMENT_SETTINGS) expect(documented, setting.env).toContain(setting.path.join('.'));
    const { command, args } = productionCommand();
    const help = spawnSync(command, [...args, 'serve', '--help'], { encoding: 'utf8' }).stdout;
    for (const { flag } of ENVIRONMENT_SETTINGS) if (flag) expect(help, flag.name).toContain(`${flag.name} `);
  });

  it('has a meaning and a default for every row', () => {
    for (const row of settingRows()) {
      expect(row.meaning.length, row.path).toBeGreaterThan(10);
      expect(row.shownDefault, row.path).not.toBe('');
    }
  });
});
