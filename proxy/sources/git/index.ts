export { GitSource, type GitSourceOptions } from './gitSource.ts';
export { locateModule, type GitHost, type ModuleLocation } from './locate.ts';
export { listMirrors, mirrorOrigin, pruneMirrors, type MirrorFacts, type MirrorPruning } from './mirrorCache.ts';
export { DirectPolicy, parseAllowInternal, type DirectSettings } from './directPolicy.ts';
export { ProcessSlots } from './processSlots.ts';
