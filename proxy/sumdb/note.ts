/**
 * Signed notes, as the checksum database signs its tree heads (golang.org/x/mod/sumdb/note).
 *
 * A note is a text followed by a blank line and one or more signature lines:
 *
 *     <text, ending in "\n">
 *     \n
 *     — <name> <base64(4-byte key hash, big-endian, + signature)>\n   (one per signature)
 *
 * The dash is an em dash (U+2014). The text is everything up to and including the newline before
 * the last blank line of the message; the whole message must be UTF-8 with no control character
 * other than newline, and end in a newline. At most 100 signature lines are read.
 *
 * A key is named by its server name and the key hash: the first 4 bytes, big-endian, of
 * sha256(name + "\n" + algorithm byte + public key). Keys are written as
 *
 *     verifier key: <name>+<hash, 8 hex digits>+<base64(algorithm byte + public key)>
 *     signer key:   PRIVATE+KEY+<name>+<hash, 8 hex digits>+<base64(algorithm byte + private seed)>
 *
 * The only algorithm is Ed25519 (byte 1, a 32-byte key). A name is non-empty, valid UTF-8, and
 * holds neither Unicode white space nor "+".
 *
 * Opening a note: a signature by a key not among the known verifiers is kept aside, unverified;
 * a signature by a known key (same name and key hash) that does not verify makes the note invalid;
 * a note with no verified signature is refused. Repeated signatures by one key count once.
 */

import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { goQuote } from '../protocol/index.ts';

/** A public key that can check signatures for one name. */
export type Verifier = {
  /** The server name the key belongs to. */
  readonly name: string;
  /** The key hash, a uint32. */
  readonly keyHash: number;
  /** The verifier key it was parsed from: "<name>+<hash>+<base64 key>". */
  readonly vkey: string;
  /** Whether sig is a valid signature of msg by this key. */
  verify(msg: Uint8Array, sig: Uint8Array): boolean;
};

/** One signature line of a note. */
export type NoteSignature = {
  name: string;
  /** The key hash, a uint32. */
  hash: number;
  /** The base64 of key hash and signature, as written on the line. */
  base64: string;
};

export type OpenedNote = {
  /** The signed text, ending in a newline. */
  text: string;
  /** The signatures by known keys, each verified. */
  signatures: NoteSignature[];
  /** The signatures by keys that are not known, not checked. */
  unverifiedSignatures: NoteSignature[];
  /** The names of the keys that verified the note, in order. */
  verifiedBy: string[];
};

/** A verifier or signer key that does not follow the key format. */
export class InvalidNoteKeyError extends Error {
  override name = 'InvalidNoteKeyError';
  /** The rule that was broken. */
  readonly reason: string;

  /** For a signer key, `shown` must not be the key: a private key never goes into a message. */
  constructor(kind: 'verifier' | 'signer', shown: string, reason: string) {
    super(`invalid ${kind} key ${shown}: ${reason}`);
    this.reason = reason;
  }
}

/** A message that is not a note: it breaks the note format. */
export class MalformedNoteError extends Error {
  override name = 'MalformedNoteError';
  readonly reason: string;

  constructor(reason: string) {
    super(`malformed note: ${reason}`);
    this.reason = reason;
  }
}

/** A note whose signatures are all by unknown keys. */
export class UnverifiedNoteError extends Error {
  override name = 'UnverifiedNoteError';
  /** The signatures found, none by a known key. */
  readonly unverifiedSignatures: NoteSignature[];

  constructor(unverifiedSignatures: NoteSignature[]) {
    const keys = unverifiedSignatures.map((s) => keyId(s.name, s.hash)).join(', ');
    super(`note has no verifiable signatures (signed only by unknown keys: ${keys})`);
    this.unverifiedSignatures = unverifiedSignatures;
  }
}

/** A signature by a known key that does not verify: the text or the signature was altered. */
export class InvalidSignatureError extends Error {
  override name = 'InvalidSignatureError';
  readonly keyName: string;
  readonly keyHash: number;

  constructor(keyName: string, keyHash: number) {
    super(`invalid signature for key ${keyId(keyName, keyHash)}`);
    this.keyName = keyName;
    this.keyHash = keyHash;
  }
}

/** Two known verifiers with one name and key hash: which one a signature is by cannot be told. */
export class AmbiguousVerifierError extends Error {
  override name = 'AmbiguousVerifierError';

  constructor(keyName: string, keyHash: number) {
    super(`ambiguous key ${keyId(keyName, keyHash)}: more than one known verifier has this name and key hash`);
  }
}

const algEd25519 = 1;
const ed25519KeySize = 32;
const ed25519SignatureSize = 64;
const maxSignatures = 100;
const signaturePrefix = '\u2014 ';
// DER framing of an Ed25519 key in SubjectPublicKeyInfo and in PKCS #8: the raw key follows.
const spkiPrefix = Buffer.from('302a300506032b6570032100', 'hex');
const pkcs8Prefix = Buffer.from('302e020100300506032b657004220420', 'hex');

/** Parse a verifier key "<name>+<hash>+<base64(algorithm byte + key)>" (Go's note.NewVerifier). */
export function parseVerifierKey(vkey: string): Verifier {
  const shown = goQuote(vkey);
  const [nameField, hash16, key64] = splitKey(vkey, 3);
  const { name, hash, key } = parseKeyFields('verifier', shown, nameField, hash16, key64);
  if (hash !== keyHash(name, key)) {
    throw new InvalidNoteKeyError('verifier', shown, `key hash ${hash16} does not match name and key (want ${hex8(keyHash(name, key))})`);
  }
  const alg = key[0];
  if (alg !== algEd25519) throw new InvalidNoteKeyError('verifier', shown, `unknown key algorithm ${alg} (only 1, Ed25519, is known)`);
  const raw = key.subarray(1);
  if (raw.length !== ed25519KeySize) {
    throw new InvalidNoteKeyError('verifier', shown, `Ed25519 key is ${raw.length} bytes, not ${ed25519KeySize}`);
  }
  const publicKey = ed25519PublicKey(raw);
  return {
    name,
    keyHash: hash,
    vkey,
    verify: (msg, sig) => {
      if (publicKey === null || sig.length !== ed25519SignatureSize) return false;
      try {
        return verify(null, msg, publicKey, sig);
      } catch {
        return false;
      }
    },
  };
}

/**
 * Open a signed note: split text and signatures, and verify the text with the known verifiers.
 * Throws MalformedNoteError, UnverifiedNoteError, InvalidSignatureError or AmbiguousVerifierError.
 */
export function openNote(msg: string | Uint8Array, verifiers: readonly Verifier[]): OpenedNote {
  const text = typeof msg === 'string' ? checkedString(msg) : decodeUtf8(msg);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 && code !== 0x0a) {
      throw new MalformedNoteError(`control character U+${code.toString(16).padStart(4, '0').toUpperCase()} at offset ${i}`);
    }
  }
  const split = text.lastIndexOf('\n\n');
  if (split < 0) throw new MalformedNoteError('no blank line between text and signatures');
  const body = text.slice(0, split + 1);
  let sigs = text.slice(split + 2);
  if (sigs === '') throw new MalformedNoteError('no signature lines after the blank line');
  if (!sigs.endsWith('\n')) throw new MalformedNoteError('signature lines do not end in a newline');

  const known = new Map<string, Verifier[]>();
  for (const v of verifiers) {
    const id = keyId(v.name, v.keyHash);
    known.set(id, [...(known.get(id) ?? []), v]);
  }

  const bodyBytes = Buffer.from(body, 'utf8');
  const verified: NoteSignature[] = [];
  const unverified: NoteSignature[] = [];
  const seenVerified = new Set<string>();
  const seenUnverified = new Set<string>();
  let count = 0;
  while (sigs !== '') {
    const nl = sigs.indexOf('\n');
    const line = sigs.slice(0, nl);
    sigs = sigs.slice(nl + 1);
    if (!line.startsWith(signaturePrefix)) {
      throw new MalformedNoteError(`signature line ${goQuote(line)} does not start with "— " (em dash, space)`);
    }
    const rest = line.slice(signaturePrefix.length);
    const space = rest.indexOf(' ');
    const name = space < 0 ? rest : rest.slice(0, space);
    const b64 = space < 0 ? '' : rest.slice(space + 1);
    const sig = decodeBase64(b64);
    if (!isValidName(name)) throw new MalformedNoteError(`signature line ${goQuote(line)}: invalid key name ${goQuote(name)}`);
    if (sig === null || b64 === '' || sig.length < 5) {
      throw new MalformedNoteError(`signature line ${goQuote(line)}: not base64 of a key hash and a signature`);
    }
    if (++count > maxSignatures) throw new MalformedNoteError(`more than ${maxSignatures} signatures`);
    const hash = sig.readUInt32BE(0);
    const id = keyId(name, hash);
    const signature: NoteSignature = { name, hash, base64: b64 };

    const candidates = known.get(id);
    if (candidates === undefined) {
      if (!seenUnverified.has(rest)) {
        seenUnverified.add(rest);
        unverified.push(signature);
      }
      continue;
    }
    if (candidates.length > 1) throw new AmbiguousVerifierError(name, hash);
    const [verifier] = candidates as [Verifier];
    if (seenVerified.has(id)) continue;
    seenVerified.add(id);
    if (!verifier.verify(bodyBytes, sig.subarray(4))) throw new InvalidSignatureError(name, hash);
    verified.push(signature);
  }

  if (verified.length === 0) throw new UnverifiedNoteError(unverified);
  return { text: body, signatures: verified, unverifiedSignatures: unverified, verifiedBy: verified.map((s) => s.name) };
}

/** A new Ed25519 key pair for name, as signer and verifier keys (Go's note.GenerateKey). */
export function generateSignerKey(name: string): { skey: string; vkey: string } {
  if (!isValidName(name)) {
    throw new InvalidNoteKeyError('signer', `for ${goQuote(name)}`, 'name must be non-empty and hold no white space or "+"');
  }
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const pub = Buffer.concat([Buffer.of(algEd25519), rawPublicKey(publicKey)]);
  const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(-ed25519KeySize);
  const priv = Buffer.concat([Buffer.of(algEd25519), seed]);
  const hash = hex8(keyHash(name, pub));
  return {
    skey: `PRIVATE+KEY+${name}+${hash}+${priv.toString('base64')}`,
    vkey: `${name}+${hash}+${pub.toString('base64')}`,
  };
}

/**
 * Sign text (which must end in a newline) with one or more signer keys, in order (Go's note.Sign
 * of a note without signatures). The text itself is not checked further: a text with control
 * characters signs, but no one can open the note.
 */
export function signNote(text: string, skeys: string | readonly string[]): string {
  if (!text.endsWith('\n')) throw new MalformedNoteError('text does not end in a newline');
  const msg = Buffer.from(checkedString(text), 'utf8');
  let lines = '';
  for (const skey of typeof skeys === 'string' ? [skeys] : skeys) {
    const signer = parseSignerKey(skey);
    const hash = Buffer.alloc(4);
    hash.writeUInt32BE(signer.keyHash);
    const sig = sign(null, msg, signer.privateKey);
    lines += `${signaturePrefix}${signer.name} ${Buffer.concat([hash, sig]).toString('base64')}\n`;
  }
  return `${text}\n${lines}`;
}

/** The key hash: the first 4 bytes, big-endian, of sha256(name + "\n" + algorithm byte + key). */
export function keyHash(name: string, key: Uint8Array): number {
  return createHash('sha256').update(name, 'utf8').update('\n').update(key).digest().readUInt32BE(0);
}

/** Parse a signer key "PRIVATE+KEY+<name>+<hash>+<base64(algorithm byte + seed)>" (Go's note.NewSigner). */
function parseSignerKey(skey: string): { name: string; keyHash: number; privateKey: KeyObject } {
  const [priv1, priv2, nameField, hash16, key64] = splitKey(skey, 5);
  // Never quote the key: it is secret. Its name is not.
  // Only a well-formed key's name field is known to be a name and not a piece of the secret.
  const prefixed = priv1 === 'PRIVATE' && priv2 === 'KEY';
  const shown = prefixed && nameField !== undefined && isValidName(nameField) ? `for ${goQuote(nameField)}` : '(not shown)';
  if (!prefixed) throw new InvalidNoteKeyError('signer', shown, 'does not start with PRIVATE+KEY+');
  const { name, hash, key } = parseKeyFields('signer', shown, nameField, hash16, key64);
  const alg = key[0];
  if (alg !== algEd25519) throw new InvalidNoteKeyError('signer', shown, `unknown key algorithm ${alg} (only 1, Ed25519, is known)`);
  const seed = key.subarray(1);
  if (seed.length !== ed25519KeySize) {
    throw new InvalidNoteKeyError('signer', shown, `Ed25519 seed is ${seed.length} bytes, not ${ed25519KeySize}`);
  }
  const privateKey = createPrivateKey({ key: Buffer.concat([pkcs8Prefix, seed]), format: 'der', type: 'pkcs8' });
  const pub = Buffer.concat([Buffer.of(algEd25519), rawPublicKey(createPublicKey(privateKey))]);
  if (hash !== keyHash(name, pub)) throw new InvalidNoteKeyError('signer', shown, `key hash ${hash16} does not match name and key`);
  return { name, keyHash: hash, privateKey };
}

/** Split at the first n-1 "+" signs, as strings.Cut does field by field; missing fields are "". */
function splitKey(key: string, n: number): string[] {
  const fields: string[] = [];
  let rest = key;
  for (let i = 0; i < n - 1; i++) {
    const plus = rest.indexOf('+');
    fields.push(plus < 0 ? rest : rest.slice(0, plus));
    rest = plus < 0 ? '' : rest.slice(plus + 1);
  }
  fields.push(rest);
  return fields;
}

function parseKeyFields(
  kind: 'verifier' | 'signer',
  shown: string,
  name: string | undefined,
  hash16: string | undefined,
  key64: string | undefined,
): { name: string; hash: number; key: Buffer } {
  if (name === undefined || !isValidName(name)) {
    throw new InvalidNoteKeyError(kind, shown, 'name must be non-empty and hold no white space or "+"');
  }
  if (hash16 === undefined || !/^[0-9A-Fa-f]{8}$/.test(hash16)) {
    throw new InvalidNoteKeyError(kind, shown, 'key hash is not 8 hexadecimal digits');
  }
  const key = decodeBase64(key64 ?? '');
  if (key === null || key.length === 0) throw new InvalidNoteKeyError(kind, shown, 'key is not non-empty standard base64');
  return { name, hash: Number.parseInt(hash16, 16), key };
}

/** A name: non-empty, no Unicode white space (Go's unicode.IsSpace), no "+". */
function isValidName(name: string): boolean {
  return name !== '' && !hasLoneSurrogate(name) && !/[\p{White_Space}+]/u.test(name);
}

/** Standard padded base64, as Go's base64.StdEncoding decodes it (which skips CR and LF); null if not. */
function decodeBase64(s: string): Buffer | null {
  const text = s.replace(/[\r\n]/g, '');
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text)) return null;
  return Buffer.from(text, 'base64');
}

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new MalformedNoteError('not valid UTF-8');
  }
}

function checkedString(s: string): string {
  if (hasLoneSurrogate(s)) throw new MalformedNoteError('not valid UTF-8 (lone surrogate)');
  return s;
}

function hasLoneSurrogate(s: string): boolean {
  return !s.isWellFormed();
}

/** The KeyObject for a raw Ed25519 public key, or null if the bytes are not one. */
function ed25519PublicKey(raw: Uint8Array): KeyObject | null {
  try {
    return createPublicKey({ key: Buffer.concat([spkiPrefix, raw]), format: 'der', type: 'spki' });
  } catch {
    return null;
  }
}

function rawPublicKey(key: KeyObject): Buffer {
  return key.export({ format: 'der', type: 'spki' }).subarray(-ed25519KeySize);
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

function keyId(name: string, hash: number): string {
  return `${name}+${hex8(hash)}`;
}
