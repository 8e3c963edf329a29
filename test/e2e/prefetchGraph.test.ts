// `gomodproxy prefetch go.mod` fetches what `go mod download all` fetches, file by file: on module
// graphs made for the edge cases of reading a graph (moduleTree.ts graphCases: pruned and unpruned
// dependencies, a main module before go 1.17, exclude, replace, a root raised by a version reached
// through a pruned edge, a workspace), the go command and prefetch ask one upstream for the same
// .info, .mod and .zip files.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escapeCase, graphCases, graphCorpus, writeModuleTree } from '../fixtures/moduleTree.ts';
import { startUpstream, type Upstream } from '../fixtures/upstreamServer.ts';
import { compareDownloadAll } from './downloadAll.ts';
import { tempFolder } from './harness.ts';

describe('prefetch reads a module graph as the go command does', () => {
  let tree: { path: string; dispose(): Promise<void> };
  let upstream: Upstream;

  beforeAll(async () => {
    tree = await tempFolder('gomodproxy-graph-tree-');
    await writeModuleTree(tree.path, graphCorpus());
    upstream = await startUpstream(tree.path);
  });
  afterAll(async () => {
    await upstream?.close();
    await tree?.dispose();
  });

  it.each(graphCases().map((c) => [c.name, c] as const))('%s', { timeout: 120_000 }, async (_name, graphCase) => {
    const folder = await tempFolder('gomodproxy-graph-main-');
    try {
      for (const [name, text] of Object.entries(graphCase.files)) {
        await mkdir(dirname(join(folder.path, name)), { recursive: true });
        await writeFile(join(folder.path, name), text);
      }
      const compared = await compareDownloadAll(folder.path, graphCase.input, upstream);
      try {
        expect(compared.prefetchRun.stdout).toMatch(/, 0 failed\n$/);
        expect(compared.prefetchRun.code).toBe(0);
        // The case shows what it is there to show: the go command itself asked for these, not those.
        const goAsked = [...compared.go.mod, ...compared.go.zip];
        for (const file of graphCase.asked) expect(goAsked, file).toContain(escapeCase(file));
        for (const file of graphCase.notAsked) expect(goAsked, file).not.toContain(escapeCase(file));
        expect(compared.prefetch).toEqual(compared.go);
      } finally {
        await compared.dispose();
      }
    } finally {
      await folder.dispose();
    }
  });
});
