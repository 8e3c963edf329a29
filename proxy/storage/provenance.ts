/**
 * How a module version came to be stored, kept beside its files as `<version>.provenance`:
 *
 *   {"source":"upstream"|"git"|"import","checksum":"verified"|"unverified"|"exempt"|"off"|"unchecked","stored":"<RFC 3339>"}
 *
 * Written once, by whichever of the version's .mod or .zip is stored first (the first write wins,
 * as for every immutable file), so it says what the acceptance step knew then. Versions stored
 * before the record existed have none: their source reads as "unknown".
 */
import { provenanceKey } from './layout.ts';
import type { Storage } from './storage.ts';

/** Where a version's files came from: an upstream proxy, a git repository (private or `direct`), an offline bundle. */
export type VersionSource = 'upstream' | 'git' | 'import';

/** What the checksum database said of the version when it was stored (`unchecked`: it could not be reached). */
export type StoredChecksum = 'verified' | 'unverified' | 'exempt' | 'off' | 'unchecked';

export type Provenance = { source: VersionSource; checksum: StoredChecksum; stored: string };

const SOURCES: ReadonlySet<string> = new Set<VersionSource>(['upstream', 'git', 'import']);
const CHECKSUMS: ReadonlySet<string> = new Set<StoredChecksum>(['verified', 'unverified', 'exempt', 'off', 'unchecked']);

/** The source of files a source chain served, by the name of the source that answered: git sources are named `git` and `direct`. */
export function sourceOfServer(servedBy: string): VersionSource {
  return servedBy === 'git' || servedBy === 'direct' ? 'git' : 'upstream';
}

/** Keeps the record unless one is there already. */
export async function writeProvenance(storage: Storage, modulePath: string, version: string, record: Provenance): Promise<void> {
  await storage.putImmutable(provenanceKey(modulePath, version), Buffer.from(JSON.stringify(record)));
}

/** The stored record; null when there is none or it cannot be read as one. */
export async function readProvenance(storage: Storage, modulePath: string, version: string): Promise<Provenance | null> {
  const body = await storage.readBytes(provenanceKey(modulePath, version));
  if (!body) return null;
  try {
    const parsed = JSON.parse(body.toString('utf8')) as Partial<Provenance>;
    if (typeof parsed.source !== 'string' || !SOURCES.has(parsed.source)) return null;
    const checksum = typeof parsed.checksum === 'string' && CHECKSUMS.has(parsed.checksum) ? parsed.checksum : 'unchecked';
    return { source: parsed.source, checksum: checksum as StoredChecksum, stored: typeof parsed.stored === 'string' ? parsed.stored : '' };
  } catch {
    return null;
  }
}
