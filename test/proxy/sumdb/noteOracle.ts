// golang.org/x/mod/sumdb/note as an oracle, without the network: noteOracle/main.go built against
// the copy of x/mod that the go command vendors (GOROOT/src/cmd/vendor/golang.org/x/mod), so its
// answers are those of the go command on this machine when it checks a GOSUMDB="name+key url".
// The build is kept under the system temp dir, keyed by the program and the go version.

import { buildXmodProgram, runProgram } from '../../fixtures/xmodProgram.ts';

/** Texts and notes are raw bytes; the oracle receives them as base64. */
export type NoteOracleJob =
  | { op: 'generate'; name: string }
  | { op: 'sign'; text: Uint8Array | string; skeys: string[] }
  | { op: 'open'; note: Uint8Array | string; vkeys: string[] };

export type NoteOracleSignature = { name: string; hash: number; base64: string };

export type NoteOracleResult = {
  skey?: string;
  vkey?: string;
  /** The signed note (sign). */
  note?: string;
  /** The verified text (open). */
  text?: string;
  sigs: NoteOracleSignature[];
  unverified: NoteOracleSignature[];
  error?: string;
  /** unknown: no known signer; invalid: a known key's signature fails; key: a key does not parse. */
  errorKind?: 'unknown' | 'invalid' | 'key' | 'other';
};

const source = new URL('./noteOracle/main.go', import.meta.url);

/** Build the oracle (once per program and go version) and return the path of its binary. */
export function buildNoteOracle(): Promise<string> {
  return buildXmodProgram('noteoracle', source);
}

/** Run jobs through the oracle binary, in order. */
export async function runNoteOracle(binary: string, jobs: NoteOracleJob[]): Promise<NoteOracleResult[]> {
  const wire = jobs.map((job) => {
    if (job.op === 'sign') return { ...job, text: Buffer.from(job.text).toString('base64') };
    if (job.op === 'open') return { ...job, note: Buffer.from(job.note).toString('base64') };
    return job;
  });
  const stdout = await runProgram(binary, { input: JSON.stringify(wire) });
  const results = JSON.parse(stdout) as NoteOracleResult[];
  for (const r of results) {
    if (r.note !== undefined) r.note = Buffer.from(r.note, 'base64').toString('utf8');
    if (r.text !== undefined) r.text = Buffer.from(r.text, 'base64').toString('utf8');
  }
  return results;
}
