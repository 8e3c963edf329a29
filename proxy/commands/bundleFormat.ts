/**
 * An offline bundle: a tar of the module cache's download layout, so that once unpacked it works
 * as GOPROXY=file://<folder>, with a manifest of the h1 hashes beside the module folders:
 *
 *   gomodproxy-bundle.json                  the format (BUNDLE_FORMAT) and what the bundle carries
 *   gomodproxy-bundle.sum                   go.sum lines for every .zip and .mod in the bundle
 *   sumdb/<name>/supported                  the checksum database's proof, as the go command's
 *   sumdb/<name>/latest                       module cache keeps it: the signed tree head, one
 *   sumdb/<name>/lookup/<escaped M>@<escaped V>  lookup answer per version under that head, and
 *   sumdb/<name>/tile/8/<L>/<N>[.p/<W>]       the tiles that prove them (and, for a bundle written
 *                                             --since an earlier one, that the head extends its head)
 *   gomodproxy/vulndb/snapshot-<modified>.json.gz  the Go vulnerability database snapshot held, as
 *                                             stored (proxy/vulndb/snapshotStore.ts); optional
 *   <escaped path>/@v/<escaped version>.info | .mod | .zip
 *   <escaped path>/@v/list                  the release and pre-release versions in the bundle
 *
 * The header and the manifest come first, then the proof, so that an importer knows the hashes
 * and can check them before the files. Format 1 (no header, no proof) is still read.
 */
export const HEADER_NAME = 'gomodproxy-bundle.json';
export const MANIFEST_NAME = 'gomodproxy-bundle.sum';

/** The format this version writes; it reads this one and every older one. */
export const BUNDLE_FORMAT = 2;

export type BundleHeader = {
  format: number;
  /** The checksum database whose proof the bundle carries; null when it carries none (sumdb off). */
  checksumDatabase: { name: string; treeSize: number } | null;
  /** The vulnerability database snapshot the bundle carries (absent: none). */
  vulnDatabase?: { modified: string; entries: number };
  /** What the bundle was written after (--since): an earlier bundle's tree size, or a date. */
  since?: { treeSize?: number; date?: string };
};

/** The largest entry an import accepts: a module zip's limit (500 MiB). */
export const MAX_BUNDLE_ENTRY = 500 << 20;

/** The largest manifest an import reads (about 150,000 module versions). */
export const MAX_MANIFEST = 64 << 20;

/** The most checksum database data an import holds in memory (tiles are 8 KiB, lookups smaller). */
export const MAX_PROOF_BYTES = 256 << 20;

/** Where a checksum database file lies in a bundle: under sumdb/<name>/. */
export function proofEntryName(database: string, rest: string): string {
  return `sumdb/${database}/${rest}`;
}
