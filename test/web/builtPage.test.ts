// proxy/web/built/ is built from proxy/web/src/ and checked in (so a fresh clone and the image
// serve the page without a build step); a change of the sources without `npm run web` fails here.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildWebPage } from '../../proxy/web/build.ts';
import { BUILT_WEB_PAGE } from '../../proxy/server/webPageRoutes.ts';

function filesUnder(folder: string): string[] {
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(folder, join(entry.parentPath, entry.name)))
    .sort();
}

describe('the built web page', () => {
  it('is what the sources build to (run `npm run web` after changing proxy/web/src/)', async () => {
    const built = await buildWebPage();
    expect(filesUnder(BUILT_WEB_PAGE)).toEqual([...built.keys()].sort());
    for (const [name, content] of built) {
      expect(readFileSync(join(BUILT_WEB_PAGE, name)).equals(Buffer.from(content)), `${name} differs from its sources' build`).toBe(true);
    }
  });

  it('names its assets by their content and loads nothing from another origin', async () => {
    const built = await buildWebPage();
    const shell = new TextDecoder().decode(built.get('index.html'));
    const named = [...shell.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(named).toEqual(['data:,', expect.stringMatching(/^\/assets\/main\.[A-Z0-9]{8}\.css$/), expect.stringMatching(/^\/assets\/main\.[A-Z0-9]{8}\.js$/)]);
    for (const [name, content] of built) {
      const text = new TextDecoder().decode(content);
      // No URL of another host: no CDN, no web font, no analytics. (XML namespace names, which
      // preact uses for SVG, are names, never fetched.)
      const urls = (text.match(/(?:https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}[/"')]/gi) ?? []).filter((url) => url !== 'http://www.w3.org/');
      expect(urls, name).toEqual([]);
      expect(text, name).not.toMatch(/@font-face|@import/);
    }
  });
});
