/**
 * The GOSUMDB setting, read as the go command reads it (cmd/go/internal/modfetch/sumdb.go):
 *
 *   off                      no checksum database
 *   <name>                   a database whose key the go command knows (sum.golang.org)
 *   <name>+<hash>+<key>      a database by its verifier key, at https://<name>
 *   <key> <url>              either of the above, reached at <url> instead (an internal mirror)
 *
 * Without a URL the database is looked for through the upstream list first (databaseRoute.ts);
 * a URL given here is used as it is, bypassing the upstreams, as GOSUMDB's does.
 *
 * sum.golang.google.cn is an alias of sum.golang.org served at https://sum.golang.google.cn.
 * The name must be host[/path]: it appears in URLs (/sumdb/<name>/…) and in storage keys.
 */
import { InvalidNoteKeyError, parseVerifierKey, type Verifier } from './note.ts';

/** The databases whose keys the go command knows by name. */
export const KNOWN_SUMDB_KEYS: Readonly<Record<string, string>> = {
  'sum.golang.org': 'sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8',
};

export type SumdbSetting =
  | { off: true }
  | {
      off: false;
      name: string;
      verifier: Verifier;
      /** The URL given, else the database's own host, https://<name>. */
      url: string;
      /** Whether the setting named the URL (then no upstream is asked for /sumdb/<name>/). */
      urlGiven: boolean;
    };

export class InvalidSumdbSettingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidSumdbSettingError';
  }
}

/** A database name: lower-case host[/path], with no empty, dot-led or odd elements. */
const NAME = /^[a-z0-9][a-z0-9.-]*(:[0-9]+)?(\/[a-z0-9_~-][a-z0-9._~-]*)*$/;

export function parseSumdbSetting(text: string): SumdbSetting {
  let setting = text.trim();
  if (setting === 'off') return { off: true };
  if (setting === 'sum.golang.google.cn') setting = 'sum.golang.org https://sum.golang.google.cn';
  const fields = setting.split(/\s+/).filter(Boolean);
  if (fields.length === 0) throw new InvalidSumdbSettingError('missing checksum database: give a name such as sum.golang.org, "name+key [url]", or off');
  if (fields.length > 2) throw new InvalidSumdbSettingError('too many fields: the form is "<name or key> [<url>]"');
  const keyField = KNOWN_SUMDB_KEYS[fields[0]!] ?? fields[0]!;
  if (!keyField.includes('+')) {
    throw new InvalidSumdbSettingError(
      `unknown checksum database ${JSON.stringify(keyField)}: give its verifier key ("name+hash+key", as the go command's GOSUMDB takes it); only ${Object.keys(KNOWN_SUMDB_KEYS).join(', ')} is known by name`,
    );
  }
  let verifier: Verifier;
  try {
    verifier = parseVerifierKey(keyField);
  } catch (err) {
    if (err instanceof InvalidNoteKeyError) throw new InvalidSumdbSettingError(err.message);
    throw err;
  }
  const name = verifier.name;
  if (!NAME.test(name)) {
    throw new InvalidSumdbSettingError(`invalid checksum database name ${JSON.stringify(name)}: it must be a lower-case host[/path]`);
  }
  const url = fields[1] ?? `https://${name}`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidSumdbSettingError(`invalid checksum database URL ${JSON.stringify(url)}: give an absolute http(s) URL`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new InvalidSumdbSettingError(`invalid checksum database URL ${JSON.stringify(url)}: only http and https are supported`);
  }
  if (parsed.username || parsed.password || parsed.search || parsed.hash) {
    throw new InvalidSumdbSettingError(`invalid checksum database URL ${JSON.stringify(url)}: no credentials, query or fragment`);
  }
  return { off: false, name, verifier, url: parsed.href.replace(/\/+$/, ''), urlGiven: fields[1] !== undefined };
}
