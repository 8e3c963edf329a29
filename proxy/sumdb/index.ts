/**
 * The checksum database: its own formats as pure functions (signed notes, golang.org/x/mod/sumdb/note;
 * the transparent log's hashes, proofs, tiles, tree heads and lookup records, golang.org/x/mod/sumdb/tlog),
 * the GOSUMDB setting, a verifying client that also serves clients through the proxy, and the
 * check the module service applies to every fetched module. Code outside this folder imports from here only.
 */
export * from './note.ts';
export * from './tlog.ts';
export { InvalidSumdbSettingError, KNOWN_SUMDB_KEYS, parseSumdbSetting, type SumdbSetting } from './setting.ts';
export { findDatabaseEndpoint, type DatabaseEndpoint, type RemoteAnswer, type UpstreamEntry } from './databaseRoute.ts';
export { ChecksumDatabase, databaseStorageKey, isUnreachable, lookupKey, TILE_HEIGHT, type CarriedProof, type ChecksumDatabaseOptions, type DatabaseAnswer } from './database.ts';
export { CarriedProofError, checkCarriedProof, type CarriedFiles, type CheckedProof } from './carriedProof.ts';
export { ModuleChecksums, type ChecksumOutcome, type ModuleChecksumsOptions, type UnreachablePolicy } from './moduleChecksums.ts';
