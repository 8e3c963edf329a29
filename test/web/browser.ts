// Debian's Chromium, headless, driven by playwright-core: the page as a person's browser sees it.
// Nothing may leave this machine: the flags turn off Chromium's own traffic (updates, field
// trials, safe browsing), host names other than loopback do not resolve, and every request a page
// makes to another host is refused and recorded, so a test can assert that none was attempted.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { repositoryRoot } from '../e2e/harness.ts';

export const CHROMIUM = '/usr/bin/chromium';

export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  // Any host name but loopback fails to resolve, whatever asks for it.
  '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1 , EXCLUDE localhost',
];

/** Screenshots are test artefacts (gitignored); one of them is copied to docs/ by hand. */
export const SCREENSHOTS = join(repositoryRoot, 'test-artifacts', 'web');

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
}

export const LAPTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

export type LocalContext = {
  context: BrowserContext;
  /** Every URL a page asked for; each was on loopback, or it was refused and is in `refused`. */
  requested: string[];
  refused: string[];
  close(): Promise<void>;
};

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

export async function localContext(browser: Browser, options: BrowserContextOptions = {}): Promise<LocalContext> {
  const context = await browser.newContext({ serviceWorkers: 'block', ...options });
  const requested: string[] = [];
  const refused: string[] = [];
  await context.route('**/*', async (route) => {
    const url = new URL(route.request().url());
    requested.push(url.href);
    if ((url.protocol === 'http:' || url.protocol === 'https:') && LOOPBACK.has(url.hostname)) return route.continue();
    refused.push(url.href);
    return route.abort('blockedbyclient');
  });
  return { context, requested, refused, close: () => context.close() };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
