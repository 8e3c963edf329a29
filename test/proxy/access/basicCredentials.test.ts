// The Authorization header parser: well-formed Basic credentials parse; everything else, including
// random bytes, is "malformed" — never an exception, never credentials.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseBasicAuthorization } from '../../../proxy/access/index.ts';

const basic = (text: string) => `Basic ${Buffer.from(text, 'utf8').toString('base64')}`;

describe('parseBasicAuthorization', () => {
  it.each([
    [basic('alice:secret'), { user: 'alice', password: 'secret' }],
    [basic('alice:pa:ss:word'), { user: 'alice', password: 'pa:ss:word' }],
    [basic('x:'), { user: 'x', password: '' }],
    [`basic ${Buffer.from('bob:pw').toString('base64')}`, { user: 'bob', password: 'pw' }],
    [basic('jörg:pässwörd'), { user: 'jörg', password: 'pässwörd' }],
  ])('%s parses', (header, want) => {
    expect(parseBasicAuthorization(header)).toEqual(want);
  });

  it('no header is anonymous', () => {
    expect(parseBasicAuthorization(undefined)).toBeUndefined();
  });

  it.each([
    '',
    'Basic',
    'Basic ',
    'Bearer abc.def.ghi',
    'Digest username="alice"',
    basic(':password'),
    basic('no-colon'),
    basic('nul\0user:pw'),
    basic('alice:line\nbreak'),
    'Basic !!!!',
    'Basic YWxpY2U6c2VjcmU', // "alice:secre" without its padding
    'Basic YWxp Y2U6',
    'Basic YWxpY2U6c2VjcmV0====',
    `Basic ${Buffer.from([0x61, 0x3a, 0xff, 0xfe]).toString('base64')}`, // not UTF-8
    `Basic ${'A'.repeat(5000)}`,
  ])('case %# is malformed', (header) => {
    expect(parseBasicAuthorization(header)).toBe('malformed');
  });

  it('an array of headers is malformed', () => {
    expect(parseBasicAuthorization([basic('a:b'), basic('c:d')])).toBe('malformed');
  });

  it('random and mutated headers never throw, and parse only to what they encode', () => {
    const valid = basic('alice:secret');
    for (let i = 0; i < 20_000; i++) {
      let header: string;
      switch (i % 4) {
        case 0:
          header = randomBytes(i % 97).toString('latin1');
          break;
        case 1:
          header = `Basic ${randomBytes(i % 61).toString('base64')}`;
          break;
        case 2: {
          const at = i % valid.length;
          header = valid.slice(0, at) + String.fromCharCode(i % 256) + valid.slice(at + 1);
          break;
        }
        default:
          header = valid.slice(0, i % valid.length);
      }
      const result = parseBasicAuthorization(header);
      if (result === 'malformed' || result === undefined) continue;
      // Whatever parses is exactly what the header carries: base64 of user:password.
      const encoded = /^basic +(\S+) *$/i.exec(header)![1]!;
      expect(Buffer.from(encoded, 'base64').toString('utf8')).toBe(`${result.user}:${result.password}`);
      expect(result.user).not.toBe('');
      expect(result.user).not.toContain(':');
    }
  });
});
