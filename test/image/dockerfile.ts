// Reads what the image test needs from the Dockerfile: the final stage's environment, files,
// user, entrypoint and command (installDependencies.sh reads the dependency stage's npm ci line).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export type ImageRecipe = {
  env: Record<string, string>;
  /** The sources of the final stage's COPY instructions that come from the build context. */
  copied: string[];
  workdir: string;
  user: string;
  entrypoint: string[];
  cmd: string[];
};

export const dockerfilePath = join(import.meta.dirname, '..', '..', 'Dockerfile');

/** Instructions with their continuation lines joined, comments dropped. */
function instructions(text: string): Array<{ keyword: string; args: string }> {
  const joined = text.replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [keyword, ...rest] = line.split(/\s+/);
      return { keyword: keyword!.toUpperCase(), args: rest.join(' ') };
    });
}

export function readImageRecipe(text = readFileSync(dockerfilePath, 'utf8')): ImageRecipe {
  const all = instructions(text);
  const lastFrom = all.map((i) => i.keyword).lastIndexOf('FROM');
  const dependencies = all.slice(0, lastFrom);
  const final = all.slice(lastFrom + 1);
  if (!dependencies.some((i) => i.keyword === 'RUN' && i.args.startsWith('npm ci'))) {
    throw new Error('Dockerfile: no "RUN npm ci" in the dependency stage');
  }
  const env: Record<string, string> = {};
  for (const { args } of final.filter((i) => i.keyword === 'ENV')) {
    for (const [, name, value] of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=(\S+)/g)) env[name!] = value!;
  }
  const copied = final
    .filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from'))
    .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
  const single = (keyword: string) => {
    const found = final.filter((i) => i.keyword === keyword).at(-1);
    if (!found) throw new Error(`Dockerfile: no ${keyword} in the final stage`);
    return found.args;
  };
  return {
    env,
    copied,
    workdir: single('WORKDIR'),
    user: single('USER'),
    entrypoint: JSON.parse(single('ENTRYPOINT')) as string[],
    cmd: JSON.parse(single('CMD')) as string[],
  };
}
