/**
 * The checksum database's own formats, as pure functions: signed notes
 * (golang.org/x/mod/sumdb/note) and the transparent log's hashes, proofs,
 * tiles, tree heads and lookup records (golang.org/x/mod/sumdb/tlog).
 * Code outside this folder imports from here only.
 */
export * from './note.ts';
export * from './tlog.ts';
