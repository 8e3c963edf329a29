/**
 * The check every `.mod` passes before it is stored (for good: a .mod is immutable). An upstream
 * may answer 200 with something that is not a go.mod at all — an HTML login or error page from a
 * proxy in between — and once stored it would be served for ever and make the real zip disagree.
 *
 * The rule: the bytes must parse as a go.mod (unknown directives are skipped, as the go command's
 * modfile.ParseLax does for dependencies), and its `module` line must name the requested path.
 * A go.mod without a `module` line is accepted only for a `+incompatible` version (a repository
 * from before modules, whose go.mod the go command does not take as the module's), and then every
 * line must be a directive the go command knows, so that a page of text is not taken for one.
 */
import { proxyError } from './errors.ts';
import { parseModFile } from './protocol/index.ts';

/** Throws BAD_UPSTREAM_CONTENT (502) saying what is wrong with a served .mod. */
export function checkServedGoMod(body: Buffer, modulePath: string, version: string, servedBy: string): void {
  const what = `${servedBy} served a .mod for ${modulePath}@${version} that`;
  const text = body.toString('utf8');
  if (body.includes(0) || !Buffer.from(text, 'utf8').equals(body)) throw proxyError('BAD_UPSTREAM_CONTENT', `${what} is not UTF-8 text; refusing it`);
  let declared: string | undefined;
  try {
    declared = parseModFile(text, `${modulePath}@${version}.mod`, { lax: true }).module;
    if (declared === undefined && version.endsWith('+incompatible')) parseModFile(text, `${modulePath}@${version}.mod`);
  } catch (err) {
    throw proxyError('BAD_UPSTREAM_CONTENT', `${what} is not a go.mod (${(err as Error).message}); refusing it`);
  }
  if (declared === undefined) {
    if (version.endsWith('+incompatible')) return;
    throw proxyError('BAD_UPSTREAM_CONTENT', `${what} has no module line (an HTML page or another file?); refusing it`);
  }
  if (declared !== modulePath) {
    throw proxyError('BAD_UPSTREAM_CONTENT', `${what} declares module ${JSON.stringify(declared)}; refusing it`);
  }
}
