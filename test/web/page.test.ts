// The web page in a real headless Chromium (Debian's), against a proxy with sign-in over https
// that the go command has downloaded modules through: search finds what the go command fetched,
// the module page shows the h1 the go command wrote to go.sum, the downloads plot counts the
// downloads made, a user without access to a module sees nothing of it, and without credentials
// nothing at all. The page works by keyboard; screenshots of the main views (light and dark,
// laptop and phone) are written to test-artifacts/web/. No request leaves 127.0.0.1.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeGoHome, runGo, type GoHome } from '../fixtures/goCommand.ts';
import { standardCorpus, writeModuleTree } from '../fixtures/moduleTree.ts';
import { makeTestCa, type TestCa } from '../fixtures/testCertificates.ts';
import { startUpstream, type Upstream } from '../fixtures/upstreamServer.ts';
import { startTestProxy, tempFolder, type TestProxy } from '../e2e/harness.ts';
import { LAPTOP, PHONE, launchChromium, localContext, screenshot, type LocalContext } from './browser.ts';

const base = 'github.com/acme/base';
/** Readable by team-a only: alice may, bob may not. */
const widget = 'github.com/Acme/Widget';

type Credentials = { username: string; password: string };
/** In team-a and ops; ops are the admins. */
const alice: Credentials = { username: 'alice', password: 'wonderland' };
/** Signed in, in no group. */
const bob: Credentials = { username: 'bob', password: 'builder' };

/** WCAG 2 contrast ratio of two #rrggbb colours. */
function contrast(one: string, other: string): number {
  const luminance = (hex: string) => {
    const [r, g, b] = [1, 3, 5].map((at) => {
      const channel = parseInt(hex.slice(at, at + 2), 16) / 255;
      return channel <= 0.04045 ? channel / 12.92 : ((channel + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
  };
  if (!/^#[0-9a-f]{6}$/i.test(one) || !/^#[0-9a-f]{6}$/i.test(other)) throw new Error(`not #rrggbb colours: ${one}, ${other}`);
  const [light, dark] = [luminance(one), luminance(other)].sort((a, b) => b - a);
  return (light! + 0.05) / (dark! + 0.05);
}

describe('the web page in Chromium', () => {
  let folder: { path: string; dispose(): Promise<void> };
  let ca: TestCa;
  let upstream: Upstream;
  let proxy: TestProxy;
  let browser: Browser;
  let goSum: string;
  const contexts: LocalContext[] = [];

  /** A go home that signs in as alice through .netrc (the go command sends it over https only). */
  async function goHomeOfAlice(): Promise<GoHome> {
    const home = await makeGoHome({ goproxy: proxy.url, extra: { SSL_CERT_FILE: ca.caFile } });
    const netrc = join(home.home, 'netrc');
    await writeFile(netrc, `machine ${new URL(proxy.url).host} login ${alice.username} password ${alice.password}\n`);
    home.env['NETRC'] = netrc;
    return home;
  }

  /** A page in a browser context of its own, signed in as `who` (the browser answers the 401 challenge), or not signed in. */
  async function openPage(who: Credentials | null, options: { viewport?: { width: number; height: number }; colorScheme?: 'light' | 'dark' } = {}): Promise<Page> {
    const local = await localContext(browser, {
      ignoreHTTPSErrors: true,
      viewport: options.viewport ?? LAPTOP,
      colorScheme: options.colorScheme ?? 'light',
      ...(who ? { httpCredentials: who } : {}),
    });
    contexts.push(local);
    return local.context.newPage();
  }

  /** The sum of the bars of the downloads plot, and the value of its last (current) bucket. */
  async function downloadsPlot(page: Page): Promise<{ total: number; last: number }> {
    await page.goto(`${proxy.url}/ui/usage`);
    const bars = page.locator('section[aria-labelledby="downloads-heading"] rect.bar');
    // A bar of zero height is not visible, but it is there.
    await bars.first().waitFor({ state: 'attached' });
    const values = (await bars.evaluateAll((rects) => rects.map((r) => r.getAttribute('data-value')))).map(Number);
    return { total: values.reduce((a, b) => a + b, 0), last: values.at(-1)! };
  }

  beforeAll(async () => {
    folder = await tempFolder('gomodproxy-web-');
    await writeModuleTree(join(folder.path, 'tree'), standardCorpus());
    ca = makeTestCa(folder.path);
    const hash = (password: string) => bcrypt.hashSync(password, 8).replace(/^\$2[ab]\$/, '$2y$');
    await writeFile(join(folder.path, 'htpasswd'), `alice:${hash(alice.password)}\nbob:${hash(bob.password)}\n`);
    upstream = await startUpstream(join(folder.path, 'tree'));
    proxy = await startTestProxy({
      upstream: upstream.url,
      tls: ca.issue('proxy'),
      auth: { htpasswd: join(folder.path, 'htpasswd'), groups: { 'team-a': ['alice'], ops: ['alice'] }, admin: ['ops'] },
      accessRules: [{ modules: [widget], allow: ['team-a'] }],
    });

    // The go command adds both modules to a module of its own and writes go.sum.
    const home = await goHomeOfAlice();
    try {
      const app = join(home.home, 'app');
      await mkdir(app);
      await writeFile(join(app, 'go.mod'), 'module example.com/app\n\ngo 1.21\n');
      await runGo(['get', `${base}@v1.2.3`, `${widget}@v1.1.0`], { cwd: app, env: home.env });
      goSum = await readFile(join(app, 'go.sum'), 'utf8');
      // The storage plot comes from a listing of the store: list it now it holds the downloads.
      await proxy.relistCatalog();
    } finally {
      await home.dispose();
    }
    browser = await launchChromium();
  }, 180_000);
  afterAll(async () => {
    for (const local of contexts) await local.close().catch(() => undefined);
    await browser?.close();
    await proxy?.dispose();
    await upstream?.close();
    await folder?.dispose();
  });

  it('search finds the modules the go command downloaded, by prefix and by substring', async () => {
    const page = await openPage(alice);
    await page.goto(`${proxy.url}/`);
    await page.getByLabel('Module path').fill('github.com/acme/ba');
    await expect.poll(() => page.locator('table.modules a').allInnerTexts()).toEqual([base]);
    await page.getByLabel('contains').check();
    await page.getByLabel('Module path').fill('acme');
    await expect.poll(() => page.locator('table.modules a').allInnerTexts()).toEqual([base, widget]);
    // Sorted as the API sorts, without regard to case. The search is in the address: a reload shows the same.
    expect(new URL(page.url()).search).toBe('?q=acme&match=substring');
    await page.reload();
    await expect.poll(() => page.locator('table.modules a').allInnerTexts()).toEqual([base, widget]);
  });

  it('a match kind chosen while the address still waits for what was typed is kept', async () => {
    const page = await openPage(alice);
    await page.goto(`${proxy.url}/`);
    // Typed, then "contains" chosen at once: the address catches up with the typing 200 ms later,
    // and must not bring back "starts with".
    await page.getByLabel('Module path').fill('widget');
    await page.getByLabel('contains').check();
    await expect.poll(() => page.locator('table.modules a').allInnerTexts()).toEqual([widget]);
    await page.waitForTimeout(500);
    expect(new URL(page.url()).search).toBe('?q=widget&match=substring');
    expect(await page.getByLabel('contains').isChecked()).toBe(true);
    expect(await page.locator('table.modules a').allInnerTexts()).toEqual([widget]);
  });

  it("the module page shows the h1 the go command wrote to go.sum, and the version page its go.mod and files", async () => {
    const sum = new RegExp(`^${base} v1\\.2\\.3 (h1:\\S+)$`, 'm').exec(goSum)?.[1];
    const modSum = new RegExp(`^${base} v1\\.2\\.3/go\\.mod (h1:\\S+)$`, 'm').exec(goSum)?.[1];
    expect(sum).toBeDefined();
    const page = await openPage(alice);
    await page.goto(`${proxy.url}/?q=${base}`);
    await page.getByRole('link', { name: base, exact: true }).click();
    expect(new URL(page.url()).pathname).toBe(`/ui/module/${base}`);
    const row = page.locator('table.versions tr', { has: page.getByRole('link', { name: 'v1.2.3', exact: true }) });
    await expect.poll(() => row.locator('code.hash').innerText()).toBe(sum);
    await expect.poll(() => page.locator('.copy-line code').first().innerText()).toBe(`go get ${base}@latest`);

    await row.getByRole('link', { name: 'v1.2.3' }).click();
    await page.locator('table.files').waitFor();
    const goSumLines = await page.locator('pre.gosum').innerText();
    expect(goSumLines).toBe(`${base} v1.2.3 ${sum}\n${base} v1.2.3/go.mod ${modSum}`);
    expect(await page.locator('pre.gomod').innerText()).toMatch(new RegExp(`^module ${base}\\b`));
    expect(await page.locator('table.files td code').allInnerTexts()).toContain('go.mod');
    // A deep link loads the same view.
    await page.reload();
    await page.locator('table.files').waitFor();
    expect(await page.locator('pre.gosum').innerText()).toBe(goSumLines);
  });

  it('the downloads plot counts the downloads made, in the current hour', async () => {
    const page = await openPage(alice);
    const before = await downloadsPlot(page);
    expect(before.total).toBeGreaterThan(0);
    // Two more versions into an empty module cache: two more downloads.
    const home = await goHomeOfAlice();
    try {
      await runGo(['mod', 'download', `${base}@v1.0.0`, `${base}@v1.1.0`], { cwd: home.home, env: home.env });
    } finally {
      await home.dispose();
    }
    const after = await downloadsPlot(page);
    expect(after.total - before.total).toBe(2);
    expect(after.last - before.last).toBe(2);
  });

  it('works by keyboard: skip link, search field, result link, focus on the new heading', async () => {
    const page = await openPage(alice);
    await page.goto(`${proxy.url}/`);
    await page.locator('table.modules').waitFor();
    await page.keyboard.press('Tab');
    expect(await page.locator(':focus').innerText()).toBe('Skip to content');
    await page.getByLabel('Module path').focus();
    await page.keyboard.type('github.com/acme/b');
    await expect.poll(() => page.locator('table.modules a').allInnerTexts()).toEqual([base]);
    let focused = '';
    for (let presses = 0; presses < 20 && focused !== base; presses++) {
      await page.keyboard.press('Tab');
      focused = await page.locator(':focus').innerText();
    }
    expect(focused).toBe(base);
    await page.keyboard.press('Enter');
    await page.locator('table.versions').waitFor();
    expect(await page.evaluate<string>("document.activeElement.tagName + ' ' + document.activeElement.textContent")).toBe(`H1 ${base}`);
  });

  it('a user who may not read a module sees nothing of it: not in search, counts, usage, nor on its own page', async () => {
    const page = await openPage(bob);
    await page.goto(`${proxy.url}/?q=acme&match=substring`);
    await expect.poll(() => page.locator('table.modules a').allInnerTexts()).toEqual([base]);
    expect(await page.locator('main').innerText()).toMatch(/^1 module containing/m);

    for (const path of [`/ui/module/${widget}`, `/ui/module/${widget}/@v/v1.1.0`]) {
      await page.goto(`${proxy.url}${path}`);
      await page.getByRole('alert').waitFor();
      expect(await page.getByRole('alert').innerText()).toMatch(/^Not found\./);
      expect(await page.locator('table').count()).toBe(0);
    }
    await page.goto(`${proxy.url}/ui/usage`);
    await page.locator('#top-modules-heading').waitFor();
    expect(await page.locator('main').innerText()).not.toMatch(/widget/i);
    // Not an admin: no admin views offered, and none shown at their addresses.
    expect(await page.getByRole('navigation').getByRole('link').allInnerTexts()).toEqual(['Modules', 'Usage']);
    expect(await page.locator('#top-users-heading, #denied-heading').count()).toBe(0);
    await page.goto(`${proxy.url}/ui/settings`);
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').innerText()).toMatch(/^Not allowed\./);
  });

  it('without credentials the page and the API show nothing', async () => {
    const page = await openPage(null);
    // The proxy asks for credentials and the browser has none: it shows nothing of the page.
    await expect(page.goto(`${proxy.url}/`)).rejects.toThrow(/ERR_INVALID_AUTH_CREDENTIALS/);
    expect(await page.locator('#app').count()).toBe(0);
    for (const path of ['/', '/ui/module/github.com/acme/base', '/api/modules?q=acme&match=substring', '/api/module?path=github.com%2Facme%2Fbase']) {
      const answer = await page.request.get(`${proxy.url}${path}`);
      expect(answer.status(), path).toBe(401);
      expect(answer.headers()['www-authenticate'], path).toMatch(/^Basic /);
      // Nothing the store holds (a 401 of a page path may repeat the path asked for, no more).
      const body = await answer.text();
      expect(body, path).not.toMatch(/v1\.\d|h1:|widget|"items"|id="app"/i);
    }
  });

  it('an admin sees health (with the storage plot), settings and the cleanup dry run', async () => {
    const page = await openPage(alice);
    await page.goto(`${proxy.url}/`);
    await expect.poll(() => page.getByRole('navigation').getByRole('link').allInnerTexts()).toEqual(['Modules', 'Usage', 'Health', 'Settings']);
    await page.goto(`${proxy.url}/ui/health`);
    // The storage plot: everything here was written today, so one bar holding all the store uses.
    const storagePlot = page.locator('figure.chart', { hasText: 'Storage held, by the day it was written' });
    await storagePlot.waitFor();
    expect(await storagePlot.locator('rect.bar').count()).toBe(1);
    await page.getByRole('button', { name: /dry run/ }).click();
    await expect.poll(() => page.locator('[role="status"]').allInnerTexts()).toContainEqual(expect.stringMatching(/^The next cleanup would remove \d+ versions? and free /));
    await page.goto(`${proxy.url}/ui/settings`);
    await page.locator('#go-env-heading').waitFor();
    const lines = await page.locator('.copy-line code').allInnerTexts();
    expect(lines).toContainEqual(expect.stringMatching(/^go env -w GOPROXY=/));
    expect(await page.locator('pre.settings').innerText()).not.toContain(alice.password);
  });

  it('screenshots of the main views, light and dark, laptop and phone', async () => {
    const views: [string, string, string][] = [
      ['search', '/?q=acme&match=substring', 'table.modules'],
      ['module', `/ui/module/${base}`, 'table.versions'],
      ['version', `/ui/module/${base}/@v/v1.2.3`, 'pre.gomod'],
      ['usage', '/ui/usage', 'figure.chart'],
      ['health', '/ui/health', '#cleanup-heading'],
      ['settings', '/ui/settings', '#go-env-heading'],
    ];
    for (const colorScheme of ['light', 'dark'] as const) {
      for (const [device, viewport] of [['laptop', LAPTOP], ['phone', PHONE]] as const) {
        const page = await openPage(alice, { colorScheme, viewport });
        for (const [name, path, ready] of views) {
          await page.goto(`${proxy.url}${path}`);
          // An admin view the proxy does not answer shows its error: the picture is taken all the same.
          await page.locator(`${ready}, [role="alert"]`).first().waitFor();
          await screenshot(page, `${name}-${device}-${colorScheme}`);
          // Nothing wider than the screen but the tables, which scroll in their own box.
          const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
          expect(overflow, `${name} ${device}`).toBeLessThanOrEqual(0);
        }
        if (colorScheme === 'dark') {
          expect(await page.evaluate<string>('getComputedStyle(document.body).backgroundColor')).toBe('rgb(13, 17, 23)');
        }
        // WCAG AA: 4.5:1 for text on each background it is drawn on, 3:1 for the bars.
        const colour = (name: string) => page.evaluate<string>(`getComputedStyle(document.documentElement).getPropertyValue('--${name}').trim()`);
        const pairs: [string, string, number][] = [
          ['fg', 'bg', 4.5], ['muted', 'bg', 4.5], ['link', 'bg', 4.5], ['fg', 'panel', 4.5], ['muted', 'panel', 4.5], ['link', 'panel', 4.5],
          ['error-fg', 'error-bg', 4.5], ['warn', 'bg', 4.5], ['accent', 'bg', 3], ['focus', 'bg', 3],
        ];
        for (const [text, background, least] of pairs) {
          expect(contrast(await colour(text), await colour(background)), `${colorScheme}: --${text} on --${background}`).toBeGreaterThanOrEqual(least);
        }
      }
    }
  }, 120_000);

  it('no page asked for anything but the proxy on 127.0.0.1', () => {
    const origin = new URL(proxy.url).origin;
    expect(contexts.length).toBeGreaterThan(5);
    for (const local of contexts) {
      expect(local.refused).toEqual([]);
      expect(local.requested.filter((url) => new URL(url).origin !== origin)).toEqual([]);
    }
  });
});
