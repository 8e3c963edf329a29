// The container image, proven without a container engine: the Dockerfile passes a linter, and its
// production command line — the same entrypoint and arguments, its environment, the files it
// copies with the dependencies its own `npm ci` line installs (installDependencies.sh), as an
// unprivileged user that cannot write to the program's folder — serves modules to the go command
// and stops cleanly on SIGTERM.
import { spawn, execFileSync } from 'node:child_process';
import { chmod, chown, cp, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { validate } from 'dockerfile-utils';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goModDownloadJson, makeGoHome } from '../fixtures/goCommand.ts';
import { standardCorpus, writeModuleTree } from '../fixtures/moduleTree.ts';
import { startChecksumDatabase, type ChecksumDatabaseServer } from '../fixtures/sumdbServer.ts';
import { startUpstream, type Upstream } from '../fixtures/upstreamServer.ts';
import { repositoryRoot, tempFolder } from '../e2e/harness.ts';
import { dockerfilePath, readImageRecipe } from './dockerfile.ts';

const recipe = readImageRecipe();
const isRoot = process.getuid?.() === 0;
/** The unprivileged user the command runs as: nobody when the tests run as root, else the tests' own user. */
const runAs = isRoot ? { uid: 65534, gid: 65534 } : null;

describe('the container image', () => {
  let root: { path: string; dispose(): Promise<void> };
  let app: string;
  let data: string;
  let tmp: string;
  let bin: string;
  let tree: { path: string; dispose(): Promise<void> };
  let upstream: Upstream;
  let db: ChecksumDatabaseServer;

  /** A path of the image, mapped into the test's folder. */
  const mapped = (value: string) =>
    value.replace(/^\/(app|data|tmp)(?=\/|$)/, (_, folder: string) => ({ app, data, tmp })[folder as 'app' | 'data' | 'tmp']);

  beforeAll(async () => {
    root = await tempFolder('gomodproxy-image-');
    await chmod(root.path, 0o755);
    app = join(root.path, 'app');
    data = join(root.path, 'data');
    tmp = join(root.path, 'tmp');
    bin = join(root.path, 'usr-local-bin');
    for (const folder of [app, data, tmp, bin]) await mkdir(folder);

    // The dependency stage: its own `npm ci` line, run by npm test's pretest into a cache folder.
    const dependencies = execFileSync('bash', [join(import.meta.dirname, 'installDependencies.sh')], { encoding: 'utf8' }).trim();
    await cp(join(dependencies, 'node_modules'), join(app, 'node_modules'), { recursive: true, verbatimSymlinks: true });
    // The final stage's files.
    for (const source of recipe.copied) await cp(join(repositoryRoot, source), join(app, source), { recursive: true });
    // The image's Node: the same Node 24 the tests run on.
    await cp(process.execPath, join(bin, 'node'));
    execFileSync('chmod', ['-R', 'a+rX,go-w', app, bin]);
    if (runAs) {
      await chown(data, runAs.uid, runAs.gid);
      await chown(tmp, runAs.uid, runAs.gid);
    }

    tree = await tempFolder('gomodproxy-image-tree-');
    await writeModuleTree(tree.path, standardCorpus());
    upstream = await startUpstream(tree.path);
    db = await startChecksumDatabase();
    await db.addFixtures(standardCorpus());
  });
  afterAll(async () => {
    await db?.close();
    await upstream?.close();
    await tree?.dispose();
    await root?.dispose();
  });

  it('has a Dockerfile that the linter finds nothing in', () => {
    const problems = validate(readFileSync(dockerfilePath, 'utf8'));
    expect(problems.map((p) => `${p.range.start.line + 1}: ${p.message}`)).toEqual([]);
  });

  it('runs as an unprivileged user with a read-only program folder, with no dev dependency and no bundled Node', () => {
    expect(recipe.user).not.toMatch(/^(0|root)(:|$)/);
    expect(recipe.env['NODE_ENV']).toBe('production');
    execFileSync(join(bin, 'node'), ['-e', 'require.resolve("fastify")'], { cwd: app });
    expect(() => execFileSync(join(bin, 'node'), ['-e', 'require.resolve("vitest")'], { cwd: app, stdio: 'pipe' })).toThrow();
    expect(() => execFileSync(join(bin, 'node'), ['-e', 'require.resolve("node/package.json")'], { cwd: app, stdio: 'pipe' })).toThrow();
  });

  it('serves modules to the go command with its production command line, and stops on SIGTERM', async () => {
    const command = [...recipe.entrypoint, ...recipe.cmd].map(mapped);
    const env: NodeJS.ProcessEnv = {
      ...Object.fromEntries(Object.entries(recipe.env).map(([k, v]) => [k, mapped(v)])),
      PATH: `${bin}:/usr/bin:/bin`,
      TMPDIR: tmp,
      // The image's defaults reach the internet; here everything is on 127.0.0.1.
      GOMODPROXY_LISTEN: '127.0.0.1:0',
      GOMODPROXY_UPSTREAM: upstream.url,
      GOMODPROXY_SUMDB: db.setting,
    };
    expect(command.slice(0, 2)).toEqual(['/usr/bin/tini', '--']);
    const [program, ...args] = runAs
      ? ['setpriv', `--reuid=${runAs.uid}`, `--regid=${runAs.gid}`, '--clear-groups', '--', ...command]
      : command;
    const child = spawn(program!, args, { cwd: mapped(recipe.workdir), env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve, reject) => {
      child.once('exit', (code) => resolve(code));
      child.once('error', reject);
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the image's command did not start within 30 s:\n${output}`)), 30_000);
        child.stdout.on('data', () => {
          const match = /"url":"(http:\/\/[^"]+)"/.exec(output);
          if (match) {
            clearTimeout(timer);
            resolve(match[1]!);
          }
        });
        void exited.then((code) => reject(new Error(`the image's command exited with ${code}:\n${output}`)));
      });
      const home = await makeGoHome({ goproxy: url, gosumdb: db.vkey });
      try {
        const targets = standardCorpus().slice(0, 6).map((m) => `${m.path}@${m.version}`);
        const results = await goModDownloadJson(targets, { env: home.env });
        expect(results.map((r) => r.Error ?? 'ok')).toEqual(targets.map(() => 'ok'));
      } finally {
        await home.dispose();
      }
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(output).toMatch(/shutting down: finishing in-flight requests/);
  });
});
