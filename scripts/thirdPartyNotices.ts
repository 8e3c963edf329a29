/**
 * The notices of the libraries a bundle carries. Their licenses (MIT, Apache-2.0, ISC, BSD…) ask
 * that copies keep the copyright and license text; a bundle drops the packages' own files, so the
 * image ships them in one file instead (scripts/buildProgram.ts writes THIRD-PARTY-NOTICES).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A package's own files that hold its license or notices, by name (LICENSE, LICENSE.md, NOTICE…). */
const NOTICE_FILE = /^(licen[sc]e|copying|notice)(\.|-|$)/i;

/**
 * The package folders (`…/node_modules/<name>` or `…/node_modules/@scope/<name>`) that hold the
 * given files: the innermost node_modules of each path, so a copy nested under another package
 * counts as its own.
 */
export function packageFoldersOf(files: Iterable<string>): string[] {
  const folders = new Set<string>();
  for (const file of files) {
    const match = /^(.*\/node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(file.replaceAll('\\', '/'));
    if (match) folders.add(match[1]!);
  }
  return [...folders];
}

/**
 * One text with, for each package (once per name and version, sorted by name): a header naming it,
 * its version and its declared license, then the text of each of its license and notice files, or
 * a line saying it has none.
 */
export function thirdPartyNotices(packageFolders: Iterable<string>): string {
  const packages = new Map<string, { header: string; texts: string[] }>();
  for (const folder of packageFolders) {
    const manifest = join(folder, 'package.json');
    if (!existsSync(manifest)) continue;
    const { name, version, license } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string; license?: unknown };
    if (!name || packages.has(`${name}@${version}`)) continue;
    const files = readdirSync(folder).filter((file) => NOTICE_FILE.test(file)).sort();
    packages.set(`${name}@${version}`, {
      header: `${name} ${version ?? ''} (license: ${typeof license === 'string' ? license : 'not declared'})`,
      texts: files.length > 0 ? files.map((file) => readFileSync(join(folder, file), 'utf8').trim()) : ['(the package has no license or notice file)'],
    });
  }
  const sections = [...packages.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, { header, texts }]) => `${'='.repeat(78)}\n${header}\n${'='.repeat(78)}\n\n${texts.join('\n\n')}\n`);
  return `The libraries included in this program, with their licenses and notices.\n\n${sections.join('\n')}`;
}
