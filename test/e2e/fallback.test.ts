// Go's fallback rules along the upstream list, with the go command as the client:
// ',' falls back only on 404/410, '|' on any error (timeouts included).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goModDownloadJson, makeGoHome } from '../fixtures/goCommand.ts';
import { standardCorpus, writeModuleTree } from '../fixtures/moduleTree.ts';
import { startUpstream, type Upstream } from '../fixtures/upstreamServer.ts';
import { startTestProxy, tempFolder } from './harness.ts';

const corpus = standardCorpus();
const target = corpus.find((m) => m.path === 'github.com/acme/base' && m.version === 'v1.2.3')!;
const wanted = `${target.path}@${target.version}`;

type Case = {
  name: string;
  /** Builds the upstream setting from the two servers' URLs. */
  upstream: (first: string, second: string) => string;
  /** What the first server does for every request. */
  first: 'empty' | { status: number } | 'hang' | 'reset' | 'gone';
  /** True when the download must succeed through the second server. */
  succeeds: boolean;
  /** Part of the error the go command shows when it fails. */
  reason?: RegExp;
  /** Whether the second server is asked at all. */
  secondAsked: boolean;
};

const cases: Case[] = [
  { name: 'first says 404, second serves (",")', upstream: (a, b) => `${a},${b}`, first: 'empty', succeeds: true, secondAsked: true },
  { name: 'first says 410, second serves (",")', upstream: (a, b) => `${a},${b}`, first: 'gone', succeeds: true, secondAsked: true },
  { name: 'first answers 500: "," stops', upstream: (a, b) => `${a},${b}`, first: { status: 500 }, succeeds: false, reason: /answered 500/, secondAsked: false },
  { name: 'first answers 500: "|" falls through', upstream: (a, b) => `${a}|${b}`, first: { status: 500 }, succeeds: true, secondAsked: true },
  { name: 'first resets the connection: "," stops', upstream: (a, b) => `${a},${b}`, first: 'reset', succeeds: false, reason: /502 Bad Gateway/, secondAsked: false },
  { name: 'first times out: "|" falls through', upstream: (a, b) => `${a}|${b}`, first: 'hang', succeeds: true, secondAsked: true },
  { name: 'first times out: "," stops with 504', upstream: (a, b) => `${a},${b}`, first: 'hang', succeeds: false, reason: /504 Gateway Timeout[\s\S]*no answer within/, secondAsked: false },
  { name: 'every upstream says 404: the client sees 404', upstream: (a) => `${a},${a}`, first: 'empty', succeeds: false, reason: /404 Not Found/, secondAsked: false },
  { name: '"off" after a 404 answers 404', upstream: (a) => `${a},off`, first: 'empty', succeeds: false, reason: /404 Not Found[\s\S]*"off"/, secondAsked: false },
];

describe('upstream fallback rules', () => {
  let full: { path: string; dispose(): Promise<void> };
  let empty: { path: string; dispose(): Promise<void> };

  beforeAll(async () => {
    full = await tempFolder('gomodproxy-full-');
    empty = await tempFolder('gomodproxy-empty-');
    await writeModuleTree(full.path, corpus);
  });
  afterAll(async () => {
    await full.dispose();
    await empty.dispose();
  });

  it.each(cases)('$name', async (c) => {
    const first: Upstream = await startUpstream(c.first === 'empty' ? empty.path : full.path);
    const second: Upstream = await startUpstream(full.path);
    if (c.first === 'gone') first.fail(() => true, { status: 410, body: 'gone' });
    else if (c.first !== 'empty') first.fail(() => true, c.first);
    const proxy = await startTestProxy({ upstream: c.upstream(first.url, second.url), upstreamTimeout: '1s' });
    const home = await makeGoHome({ goproxy: proxy.url });
    try {
      const [result] = await goModDownloadJson([wanted], { env: home.env });
      if (c.succeeds) {
        expect(result!.Error).toBeUndefined();
        expect(result!.Sum).toMatch(/^h1:/);
      } else {
        expect(result!.Error).toMatch(c.reason!);
      }
      expect(first.count()).toBeGreaterThan(0);
      expect(second.count() > 0).toBe(c.secondAsked);
    } finally {
      await home.dispose();
      await proxy.dispose();
      await first.close();
      await second.close();
    }
  });

  it('a failed fetch is not remembered: the next request tries again', async () => {
    const upstream = await startUpstream(full.path);
    upstream.fail(() => true, { status: 503 }, { times: 1 });
    const proxy = await startTestProxy({ upstream: upstream.url });
    const home = await makeGoHome({ goproxy: proxy.url });
    try {
      const [failed] = await goModDownloadJson([wanted], { env: home.env });
      expect(failed!.Error).toMatch(/answered 503/);
      const [ok] = await goModDownloadJson([wanted], { env: home.env });
      expect(ok!.Error).toBeUndefined();
    } finally {
      await home.dispose();
      await proxy.dispose();
      await upstream.close();
    }
  });
});
