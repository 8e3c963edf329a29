/** The caching headers both route files send. */

/** Cache-Control of what never changes once served: .mod, .zip, a canonical .info, checksum database tiles. */
export const IMMUTABLE = 'public, max-age=31536000, immutable';

/** Says that an answer is the last one an upstream gave, served because no upstream answers now. */
export const STALE_HEADER = 'x-gomodproxy-stale';
