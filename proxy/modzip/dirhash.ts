// The "h1:" hash of golang.org/x/mod/sumdb/dirhash (Hash1), recorded in go.sum
// and in the checksum database.
//
// The rule: for each file, sorted by name, one line
//     hex(sha256(content)) + "  " + name + "\n"
// and the hash is "h1:" + base64(sha256(all the lines)). Go sorts the names as
// Go strings, that is by their UTF-8 bytes. JavaScript compares strings by
// UTF-16 code units, which orders U+E000–U+FFFF after the characters above
// U+FFFF (their surrogates are D800–DFFF) where UTF-8 puts them before, so the
// names are compared as UTF-8 buffers. A name containing a newline would make
// the summary ambiguous and is refused, as Go refuses it.
//
// For a module zip the names are the full entry names, "<module>@<version>/…";
// for a go.mod the list holds the single name "go.mod".

import { createHash } from 'node:crypto';

export type FileDigest = { name: string; sha256Hex: string };

/** hashFileList computes Hash1 over files whose SHA-256 digests are already known. */
export function hashFileList(files: readonly FileDigest[]): string {
  const lines = files.map((file) => {
    if (file.name.includes('\n')) {
      throw new Error(`dirhash: file name with a newline is not supported: ${JSON.stringify(file.name)}`);
    }
    if (!/^[0-9a-f]{64}$/.test(file.sha256Hex)) {
      throw new Error(`dirhash: not a lower-case hex SHA-256 digest for ${JSON.stringify(file.name)}: ${JSON.stringify(file.sha256Hex)}`);
    }
    return { key: Buffer.from(file.name, 'utf8'), line: `${file.sha256Hex}  ${file.name}\n` };
  });
  lines.sort((a, b) => Buffer.compare(a.key, b.key));
  const summary = createHash('sha256');
  for (const { line } of lines) summary.update(line, 'utf8');
  return `h1:${summary.digest('base64')}`;
}

/** hashGoMod computes the go.mod hash: Hash1 over the single file "go.mod" with this content. */
export function hashGoMod(content: Uint8Array): string {
  const sha256Hex = createHash('sha256').update(content).digest('hex');
  return hashFileList([{ name: 'go.mod', sha256Hex }]);
}
