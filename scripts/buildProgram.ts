/**
 * Builds the program as the image runs it: `node scripts/buildProgram.ts OUT` writes a folder that
 * runs on Node alone, with no node_modules (the Dockerfile copies it to /app):
 *
 *   OUT/bin/gomodproxy.js   the installed command (a copy of bin/)
 *   OUT/dist/               the TypeScript sources and every dependency, bundled by esbuild into
 *                           ES modules: main.js and processSettings.js (what the bin runs),
 *                           checkZipWorker.js (the zip check's thread) and the chunks they share
 *                           or load lazily (each command, the S3 client, the HTTP client)
 *   OUT/web/built/          the web page's built assets (a copy of proxy/web/built/)
 *   OUT/package.json        name, version and "type": "module"
 *   OUT/THIRD-PARTY-NOTICES the license and notice files of every library in the bundle and in the
 *                           web page (the bundle leaves the packages' own files behind)
 *
 * Why a bundle, measured against the same sources compiled file by file by tsc (bench/README.md,
 * "One bundle instead of node_modules"): an idle serve holds about 4 MiB less and its peaks under
 * load 11-13 MiB less (a few dozen modules instead of some 960, and only the parts of each library
 * that are used), and the image carries 6 MB of JavaScript instead of 139 MB of node_modules.
 *
 * Everything lands in the one folder dist/, so what a module finds beside itself through
 * import.meta.url is there: the worker's file (`./checkZipWorker.js`) and the web page
 * (`../web/built/`). Whitespace and syntax are minified, identifiers are not: a stack trace in the
 * log still names the functions it passed through.
 */
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { webPageInputs } from '../proxy/web/build.ts';
import { packageFoldersOf, thirdPartyNotices } from './thirdPartyNotices.ts';

const root = join(import.meta.dirname, '..');
const target = process.argv[2];
if (target === undefined) {
  process.stderr.write('usage: node scripts/buildProgram.ts OUT (a folder; what it holds is replaced)\n');
  process.exit(2);
}
const out = resolve(target);

rmSync(out, { recursive: true, force: true });
const { metafile } = await build({
  absWorkingDir: root,
  entryPoints: ['cli/main.ts', 'cli/processSettings.ts', 'proxy/modzip/checkZipWorker.ts'],
  outdir: join(out, 'dist'),
  entryNames: '[name]',
  chunkNames: '[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node24',
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  metafile: true,
  // The CommonJS libraries inside call require() for Node's own modules; an ES module has none.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  logLevel: 'warning',
});

cpSync(join(root, 'bin'), join(out, 'bin'), { recursive: true });
mkdirSync(join(out, 'web'));
cpSync(join(root, 'proxy', 'web', 'built'), join(out, 'web', 'built'), { recursive: true });
const { name, version, description, license, bin } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
writeFileSync(join(out, 'package.json'), `${JSON.stringify({ name, version, description, license, type: 'module', bin }, null, 2)}\n`);
const bundled = Object.keys(metafile.inputs).map((input) => join(root, input));
writeFileSync(join(out, 'THIRD-PARTY-NOTICES'), thirdPartyNotices(packageFoldersOf([...bundled, ...(await webPageInputs())])));
process.stdout.write(`wrote ${out}\n`);
