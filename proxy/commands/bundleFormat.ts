/**
 * An offline bundle: a tar of the module cache's download layout, so that once unpacked it works
 * as GOPROXY=file://<folder>, with a manifest of the h1 hashes beside the module folders:
 *
 *   gomodproxy-bundle.sum                   go.sum lines for every .zip and .mod in the bundle
 *   <escaped path>/@v/<escaped version>.info | .mod | .zip
 *   <escaped path>/@v/list                  the release and pre-release versions in the bundle
 *
 * The manifest comes first, so that an importer knows the hashes before the files.
 */
export const MANIFEST_NAME = 'gomodproxy-bundle.sum';

/** The largest entry an import accepts: a module zip's limit (500 MiB). */
export const MAX_BUNDLE_ENTRY = 500 << 20;

/** The largest manifest an import reads (about 150,000 module versions). */
export const MAX_MANIFEST = 64 << 20;
