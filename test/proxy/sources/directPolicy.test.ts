// What `direct` may reach: which addresses are public, how direct.allowInternal and direct.vcs
// read, and the check itself with the machine's own resolver (only names /etc/hosts answers).
import { describe, expect, it } from 'vitest';
import { isPublicAddress } from '../../../proxy/sources/git/addresses.ts';
import { DirectPolicy, parseAllowInternal, pinnedResolve } from '../../../proxy/sources/git/directPolicy.ts';
import { isProxyError } from '../../../proxy/errors.ts';

describe('public addresses', () => {
  const table: Array<[string, boolean]> = [
    ['8.8.8.8', true],
    ['140.82.112.3', true],
    ['2606:4700::1111', true],
    ['127.0.0.1', false],
    ['127.1.2.3', false],
    ['0.0.0.0', false],
    ['10.1.2.3', false],
    ['172.16.0.1', false],
    ['172.31.255.255', false],
    ['172.32.0.1', true],
    ['192.168.1.1', false],
    ['100.64.0.1', false],
    ['169.254.169.254', false],
    ['192.0.2.1', false],
    ['198.18.0.1', false],
    ['224.0.0.1', false],
    ['255.255.255.255', false],
    ['::', false],
    ['::1', false],
    ['fe80::1', false],
    ['fd00::1', false],
    ['ff02::1', false],
    ['2001:db8::1', false],
    ['::ffff:127.0.0.1', false],
    ['::ffff:7f00:1', false],
    ['::ffff:8.8.8.8', true],
    ['64:ff9b::a00:1', false],
    ['2002:c0a8:101::1', false],
    ['not-an-address', false],
  ];
  it.each(table)('%s is public: %s', (address, expected) => {
    expect(isPublicAddress(address)).toBe(expected);
  });
});

describe('direct.allowInternal', () => {
  it('reads addresses, ranges and host name globs', () => {
    const { ranges, names } = parseAllowInternal(['127.0.0.1', '10.0.0.0/8', 'fd00::/8', '*.lab.example', 'Git.Corp.Example']);
    expect(ranges.map((r) => `${r.network}/${r.prefix}`)).toEqual(['127.0.0.1/32', '10.0.0.0/8', 'fd00::/8']);
    expect(names).toEqual(['*.lab.example', 'git.corp.example']);
  });
  it.each(['10.0.0.0/33', '10.0.0', '::1/129', 'host/path', '[x'])('refuses %s', (entry) => {
    expect(() => parseAllowInternal([entry])).toThrow();
  });
});

async function refusal(promise: Promise<unknown>): Promise<{ status: number; message: string; detail: string }> {
  try {
    await promise;
  } catch (err) {
    if (!isProxyError(err)) throw err;
    return { status: err.status, message: err.message, detail: (err.cause as Error | undefined)?.message ?? '' };
  }
  throw new Error('expected a refusal');
}

describe('the check before git connects', () => {
  const strict = new DirectPolicy({ vcs: '*:git', allowInternal: [] });

  it('refuses an IP address as the host, public or not, unless a range holds it', async () => {
    for (const host of ['127.0.0.1', '8.8.8.8', '[::1]']) {
      const refused = await refusal(strict.checkHost(`${host}/x.git`, host));
      expect(refused.status).toBe(403);
      expect(refused.message).toMatch(/IP address/);
    }
    const allowing = new DirectPolicy({ vcs: '*:git', allowInternal: ['127.0.0.0/8'] });
    expect(await allowing.checkHost('127.0.0.1/x.git', '127.0.0.1')).toEqual({ host: '127.0.0.1', addresses: ['127.0.0.1'] });
  });

  it('resolves a name and refuses it when an address is not public; the addresses go to the cause only', async () => {
    const refused = await refusal(strict.checkHost('git.lab.example/x', 'localhost'));
    expect(refused.status).toBe(403);
    expect(refused.message).toMatch(/not a public address/);
    expect(refused.message).not.toMatch(/127\.0\.0\.1|::1/);
    expect(refused.detail).toMatch(/localhost resolves to .*(127\.0\.0\.1|::1)/);
  });

  it('checks every address a name has: one internal address is enough to refuse', async () => {
    const twoFaced = new DirectPolicy({ vcs: '*:git', allowInternal: [] }, async () => ['140.82.112.3', '10.0.0.7']);
    expect((await refusal(twoFaced.checkHost('evil.example/x', 'evil.example'))).status).toBe(403);
    const plain = new DirectPolicy({ vcs: '*:git', allowInternal: [] }, async () => ['140.82.112.3']);
    const checked = await plain.checkHost('good.example/x', 'good.example');
    expect(pinnedResolve(checked, new URL('https://good.example/x'))).toEqual({ 'http.curloptResolve': 'good.example:443:140.82.112.3' });
  });

  it('lets a host named in allowInternal through by name, without resolving it', async () => {
    const byName = new DirectPolicy({ vcs: '*:git', allowInternal: ['*.lab.example'] }, async () => {
      throw new Error('must not resolve');
    });
    expect(await byName.checkHost('git.lab.example/x', 'git.lab.example')).toEqual({ host: 'git.lab.example', addresses: null });
  });

  it('refuses paths direct.vcs turns off', () => {
    const policy = new DirectPolicy({ vcs: 'github.com/acme:git,github.com:off,*:git', allowInternal: [] });
    expect(() => policy.checkModule('github.com/acme/x')).not.toThrow();
    expect(() => policy.checkModule('github.com/other/x')).toThrow(/direct\.vcs/);
    expect(() => policy.checkModule('gitlab.com/x/y')).not.toThrow();
  });
});
