/**
 * Who a request is: anonymous (no Authorization header), or a user or token that signed in
 * with Basic credentials. Verified credentials are remembered for a few minutes, keyed by a
 * SHA-256 of the header (never the header itself), so a client downloading hundreds of files
 * costs one bcrypt, not hundreds; the requests a client sends at once, before the first check is
 * done, wait for that one check instead of each starting its own. The memory is emptied when the htpasswd file changes, so a
 * removed user or a changed password takes effect at once.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { parseBasicAuthorization } from './basicCredentials.ts';
import { FailedLogins } from './failedLogins.ts';
import { HtpasswdUsers } from './htpasswd.ts';
import { Tokens, type TokenSetting } from './tokens.ts';

export type Identity = {
  /** The user or token name; null for anonymous. */
  name: string | null;
  /** The groups (from auth.groups) the identity belongs to. */
  groups: ReadonlySet<string>;
};

export const ANONYMOUS: Identity = Object.freeze({ name: null, groups: new Set<string>() });

export type SignIn =
  | { outcome: 'identified'; identity: Identity }
  | { outcome: 'malformed' | 'wrong'; reason: string }
  | { outcome: 'rate-limited'; retryAfterSeconds: number };

export type IdentitySettings = {
  htpasswd?: string | undefined;
  tokens: readonly TokenSetting[];
  groups: Readonly<Record<string, readonly string[]>>;
  maxFailedLogins: number;
};

const REMEMBER_MS = 5 * 60_000;
const REMEMBER_AT_MOST = 10_000;

export class Identities {
  private readonly users: HtpasswdUsers | undefined;
  private readonly tokens: Tokens;
  private readonly groupsOf = new Map<string, Set<string>>();
  private readonly failed: FailedLogins;
  private readonly verified = new Map<string, { identity: Identity; until: number }>();
  /** Checks under way, by the same key: one bcrypt for a burst of requests with one header. */
  private readonly checking = new Map<string, Promise<SignIn>>();

  constructor(settings: IdentitySettings, logger: Logger) {
    this.tokens = new Tokens(settings.tokens);
    this.users = settings.htpasswd ? new HtpasswdUsers(settings.htpasswd, logger, () => this.verified.clear()) : undefined;
    for (const [group, members] of Object.entries(settings.groups)) {
      for (const member of members) {
        if (!this.groupsOf.has(member)) this.groupsOf.set(member, new Set());
        this.groupsOf.get(member)!.add(group);
      }
    }
    this.failed = new FailedLogins(settings.maxFailedLogins);
  }

  /** Who sent `authorization` from `address`. */
  async signIn(authorization: string | string[] | undefined, address: string): Promise<SignIn> {
    if (authorization === undefined) return { outcome: 'identified', identity: ANONYMOUS };
    const key = createHash('sha256').update(String(authorization)).digest('base64');
    const remembered = this.verified.get(key);
    if (remembered && remembered.until > Date.now()) return { outcome: 'identified', identity: remembered.identity };
    const underWay = this.checking.get(key);
    if (underWay) return underWay;
    const check = this.check(authorization, address, key).finally(() => this.checking.delete(key));
    this.checking.set(key, check);
    return check;
  }

  private async check(authorization: string | string[], address: string, key: string): Promise<SignIn> {
    const retryAfterMs = this.failed.retryAfterMs(address);
    if (retryAfterMs > 0) return { outcome: 'rate-limited', retryAfterSeconds: Math.ceil(retryAfterMs / 1000) };

    const credentials = parseBasicAuthorization(authorization);
    if (credentials === undefined || credentials === 'malformed') {
      this.failed.record(address);
      return { outcome: 'malformed', reason: 'the Authorization header is not Basic credentials (base64 of user:password)' };
    }
    const name = this.tokens.nameOf(credentials.password) ?? ((await this.users?.verify(credentials.user, credentials.password)) ? credentials.user : undefined);
    if (name === undefined) {
      this.failed.record(address);
      return { outcome: 'wrong', reason: `wrong user name, password or token (user ${JSON.stringify(credentials.user.slice(0, 64))})` };
    }
    const identity: Identity = { name, groups: this.groupsOf.get(name) ?? new Set() };
    this.remember(key, identity);
    return { outcome: 'identified', identity };
  }

  private remember(key: string, identity: Identity): void {
    if (this.verified.size >= REMEMBER_AT_MOST) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(key, { identity, until: Date.now() + REMEMBER_MS });
  }

  close(): void {
    this.users?.close();
  }
}
