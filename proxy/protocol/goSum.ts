/**
 * go.sum files: one line per hash, `<module> <version> h1:<base64>` for a module zip's
 * dirhash and `<module> <version>/go.mod h1:<base64>` for its go.mod alone. Blank lines are
 * allowed; anything else is an error naming the line.
 */
import { checkModulePath } from './modulePath.ts';
import { isCanonicalVersion } from './semver.ts';

export type GoSumLine = { path: string; version: string; goMod: boolean; hash: string };

export class GoSumError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GoSumError';
  }
}

export function parseGoSum(text: string, file = 'go.sum'): GoSumLine[] {
  const lines: GoSumLine[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const where = `${file}:${i + 1}`;
    const fields = line.trim().split(/\s+/);
    const [path, versionField, hash] = fields;
    if (fields.length !== 3 || !path || !versionField || !hash || !/^h1:[A-Za-z0-9+/]{43}=$/.test(hash)) {
      throw new GoSumError(`${where}: not a go.sum line ("<module> <version>[/go.mod] h1:<hash>"): ${JSON.stringify(line)}`);
    }
    const goMod = versionField.endsWith('/go.mod');
    const version = goMod ? versionField.slice(0, -'/go.mod'.length) : versionField;
    try {
      checkModulePath(path);
    } catch (err) {
      throw new GoSumError(`${where}: ${(err as Error).message}`);
    }
    if (!isCanonicalVersion(version)) throw new GoSumError(`${where}: ${JSON.stringify(version)} is not a canonical version`);
    lines.push({ path, version, goMod, hash });
  });
  return lines;
}

/** The go.sum line for a hash, as the go command writes it. */
export function formatGoSumLine(line: GoSumLine): string {
  return `${line.path} ${line.version}${line.goMod ? '/go.mod' : ''} ${line.hash}\n`;
}
