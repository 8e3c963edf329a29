/**
 * Users from an Apache htpasswd file, as `htpasswd -B` (and nginx, Athens) keep them:
 * one `user:hash` a line, `#` comments. Only bcrypt hashes ($2y$, $2b$, $2a$) are accepted:
 * the other formats htpasswd knows (apr1-MD5, SHA-1, crypt, plain) are fast to guess, so a file
 * holding one is refused with the line that does. The file is re-read when it changes; a
 * changed file that does not parse is logged and the users loaded before stay in force.
 */
import { readFileSync } from 'node:fs';
import bcrypt from 'bcryptjs';
import type { Logger } from 'pino';
import { watchFiles } from '../watchedFiles.ts';

const BCRYPT = /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/;

/** A hash no password matches, compared against for unknown users so that they take as long. */
const UNKNOWN_USER_HASH = '$2b$10$' + '.'.repeat(53);

/** Parses htpasswd text into user -> bcrypt hash; throws naming the first bad line. */
export function parseHtpasswd(text: string, file: string): Map<string, string> {
  const users = new Map<string, string>();
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const colon = line.indexOf(':');
    const where = `${file} line ${index + 1}`;
    if (colon <= 0) throw new Error(`${where}: expected user:hash`);
    const user = line.slice(0, colon);
    const hash = line.slice(colon + 1);
    if (!BCRYPT.test(hash)) {
      throw new Error(`${where} (user ${JSON.stringify(user)}): only bcrypt hashes are accepted; write the password with htpasswd -B`);
    }
    if (users.has(user)) throw new Error(`${where}: user ${JSON.stringify(user)} is listed twice`);
    users.set(user, hash);
  });
  return users;
}

export class HtpasswdUsers {
  private users: Map<string, string>;
  private readonly stopWatching: () => void;

  /** Reads `file` (throws when it cannot be used) and re-reads it on change, then calls `onReload`. */
  constructor(file: string, logger: Logger, onReload: () => void) {
    this.users = HtpasswdUsers.read(file);
    this.stopWatching = watchFiles([file], () => {
      try {
        this.users = HtpasswdUsers.read(file);
      } catch (err) {
        logger.warn({ reason: (err as Error).message }, 'auth: the changed htpasswd file does not load; keeping the users loaded before');
        return;
      }
      logger.info({ file, users: this.users.size }, 'auth: htpasswd reloaded');
      onReload();
    });
  }

  private static read(file: string): Map<string, string> {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new Error(`auth.htpasswd: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    return parseHtpasswd(text, file);
  }

  /** True when `user` is listed with a hash `password` matches. */
  async verify(user: string, password: string): Promise<boolean> {
    const hash = this.users.get(user);
    const matches = await bcrypt.compare(password, hash ?? UNKNOWN_USER_HASH);
    return hash !== undefined && matches;
  }

  close(): void {
    this.stopWatching();
  }
}
