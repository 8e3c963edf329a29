export type { ModuleSource, ProxySource, RawAnswer } from './source.ts';
export { MAX_SMALL_FILE, MAX_ZIP_FILE } from './source.ts';
export { SourceChain, NothingSource, sourceChainFromSetting, type ChainEntry, type ChainResult } from './chain.ts';
export { HttpUpstream } from './httpUpstream.ts';
export { FileUpstream } from './fileUpstream.ts';
export { PrivateSource } from './privateSource.ts';
export { DirectPolicy, GitSource, listMirrors, mirrorOrigin, ProcessSlots, pruneMirrors, type GitHost, type GitSourceOptions, type MirrorPruning } from './git/index.ts';
export { UpstreamStats, type SourceReport } from './upstreamStats.ts';
