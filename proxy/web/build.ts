/**
 * Builds the web page from src/: one script and one stylesheet, minified, named by their content
 * (so the proxy can let browsers cache them for a year), and the HTML shell that names them.
 * Deterministic: the same sources and esbuild version give the same bytes, which is how the test of
 * built/ tells that it is current. `npm run web` writes built/.
 */
import { readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { build, type BuildOptions } from 'esbuild';

const source = join(import.meta.dirname, 'src');

const options = {
  entryPoints: [join(source, 'main.tsx')],
  bundle: true,
  write: false,
  minify: true,
  format: 'esm',
  target: ['es2022', 'chrome110', 'firefox110', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  entryNames: '[name].[hash]',
  outdir: 'assets',
  legalComments: 'none',
  charset: 'utf8',
  logLevel: 'silent',
  tsconfig: join(import.meta.dirname, 'tsconfig.json'),
} satisfies BuildOptions;

/** The absolute paths of the files the built page is made of, libraries' included (for the image's notices). */
export async function webPageInputs(): Promise<string[]> {
  const { metafile } = await build({ ...options, metafile: true });
  return Object.keys(metafile.inputs).map((input) => resolve(input));
}

/** The built page: file name (relative to built/) → content. */
export async function buildWebPage(): Promise<Map<string, Uint8Array>> {
  const result = await build(options);
  const files = new Map<string, Uint8Array>();
  const names: Record<string, string> = {};
  for (const output of result.outputFiles) {
    const name = basename(output.path);
    names[`main${name.slice(name.lastIndexOf('.'))}`] = name;
    files.set(`assets/${name}`, output.contents);
  }
  const shell = readFileSync(join(source, 'index.html'), 'utf8').replace(/\{\{(main\.(?:js|css))\}\}/g, (_whole, key: string) => {
    const name = names[key];
    if (!name) throw new Error(`index.html names ${key}, which the build did not produce`);
    return name;
  });
  files.set('index.html', new TextEncoder().encode(shell));
  return files;
}
