// The web page, as a browser gets it from a proxy holding 100,000 module versions (the store of
// bench/startup.ts, 10,000 modules × 10 versions, generated once):
//
// - its total transfer on a first visit: the HTML shell and every asset it names, compressed as the
//   proxy sends them to a browser that accepts brotli (and, second, one that accepts only gzip),
//   against the same files uncompressed. Target: under 200 KB.
// - the time to first byte of a module's page on a warm visit: the shell (revalidated on every
//   visit; the assets are cached for a year, so not asked again) and then its one API call,
//   /api/module, one after the other as the page makes them; against the go command's own request
//   about the same module, @v/list, measured alternately in the same run. Target: under 50 ms.
// - the time to first byte of the search API, the page's other hot call: a prefix search
//   (`github.com/bench-org-42/`, 100 modules) and a substring search (`module-042`, which scans
//   every path), first page of 50; against @v/list too. Target: under 50 ms.
//
//   node bench/webPage.ts [--requests 200] [--modules 10000] [--versions 10]

import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { escapeCase } from '../test/fixtures/moduleTree.ts';
import { bigStoreModulePath, ensureBigStore } from './bigStore.ts';
import { withCleanup } from './cleanup.ts';
import { spawnProxyProcess } from './processes.ts';
import { progress, runStandalone, sideBySide, type BenchResult } from './results.ts';

export type WebPageOptions = { requests: number; modules: number; versions: number };

export const webPageDefaults: WebPageOptions = { requests: 200, modules: 10_000, versions: 10 };

/** Milliseconds until the answer's status line and headers are in (its first byte), and its body's size as sent. */
async function firstByte(pool: Pool, path: string, headers: Record<string, string> = {}): Promise<{ ms: number; bytes: number; status: number; body: Buffer }> {
  const started = performance.now();
  const response = await pool.request({ method: 'GET', path, headers });
  const ms = performance.now() - started;
  const body = Buffer.from(await response.body.arrayBuffer());
  if (response.statusCode !== 200) throw new Error(`GET ${path} answered ${response.statusCode}: ${body.toString().slice(0, 300)}`);
  return { ms, bytes: body.length, status: response.statusCode, body };
}

/** The shell and the assets it names, as sent with this Accept-Encoding, in bytes of body. */
async function pageTransfer(pool: Pool, acceptEncoding: string): Promise<number> {
  const shell = await firstByte(pool, '/', { 'accept-encoding': acceptEncoding });
  const html = acceptEncoding === 'identity' ? shell.body.toString() : (await firstByte(pool, '/', { 'accept-encoding': 'identity' })).body.toString();
  const assets = [...html.matchAll(/"(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
  if (assets.length === 0) throw new Error('the shell names no asset');
  let total = shell.bytes;
  for (const asset of assets) total += (await firstByte(pool, asset, { 'accept-encoding': acceptEncoding })).bytes;
  return total;
}

export function webPage(options: Partial<WebPageOptions> = {}): Promise<BenchResult> {
  const { requests, modules, versions } = { ...webPageDefaults, ...options };
  const totalVersions = modules * versions;
  const began = performance.now();
  return withCleanup(async (cleanup) => {
    const store = join(tmpdir(), `gomodproxy-bench-startup-${totalVersions >= 1000 ? `${Math.round(totalVersions / 1000)}k` : totalVersions}`);
    progress(`web page: ${store}: ${modules} modules × ${versions} versions`);
    await ensureBigStore(store, { modules, versionsPerModule: versions }, progress);
    const proxy = await spawnProxyProcess(cleanup, { upstream: 'off', storagePath: store });
    const pool = new Pool(proxy.url, { connections: 1 });
    cleanup.defer('close the connection', () => pool.close());

    // The catalog behind the API is read from the store after start: wait until it holds every module.
    const modulePath = bigStoreModulePath(Math.floor(modules / 2));
    const readySince = performance.now();
    for (;;) {
      const answer = await pool.request({ method: 'GET', path: `/api/modules?q=${encodeURIComponent(modulePath)}&limit=1` });
      const body = (await answer.body.json().catch(() => null)) as { total?: number } | null;
      if (answer.statusCode === 200 && body?.total === 1) break;
      if (performance.now() - readySince > 600_000) throw new Error(`the API did not list ${modulePath} within 10 minutes of start`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    progress(`web page: the API lists the store ${((performance.now() - readySince) / 1000).toFixed(1)} s after the proxy was ready`);

    const brotli = await pageTransfer(pool, 'br, gzip');
    const gzip = await pageTransfer(pool, 'gzip');
    const identity = await pageTransfer(pool, 'identity');

    const shellPath = `/ui/module/${modulePath}`;
    const apiPath = `/api/module?path=${encodeURIComponent(modulePath)}`;
    const listPath = `/${escapeCase(modulePath)}/@v/list`;
    const headers = { 'accept-encoding': 'br, gzip' };
    for (let i = 0; i < 20; i++) {
      await firstByte(pool, shellPath, headers);
      await firstByte(pool, apiPath, headers);
      await firstByte(pool, listPath, headers);
    }
    const prefixPath = `/api/modules?q=${encodeURIComponent('github.com/bench-org-42/')}&match=prefix&limit=50`;
    const substringPath = `/api/modules?q=module-042&match=substring&limit=50`;
    for (const path of [prefixPath, substringPath]) {
      const answer = await firstByte(pool, path, headers);
      if (answer.status !== 200) throw new Error(`GET ${path} answered ${answer.status}`);
    }
    const pageMs: number[] = [];
    const prefixMs: number[] = [];
    const substringMs: number[] = [];
    const listMs: number[] = [];
    for (let i = 0; i < requests; i++) {
      const shell = await firstByte(pool, shellPath, headers);
      const api = await firstByte(pool, apiPath, headers);
      pageMs.push(shell.ms + api.ms);
      prefixMs.push((await firstByte(pool, prefixPath, headers)).ms);
      substringMs.push((await firstByte(pool, substringPath, headers)).ms);
      listMs.push((await firstByte(pool, listPath, headers)).ms);
    }
    const kb = (bytes: number) => Math.round(bytes / 10.24) / 100;
    return {
      name: 'webpage',
      title: 'Web page: transfer size, module page and search time to first byte',
      setup:
        `\`gomodproxy serve\` (the installed command, a child process, upstream off) on a disk store of ${totalVersions.toLocaleString('en')} versions ` +
        `(${modules.toLocaleString('en')} modules × ${versions}, bench/bigStore.ts), one keep-alive connection. ` +
        `Transfer: the body bytes of the shell and every asset it names as sent for Accept-Encoding "br, gzip" and "gzip", against "identity". ` +
        `Time to first byte of a module page, warm: GET ${'/ui/module/<path>'} then GET /api/module?path=<path>, one after the other, summed; ` +
        `Search: GET /api/modules by prefix and by substring, first page of 50. ` +
        `Each against GET <path>/@v/list, alternating, median of ${requests} each after 20 warm-up rounds.`,
      measurements: [
        sideBySide({ measure: 'page transfer, brotli, vs uncompressed', unit: 'KB', baselineName: 'uncompressed', target: { on: 'value', atMost: 200 } }, [kb(brotli)], [kb(identity)]),
        sideBySide({ measure: 'page transfer, gzip only, vs uncompressed', unit: 'KB', baselineName: 'uncompressed', target: { on: 'value', atMost: 200 } }, [kb(gzip)], [kb(identity)]),
        sideBySide(
          { measure: `module page (shell + /api/module) time to first byte on ${totalVersions.toLocaleString('en')} versions vs @v/list`, unit: 'ms', baselineName: '@v/list', target: { on: 'value', atMost: 50 } },
          pageMs,
          listMs,
        ),
        sideBySide(
          { measure: `search API, prefix (100 of ${modules.toLocaleString('en')} modules, first 50) time to first byte vs @v/list`, unit: 'ms', baselineName: '@v/list', target: { on: 'value', atMost: 50 } },
          prefixMs,
          listMs,
        ),
        sideBySide(
          { measure: `search API, substring over every module path, time to first byte vs @v/list`, unit: 'ms', baselineName: '@v/list', target: { on: 'value', atMost: 50 } },
          substringMs,
          listMs,
        ),
      ],
      notes: [],
      seconds: (performance.now() - began) / 1000,
    };
  });
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { requests: { type: 'string' }, modules: { type: 'string' }, versions: { type: 'string' } } });
  await runStandalone(() =>
    webPage({
      ...(values.requests !== undefined && { requests: Number(values.requests) }),
      ...(values.modules !== undefined && { modules: Number(values.modules) }),
      ...(values.versions !== undefined && { versions: Number(values.versions) }),
    }),
  );
}
