// The source chain (proxy/sources/chain.ts): Go's ',' and '|' fallback over real test upstreams on
// 127.0.0.1, each answering or failing on demand.
import fs from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ModuleRequest } from '../../../proxy/protocol/index.ts';
import { PrivateSource, sourceChainFromSetting, SourceChain } from '../../../proxy/sources/index.ts';
import { makeTempDir, removeTempDir } from '../../fixtures/goCommand.ts';
import { writeModuleTree } from '../../fixtures/moduleTree.ts';
import { startUpstream, type Upstream } from '../../fixtures/upstreamServer.ts';

const modulePath = 'github.com/acme/chained';
const listRequest: ModuleRequest = { kind: 'list', module: modulePath };

let trees: string[] = [];
let first: Upstream;
let second: Upstream;

beforeAll(async () => {
  // Both serve the module; each says which one it is in its list.
  const upstreams: Upstream[] = [];
  for (const version of ['v1.0.0', 'v1.1.0']) {
    const tree = await makeTempDir('gomodproxy-chain-');
    await writeModuleTree(tree, [{ path: modulePath, version, files: { 'chained.go': 'package chained\n' } }]);
    trees.push(tree);
    upstreams.push(await startUpstream(tree));
  }
  [first, second] = upstreams as [Upstream, Upstream];
});

afterAll(async () => {
  await first?.close();
  await second?.close();
  for (const tree of trees) await removeTempDir(tree);
  trees = [];
});

afterEach(() => {
  first.clearFailures();
  second.clearFailures();
});

const chain = (setting: string) => sourceChainFromSetting(setting.replace('FIRST', first.url).replace('SECOND', second.url), { timeoutMs: 30_000 });

/** What a chain answers for the list, or the code it fails with; and which upstreams were asked. */
async function ask(setting: string): Promise<{ answer: string; asked: number[] }> {
  const before = [first.count('/@v/list'), second.count('/@v/list')];
  let answer: string;
  try {
    const { value, source } = await chain(setting).fetchBytes(listRequest);
    answer = `${value.toString().trim()} from ${source === `${first.url}` ? 'first' : source === `${second.url}` ? 'second' : source}`;
  } catch (err) {
    answer = (err as { code?: string }).code ?? String(err);
  }
  return { answer, asked: [first.count('/@v/list') - before[0]!, second.count('/@v/list') - before[1]!] };
}

describe("Go's fallback rules", () => {
  type Case = { name: string; setting: string; firstFails?: number; secondFails?: number; answer: string; asked: [number, number] };
  const cases: Case[] = [
    { name: 'the first entry that answers wins', setting: 'FIRST,SECOND', answer: 'v1.0.0 from first', asked: [1, 0] },
    { name: "',' falls back on 404", setting: 'FIRST,SECOND', firstFails: 404, answer: 'v1.1.0 from second', asked: [1, 1] },
    { name: "',' falls back on 410", setting: 'FIRST,SECOND', firstFails: 410, answer: 'v1.1.0 from second', asked: [1, 1] },
    { name: "',' stops at a 500 and says why", setting: 'FIRST,SECOND', firstFails: 500, answer: 'UPSTREAM_FAILED', asked: [1, 0] },
    { name: "'|' falls back on a 500", setting: 'FIRST|SECOND', firstFails: 500, answer: 'v1.1.0 from second', asked: [1, 1] },
    { name: "'|' falls back on 404 too", setting: 'FIRST|SECOND', firstFails: 404, answer: 'v1.1.0 from second', asked: [1, 1] },
    { name: 'every entry not found is not found', setting: 'FIRST,SECOND', firstFails: 404, secondFails: 404, answer: 'NOT_FOUND', asked: [1, 1] },
    {
      name: 'a failure is told rather than a later not found',
      setting: 'FIRST|SECOND',
      firstFails: 503,
      secondFails: 404,
      answer: 'UPSTREAM_FAILED',
      asked: [1, 1],
    },
    { name: "',' stops at an upstream's 403, as the go command does", setting: 'FIRST,SECOND', firstFails: 403, answer: 'UPSTREAM_REFUSED', asked: [1, 0] },
    { name: "'|' falls back on an upstream's 403", setting: 'FIRST|SECOND', firstFails: 403, answer: 'v1.1.0 from second', asked: [1, 1] },
    { name: "a failure outright is told before an upstream's 403", setting: 'FIRST|SECOND', firstFails: 403, secondFails: 503, answer: 'UPSTREAM_FAILED', asked: [1, 1] },
    { name: "'off' is not found without asking anyone", setting: 'off', answer: 'NOT_FOUND', asked: [0, 0] },
    { name: "'off' after ',' is reached on 404", setting: 'FIRST,off', firstFails: 404, answer: 'NOT_FOUND', asked: [1, 0] },
    { name: "'direct' without git finds nothing, and ends the list as it does for the go command", setting: 'direct,SECOND', answer: 'NOT_FOUND', asked: [0, 0] },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      if (c.firstFails) first.fail((p) => p.endsWith('/@v/list'), { status: c.firstFails });
      if (c.secondFails) second.fail((p) => p.endsWith('/@v/list'), { status: c.secondFails });
      expect(await ask(c.setting)).toEqual({ answer: c.answer, asked: c.asked });
    });
  }

  it("'|' falls back when the first upstream resets the connection", async () => {
    first.fail((p) => p.endsWith('/@v/list'), 'reset');
    expect(await ask('FIRST|SECOND')).toEqual({ answer: 'v1.1.0 from second', asked: [1, 1] });
  });

  it('a zip that failed half-way is removed before the next entry writes it', async () => {
    const folder = await makeTempDir('gomodproxy-chain-zip-');
    try {
      const file = join(folder, 'module.zip');
      first.fail((p) => p.endsWith('.zip'), { status: 500 });
      const request: ModuleRequest = { kind: 'zip', module: modulePath, version: 'v1.1.0' };
      let resets = 0;
      const { source } = await chain('FIRST|SECOND').fetchToFile(request, file, async () => {
        resets++;
        await fs.rm(file, { force: true });
      });
      expect(source).toBe(second.url);
      expect(resets).toBe(1);
      expect((await fs.readFile(file)).equals(await fs.readFile(join(trees[1]!, modulePath, '@v', 'v1.1.0.zip')))).toBe(true);
    } finally {
      await removeTempDir(folder);
    }
  });
});

describe('private sources', () => {
  it('turn "not found" into "denied", so that a client does not fall through to a public proxy', async () => {
    first.fail((p) => p.endsWith('/@v/list'), { status: 404 });
    const privateChain = new SourceChain([{ source: new PrivateSource(chain('FIRST').entries[0]!.source), fallBackOnAnyError: false }]);
    await expect(privateChain.fetchBytes(listRequest)).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});
