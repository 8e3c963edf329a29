// Sign-in: htpasswd users (bcrypt, reloaded on change), tokens stored as SHA-256, groups, the
// failed-login limit and the memory of verified credentials.
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Identities, parseHtpasswd } from '../../../proxy/access/index.ts';

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
/** A line as `htpasswd -B` writes it ($2y$ prefix). */
const htpasswdLine = (user: string, password: string) => `${user}:${bcrypt.hashSync(password, 4).replace(/^\$2[ab]\$/, '$2y$')}`;

describe('parseHtpasswd', () => {
  it('reads bcrypt lines, skips comments and blank lines', () => {
    const users = parseHtpasswd(`# team\n${htpasswdLine('alice', 'a')}\n\n${htpasswdLine('bob', 'b')}\r\n`, 'f');
    expect([...users.keys()]).toEqual(['alice', 'bob']);
  });
  it.each([
    ['alice:$apr1$abc$def', /f line 1 \(user "alice"\): only bcrypt hashes are accepted; write the password with htpasswd -B/],
    ['alice:{SHA}abc=', /only bcrypt/],
    ['alice:plain', /only bcrypt/],
    ['no-colon', /f line 1: expected user:hash/],
  ])('%j is refused', (text, message) => {
    expect(() => parseHtpasswd(text, 'f')).toThrow(message);
  });
  it('a user listed twice is refused', () => {
    expect(() => parseHtpasswd(`${htpasswdLine('a', 'x')}\n${htpasswdLine('a', 'y')}`, 'f')).toThrow(/line 2: user "a" is listed twice/);
  });
});

describe('Identities', () => {
  let dir: string;
  let identities: Identities;
  const ciToken = 'c1-token-0123456789abcdef';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gomodproxy-identities-'));
    await writeFile(join(dir, 'htpasswd'), `${htpasswdLine('alice', 'wonderland')}\n${htpasswdLine('bob', 'builder')}\n`);
    await writeFile(join(dir, 'ci.sha256'), `${createHash('sha256').update(ciToken).digest('hex')}\n`);
    identities = new Identities(
      { htpasswd: join(dir, 'htpasswd'), tokens: [{ name: 'ci', sha256: `file:${join(dir, 'ci.sha256')}` }], groups: { 'team-a': ['alice', 'ci'] }, maxFailedLogins: 3 },
      pino({ level: 'silent' }),
    );
  });
  afterAll(async () => {
    identities.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('no header is anonymous; a user signs in with the password, a token with any user name', async () => {
    expect(await identities.signIn(undefined, 'a1')).toEqual({ outcome: 'identified', identity: { name: null, groups: new Set() } });
    expect(await identities.signIn(basic('alice', 'wonderland'), 'a1')).toEqual({ outcome: 'identified', identity: { name: 'alice', groups: new Set(['team-a']) } });
    expect(await identities.signIn(basic('bob', 'builder'), 'a1')).toEqual({ outcome: 'identified', identity: { name: 'bob', groups: new Set() } });
    expect(await identities.signIn(basic('anything', ciToken), 'a1')).toEqual({ outcome: 'identified', identity: { name: 'ci', groups: new Set(['team-a']) } });
  });

  it('wrong passwords, unknown users and malformed headers fail; past the limit an address is refused unchecked', async () => {
    expect((await identities.signIn(basic('alice', 'wrong'), 'a2')).outcome).toBe('wrong');
    expect((await identities.signIn(basic('nobody', 'wonderland'), 'a2')).outcome).toBe('wrong');
    expect((await identities.signIn('Bearer x', 'a2')).outcome).toBe('malformed');
    // The fourth attempt from a2 is refused even with a right token; another address is not.
    expect((await identities.signIn(basic('robot', ciToken), 'a2')).outcome).toBe('rate-limited');
    expect((await identities.signIn(basic('robot', ciToken), 'a3')).outcome).toBe('identified');
    // Credentials verified before still work from a limited address (they are remembered).
    expect((await identities.signIn(basic('alice', 'wonderland'), 'a2')).outcome).toBe('identified');
  });

  it("guessing a user's password from one address does not lock that user out at another", async () => {
    const fresh = new Identities({ htpasswd: join(dir, 'htpasswd'), tokens: [], groups: {}, maxFailedLogins: 2 }, pino({ level: 'silent' }));
    try {
      for (let i = 0; i < 5; i++) await fresh.signIn(basic('alice', `guess-${i}`), '203.0.113.66');
      expect((await fresh.signIn(basic('alice', 'wonderland'), '203.0.113.66')).outcome).toBe('rate-limited');
      // Never signed in before, so checked now (nothing remembered): the count is the guesser's address's, not alice's.
      expect(await fresh.signIn(basic('alice', 'wonderland'), '198.51.100.20')).toMatchObject({ outcome: 'identified', identity: { name: 'alice' } });
    } finally {
      fresh.close();
    }
  });

  it('a changed htpasswd file takes effect: a removed user is refused, remembered or not', async () => {
    expect((await identities.signIn(basic('bob', 'builder'), 'a4')).outcome).toBe('identified');
    await writeFile(join(dir, 'htpasswd'), `${htpasswdLine('alice', 'wonderland')}\n${htpasswdLine('carol', 'c')}\n`);
    for (let attempt = 0; ; attempt++) {
      // Reloaded once carol can sign in (the file is polled). Each try comes from another
      // address: failed tries from one address would be rate-limited for a minute.
      if ((await identities.signIn(basic('carol', 'c'), `a5-${attempt}`)).outcome === 'identified') break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect((await identities.signIn(basic('bob', 'builder'), 'a4')).outcome).toBe('wrong');
  });
});
