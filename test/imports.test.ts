// The folders' import rules (DESIGN.md, "Layout"): cli/ is the only place that imports both
// halves; proxy/ imports nothing of the operator or the command line; the operator imports of the
// proxy only its settings schema, proxy/config.ts, so the ConfigMap it renders is checked by the
// schema the proxy loads. The web page's sources talk to the proxy over HTTP only: they import
// nothing of the server, and the server nothing of them.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';

const root = join(import.meta.dirname, '..');

function sources(folder: string): string[] {
  return readdirSync(join(root, folder), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') || file.endsWith('.tsx'))
    .map((file) => join(folder, file));
}

/** Each relative import of a file, as a path from the repository root. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'(\.[^']+)'/gm)].map((match) => relative(root, resolve(root, dirname(file), match[1]!)));
}

const importsInto = (folder: string, target: string) =>
  sources(folder).flatMap((file) => importsOf(file).filter((path) => path.startsWith(`${target}/`)).map((path) => `${file} -> ${path}`));

describe('imports between the folders', () => {
  test('proxy/ imports nothing of operator/ or cli/', () => {
    expect([...importsInto('proxy', 'operator'), ...importsInto('proxy', 'cli')]).toEqual([]);
  });

  test('operator/ imports of proxy/ only the settings schema, and nothing of cli/', () => {
    const intoProxy = importsInto('operator', 'proxy');
    expect(intoProxy.length).toBeGreaterThan(0);
    expect(intoProxy.filter((edge) => !edge.endsWith('-> proxy/config.ts'))).toEqual([]);
    expect(importsInto('operator', 'cli')).toEqual([]);
  });

  test('proxy/web/src/ imports only its own files, and nothing imports it', () => {
    const outside = sources('proxy/web/src').flatMap((file) => importsOf(file).filter((path) => !path.startsWith('proxy/web/src/')).map((path) => `${file} -> ${path}`));
    expect(outside).toEqual([]);
    const into = ['cli', 'proxy', 'operator'].flatMap((folder) => sources(folder).filter((file) => !file.startsWith('proxy/web/')).flatMap((file) => importsOf(file).filter((path) => path.startsWith('proxy/web/src/')).map((path) => `${file} -> ${path}`)));
    expect(into).toEqual([]);
    expect(sources('proxy/web/src').length).toBeGreaterThan(10);
  });
});
