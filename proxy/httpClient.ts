/**
 * undici, the one HTTP client, loaded when the first request to an upstream, a checksum database,
 * a discovery page or the vulnerability database is made: a proxy serving only what it stores
 * never loads it, which keeps about 5 to 13 MiB out of its memory (bench/README.md, "Where the
 * idle memory goes").
 */
type Undici = typeof import('undici').default;

let loading: Promise<Undici> | undefined;

/**
 * undici is a CommonJS module: its exports object is the default export of the imported module.
 * That is the one form both Node and the image's bundle give (a bundle's lazily imported CommonJS
 * module has no named exports).
 */
export function loadHttpClient(): Promise<Undici> {
  return (loading ??= import('undici').then((undici) => undici.default));
}

/**
 * Connections to one service: connecting, the answer and each body chunk may take timeoutMs at
 * most; up to five redirects are followed. Loads the client first.
 */
export async function createAgent(timeoutMs: number): Promise<import('undici').Dispatcher> {
  const { Agent, interceptors } = await loadHttpClient();
  return new Agent({ connectTimeout: timeoutMs, headersTimeout: timeoutMs, bodyTimeout: timeoutMs }).compose(interceptors.redirect({ maxRedirections: 5 }));
}
