/**
 * undici, the one HTTP client, loaded when the first request to an upstream, a checksum database
 * or a discovery page is made: a proxy serving only what it stores never loads it, which keeps
 * about 13 MiB out of its memory (bench/README.md, "Where the idle memory goes").
 */
type Undici = typeof import('undici');

let loading: Promise<Undici> | undefined;

export function loadHttpClient(): Promise<Undici> {
  return (loading ??= import('undici'));
}
