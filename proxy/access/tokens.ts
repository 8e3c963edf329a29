/**
 * Named tokens, for CI and machines: the settings hold only each token's SHA-256 (through an
 * env: or file: reference), so neither the settings nor the proxy's memory holds a token. A
 * client sends the token as the Basic password with any user name; it signs in as the token's
 * name. Tokens are long random strings, so one fast hash is enough (unlike passwords).
 */
import { createHash } from 'node:crypto';
import { readSecret } from '../secrets.ts';

export type TokenSetting = { name: string; sha256: string };

export class Tokens {
  private readonly nameByHash = new Map<string, string>();

  /** Reads every token's hash; throws naming the token whose hash is missing or not 64 hex digits. */
  constructor(settings: readonly TokenSetting[]) {
    settings.forEach((token, index) => {
      const hash = readSecret(token.sha256, `auth.tokens[${index}].sha256 (${token.name})`).trim().toLowerCase().replace(/^sha256:/, '');
      if (!/^[0-9a-f]{64}$/.test(hash)) {
        throw new Error(`auth.tokens[${index}].sha256 (${token.name}): expected the token's SHA-256 as 64 hex digits, e.g. from: printf %s "$TOKEN" | sha256sum`);
      }
      if (this.nameByHash.has(hash)) throw new Error(`auth.tokens[${index}] (${token.name}): the same token hash is given twice`);
      this.nameByHash.set(hash, token.name);
    });
  }

  get size(): number {
    return this.nameByHash.size;
  }

  /** The name of the token `password` is, if any. */
  nameOf(password: string): string | undefined {
    if (this.nameByHash.size === 0) return undefined;
    return this.nameByHash.get(createHash('sha256').update(password, 'utf8').digest('hex'));
  }
}
