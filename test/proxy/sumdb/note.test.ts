import { beforeAll, describe, expect, it } from 'vitest';
import {
  AmbiguousVerifierError,
  InvalidNoteKeyError,
  InvalidSignatureError,
  MalformedNoteError,
  UnverifiedNoteError,
  generateSignerKey,
  keyHash,
  openNote,
  parseVerifierKey,
  signNote,
  type OpenedNote,
} from '../../../proxy/sumdb/note.ts';
import { buildNoteOracle, runNoteOracle, type NoteOracleResult } from './noteOracle.ts';

// A key made by Go's note.GenerateKey and a note it signed with it (Ed25519 is deterministic, so
// signing the same text with the same key must give the same bytes).
const goSkey = 'PRIVATE+KEY+sum.example.test+b970d30d+AWvnckBVa+ddHJ0N04p1XdRtoUhCTpnZTrBH135fQkOD';
const goVkey = 'sum.example.test+b970d30d+AeyW0A1aFbyznkeHjCPU9DsjCc7UGzFJkZM9dZmH4uIq';
const goText = 'go.sum database tree\n5\nAbCdEf0123456789AbCdEf0123456789AbCdEf01234=\n';
const goNote =
  goText +
  '\n— sum.example.test uXDTDW4rlOajhX4bPCwyTzJZGhcosyFCDP4Lo3wKlbgfjDTdk4/GZ7yVvCEEW/KcRWVBrgDrx7jyo18Uzcyj3ipISQc=\n';

const alice = generateSignerKey('alice.example');
const bob = generateSignerKey('bob.example');
const text = 'go.sum database tree\n42\nqy8Jm0Oe2S0Z0a4YkPpW4cHq8m3RxC0lq3B4CqJmR6A=\n';

/** The signature line of note (the last one, or the index-th). */
function sigLines(note: string): string[] {
  return note.slice(note.lastIndexOf('\n\n') + 2).split('\n').filter((l) => l !== '');
}

/** The note with the byte at index of its first signature's decoded bytes flipped. */
function flipSignatureByte(note: string, index: number): string {
  const [line] = sigLines(note) as [string];
  const space = line.lastIndexOf(' ');
  const raw = Buffer.from(line.slice(space + 1), 'base64');
  raw[index] = (raw[index] ?? 0) ^ 0x01;
  return note.replace(line, line.slice(0, space + 1) + raw.toString('base64'));
}

function truncateSignature(note: string): string {
  const [line] = sigLines(note) as [string];
  const space = line.lastIndexOf(' ');
  const raw = Buffer.from(line.slice(space + 1), 'base64');
  return note.replace(line, line.slice(0, space + 1) + raw.subarray(0, raw.length - 1).toString('base64'));
}

/** A verifier key with the given algorithm byte and key bytes and a correct key hash. */
function vkeyWith(name: string, key: Buffer): string {
  return `${name}+${keyHash(name, key).toString(16).padStart(8, '0')}+${key.toString('base64')}`;
}

type Outcome =
  | { ok: { text: string; verifiedBy: string[]; unverified: string[] } }
  | { error: 'malformed' | 'unknown' | 'invalid' | 'ambiguous' | 'key' };

type OpenCase = { name: string; note: string | Buffer; vkeys: string[]; want: Outcome };

const signedByAlice = signNote(text, alice.skey);
const signedByBoth = signNote(text, [alice.skey, bob.skey]);
const [aliceLine, bobLine] = sigLines(signedByBoth) as [string, string];
const unknownLines = (n: number): string =>
  Array.from({ length: n }, (_, i) => signNote(text, generateSignerKeyCached(i)))
    .map((note) => sigLines(note)[0])
    .join('\n') + '\n';
const extraKeys: string[] = [];
function generateSignerKeyCached(i: number): string {
  extraKeys[i] ??= generateSignerKey(`k${i}.example`).skey;
  return extraKeys[i];
}

const openCases: OpenCase[] = [
  { name: 'one known signer', note: signedByAlice, vkeys: [alice.vkey], want: { ok: { text, verifiedBy: ['alice.example'], unverified: [] } } },
  {
    name: 'two known signers',
    note: signedByBoth,
    vkeys: [bob.vkey, alice.vkey],
    want: { ok: { text, verifiedBy: ['alice.example', 'bob.example'], unverified: [] } },
  },
  {
    name: 'one known, one unknown signer',
    note: signedByBoth,
    vkeys: [bob.vkey],
    want: { ok: { text, verifiedBy: ['bob.example'], unverified: ['alice.example'] } },
  },
  { name: 'Go-signed note', note: goNote, vkeys: [goVkey], want: { ok: { text: goText, verifiedBy: ['sum.example.test'], unverified: [] } } },
  {
    name: 'text with a blank line in it',
    note: signNote('a\n\nb\n', alice.skey),
    vkeys: [alice.vkey],
    want: { ok: { text: 'a\n\nb\n', verifiedBy: ['alice.example'], unverified: [] } },
  },
  {
    name: 'text with U+FFFD and other Unicode',
    note: signNote('caf\u00e9 \ufffd \u2014\n', alice.skey),
    vkeys: [alice.vkey],
    want: { ok: { text: 'caf\u00e9 \ufffd \u2014\n', verifiedBy: ['alice.example'], unverified: [] } },
  },
  {
    name: 'a repeated signature by a known key counts once, the repeat is not checked',
    note: `${text}\n${aliceLine}\n${sigLines(flipSignatureByte(signedByAlice, 10))[0]}\n`,
    vkeys: [alice.vkey],
    want: { ok: { text, verifiedBy: ['alice.example'], unverified: [] } },
  },
  {
    name: 'a repeated unknown signature is listed once',
    note: `${text}\n${aliceLine}\n${bobLine}\n${aliceLine}\n`,
    vkeys: [bob.vkey],
    want: { ok: { text, verifiedBy: ['bob.example'], unverified: ['alice.example'] } },
  },
  {
    name: '100 signatures are read',
    note: `${text}\n${unknownLines(99)}${aliceLine}\n`,
    vkeys: [alice.vkey],
    want: { ok: { text, verifiedBy: ['alice.example'], unverified: Array.from({ length: 99 }, (_, i) => `k${i}.example`) } },
  },
  { name: 'signed by an unknown key only', note: signedByAlice, vkeys: [bob.vkey], want: { error: 'unknown' } },
  { name: 'no known verifiers', note: signedByAlice, vkeys: [], want: { error: 'unknown' } },
  {
    name: 'same name, other key (so other key hash)',
    note: signedByAlice,
    vkeys: [generateSignerKey('alice.example').vkey],
    want: { error: 'unknown' },
  },
  { name: 'text altered', note: signedByAlice.replace('42', '43'), vkeys: [alice.vkey], want: { error: 'invalid' } },
  { name: 'text altered, other signer known too', note: signedByBoth.replace('42', '43'), vkeys: [bob.vkey], want: { error: 'invalid' } },
  { name: 'signature altered', note: flipSignatureByte(signedByAlice, 20), vkeys: [alice.vkey], want: { error: 'invalid' } },
  { name: 'signature one byte short', note: truncateSignature(signedByAlice), vkeys: [alice.vkey], want: { error: 'invalid' } },
  {
    name: 'a blank line between signatures moves the text',
    note: `${text}\n${aliceLine}\n\n${bobLine}\n`,
    vkeys: [bob.vkey],
    want: { error: 'invalid' },
  },
  { name: 'two verifiers with one name and key hash', note: signedByAlice, vkeys: [alice.vkey, alice.vkey], want: { error: 'ambiguous' } },
  { name: 'no blank line', note: `${text}${aliceLine}\n`, vkeys: [alice.vkey], want: { error: 'malformed' } },
  { name: 'no signatures', note: `${text}\n`, vkeys: [alice.vkey], want: { error: 'malformed' } },
  { name: 'last signature line without newline', note: signedByAlice.slice(0, -1), vkeys: [alice.vkey], want: { error: 'malformed' } },
  { name: 'hyphen instead of em dash', note: signedByAlice.replace('\u2014 ', '- '), vkeys: [alice.vkey], want: { error: 'malformed' } },
  { name: 'en dash instead of em dash', note: signedByAlice.replace('\u2014 ', '\u2013 '), vkeys: [alice.vkey], want: { error: 'malformed' } },
  { name: 'no space after the dash', note: signedByAlice.replace('\u2014 ', '\u2014'), vkeys: [alice.vkey], want: { error: 'malformed' } },
  { name: 'tab in text', note: signNote('a\tb\n', alice.skey), vkeys: [alice.vkey], want: { error: 'malformed' } },
  { name: 'carriage return in text', note: signNote('a\r\n', alice.skey), vkeys: [alice.vkey], want: { error: 'malformed' } },
  { name: 'NUL in a signature line', note: signedByAlice.replace('alice.example ', 'alice.example\0 '), vkeys: [alice.vkey], want: { error: 'malformed' } },
  {
    name: 'invalid UTF-8',
    note: Buffer.concat([Buffer.from('a\xff\n', 'latin1'), Buffer.from(signedByAlice.slice(text.length))]),
    vkeys: [alice.vkey],
    want: { error: 'malformed' },
  },
  {
    name: 'UTF-8-encoded surrogate',
    note: Buffer.concat([Buffer.from('a'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from(`\n${signedByAlice.slice(text.length)}`)]),
    vkeys: [alice.vkey],
    want: { error: 'malformed' },
  },
  { name: 'no base64 after the name', note: `${text}\n\u2014 alice.example\n`, vkeys: [alice.vkey], want: { error: 'malformed' } },
  { name: 'empty name', note: signedByAlice.replace('\u2014 alice.example ', '\u2014  '), vkeys: [alice.vkey], want: { error: 'malformed' } },
  { name: 'name with a plus', note: signedByAlice.replace('alice.example', 'alice+x'), vkeys: [alice.vkey], want: { error: 'malformed' } },
  { name: 'base64 of 4 bytes only', note: `${text}\n\u2014 alice.example AAAAAA==\n`, vkeys: [alice.vkey], want: { error: 'malformed' } },
  { name: 'base64 without padding', note: `${text}\n\u2014 alice.example AAAAAAA\n`, vkeys: [alice.vkey], want: { error: 'malformed' } },
  { name: 'base64 with a stray character', note: signedByAlice.replace(/ (\S+)\n$/, ' $1!\n'), vkeys: [alice.vkey], want: { error: 'malformed' } },
  { name: '101 signatures', note: `${text}\n${unknownLines(100)}${aliceLine}\n`, vkeys: [alice.vkey], want: { error: 'malformed' } },
];

const errorClasses = {
  malformed: MalformedNoteError,
  unknown: UnverifiedNoteError,
  invalid: InvalidSignatureError,
  ambiguous: AmbiguousVerifierError,
  key: InvalidNoteKeyError,
} as const;

function ourOutcome(note: string | Buffer, vkeys: string[]): Outcome {
  let opened: OpenedNote;
  try {
    opened = openNote(note, vkeys.map(parseVerifierKey));
  } catch (err) {
    for (const [kind, cls] of Object.entries(errorClasses)) {
      if (err instanceof cls) return { error: kind as keyof typeof errorClasses };
    }
    throw err;
  }
  return { ok: { text: opened.text, verifiedBy: opened.verifiedBy, unverified: opened.unverifiedSignatures.map((s) => s.name) } };
}

function goOutcome(r: NoteOracleResult): Outcome {
  if (r.error === undefined) {
    return { ok: { text: r.text ?? '', verifiedBy: r.sigs.map((s) => s.name), unverified: r.unverified.map((s) => s.name) } };
  }
  switch (r.errorKind) {
    case 'unknown':
    case 'invalid':
    case 'key':
      return { error: r.errorKind };
    default:
      if (r.error.startsWith('ambiguous key')) return { error: 'ambiguous' };
      if (r.error === 'malformed note') return { error: 'malformed' };
      throw new Error(`unexpected Go error: ${r.error}`);
  }
}

describe('openNote', () => {
  it.each(openCases)('$name', ({ note, vkeys, want }) => {
    expect(ourOutcome(note, vkeys)).toEqual(want);
  });

  it('returns the signatures as written', () => {
    const opened = openNote(signedByBoth, [parseVerifierKey(bob.vkey)]);
    const b64 = (line: string): string => line.slice(line.lastIndexOf(' ') + 1);
    expect(opened.signatures).toEqual([{ name: 'bob.example', hash: parseVerifierKey(bob.vkey).keyHash, base64: b64(bobLine) }]);
    expect(opened.unverifiedSignatures).toEqual([
      { name: 'alice.example', hash: parseVerifierKey(alice.vkey).keyHash, base64: b64(aliceLine) },
    ]);
  });

  it('names the key in errors', () => {
    expect(() => openNote(signedByAlice.replace('42', '43'), [parseVerifierKey(alice.vkey)])).toThrow(
      /^invalid signature for key alice\.example\+[0-9a-f]{8}$/,
    );
    expect(() => openNote(signedByAlice, [])).toThrow(/^note has no verifiable signatures .*alice\.example\+[0-9a-f]{8}/);
    expect(() => openNote(`${text}\n`, [])).toThrow(/^malformed note: no signature lines/);
    expect(() => openNote('a\tb\n\n— x AAAAAAAA\n', [])).toThrow(/^malformed note: control character U\+0009 at offset 1$/);
  });
});

describe('parseVerifierKey', () => {
  it('reads a key made by Go', () => {
    const v = parseVerifierKey(goVkey);
    expect(v.name).toBe('sum.example.test');
    expect(v.keyHash).toBe(0xb970d30d);
    expect(v.vkey).toBe(goVkey);
  });

  const raw = Buffer.concat([Buffer.of(1), Buffer.alloc(32, 7)]);
  const badKeys: Array<[string, string, RegExp]> = [
    ['no fields', 'alice', /name must be|key hash is not/],
    ['empty name', vkeyWith('', raw), /name must be non-empty/],
    ['name with a space', vkeyWith('a b', raw), /name must be/],
    ['name with an ideographic space', vkeyWith('a\u3000b', raw), /name must be/],
    ['hash of 7 digits', 'alice+1234567+' + raw.toString('base64'), /key hash is not 8 hexadecimal digits/],
    ['hash not hex', 'alice+zzzzzzzz+' + raw.toString('base64'), /key hash is not 8 hexadecimal digits/],
    ['key not base64', 'alice+12345678+%%%%', /not non-empty standard base64/],
    ['empty key', 'alice+12345678+', /not non-empty standard base64/],
    ['wrong hash', vkeyWith('alice', raw).replace(/\+[0-9a-f]{8}\+/, '+00000000+'), /key hash 00000000 does not match/],
    ['unknown algorithm', vkeyWith('alice', Buffer.concat([Buffer.of(2), Buffer.alloc(32, 7)])), /unknown key algorithm 2/],
    ['short key', vkeyWith('alice', raw.subarray(0, 32)), /Ed25519 key is 31 bytes, not 32/],
    ['long key', vkeyWith('alice', Buffer.concat([raw, Buffer.of(0)])), /Ed25519 key is 33 bytes, not 32/],
  ];

  it.each(badKeys)('refuses %s', (_, vkey, message) => {
    expect(() => parseVerifierKey(vkey)).toThrow(InvalidNoteKeyError);
    expect(() => parseVerifierKey(vkey)).toThrow(message);
  });

  describe('agrees with Go', () => {
    let oracle: string;
    beforeAll(async () => {
      oracle = await buildNoteOracle();
    });

    it('on every malformed key', async () => {
      const results = await runNoteOracle(
        oracle,
        badKeys.map(([, vkey]) => ({ op: 'open', note: signedByAlice, vkeys: [vkey] })),
      );
      expect(results.map((r) => r.errorKind)).toEqual(badKeys.map(() => 'key'));
    });
  });
});

describe('signNote', () => {
  it('signs as Go does (Ed25519 is deterministic)', () => {
    expect(signNote(goText, goSkey)).toBe(goNote);
  });

  it('makes keys that open their own notes', () => {
    const { skey, vkey } = generateSignerKey('sum.golang.test');
    expect(skey).toMatch(/^PRIVATE\+KEY\+sum\.golang\.test\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$/);
    expect(vkey).toMatch(/^sum\.golang\.test\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$/);
    expect(openNote(signNote(text, skey), [parseVerifierKey(vkey)]).verifiedBy).toEqual(['sum.golang.test']);
  });

  it('refuses a text without a final newline', () => {
    expect(() => signNote('abc', alice.skey)).toThrow(/^malformed note: text does not end in a newline$/);
  });

  it('refuses bad signer keys without showing them', () => {
    const cases = [
      alice.vkey,
      alice.skey.replace('PRIVATE+KEY', 'PRIVATE+KEYS'),
      alice.skey.replace(/\+[0-9a-f]{8}\+/, '+00000000+'),
      alice.skey.slice(0, -4),
    ];
    for (const skey of cases) {
      expect(() => signNote(text, skey)).toThrow(InvalidNoteKeyError);
      try {
        signNote(text, skey);
      } catch (err) {
        expect((err as Error).message).not.toContain(skey.slice(-20));
      }
    }
  });

  it('refuses a name that cannot be written in a note', () => {
    expect(() => generateSignerKey('a+b')).toThrow(InvalidNoteKeyError);
    expect(() => generateSignerKey('')).toThrow(InvalidNoteKeyError);
  });
});

describe('agreement with golang.org/x/mod/sumdb/note (the go command vendored copy)', () => {
  let oracle: string;
  beforeAll(async () => {
    oracle = await buildNoteOracle();
  });

  it('opens every case as Go does', async () => {
    const results = await runNoteOracle(
      oracle,
      openCases.map(({ note, vkeys }) => ({ op: 'open', note, vkeys })),
    );
    expect(results.map(goOutcome)).toEqual(openCases.map(({ want }) => want));
  });

  it('Go signs, we verify; we refuse what Go-signed and then altered', async () => {
    const [key] = await runNoteOracle(oracle, [{ op: 'generate', name: 'sum.go.test' }]);
    const { skey, vkey } = key as { skey: string; vkey: string };
    const [signed] = await runNoteOracle(oracle, [{ op: 'sign', text, skeys: [skey, alice.skey] }]);
    const note = signed?.note ?? '';
    const ours = signNote(text, [skey, alice.skey]);
    expect(ours).toBe(note);
    expect(openNote(note, [parseVerifierKey(vkey), parseVerifierKey(alice.vkey)]).verifiedBy).toEqual([
      'sum.go.test',
      'alice.example',
    ]);
    expect(() => openNote(note.replace('42', '24'), [parseVerifierKey(vkey)])).toThrow(InvalidSignatureError);
    expect(() => openNote(flipSignatureByte(note, 40), [parseVerifierKey(vkey)])).toThrow(InvalidSignatureError);
  });

  it('we sign, Go verifies; Go refuses what we signed and then altered', async () => {
    const ours = generateSignerKey('sum.ts.test');
    const note = signNote(text, ours.skey);
    const results = await runNoteOracle(oracle, [
      { op: 'open', note, vkeys: [ours.vkey] },
      { op: 'open', note: note.replace('42', '24'), vkeys: [ours.vkey] },
      { op: 'open', note: flipSignatureByte(note, 40), vkeys: [ours.vkey] },
      { op: 'sign', text, skeys: [ours.skey] },
    ]);
    expect(results.map((r) => r.errorKind)).toEqual([undefined, 'invalid', 'invalid', undefined]);
    expect(results[0]?.text).toBe(text);
    expect(results[0]?.sigs.map((s) => s.name)).toEqual(['sum.ts.test']);
    expect(results[3]?.note).toBe(note);
  });
});
