// A closed-loop load of large answers with undici: `connections` clients, each sending the next GET
// as soon as the previous body has been read to its end, for a fixed time.
//
// autocannon is the load generator for small answers, but it keeps each response body as a string
// (`req.body += chunk`, decoding every chunk as UTF-8), which caps it at a few tens of MB/s on a
// binary body: for a 1 MiB zip it measures itself. This client only counts the bytes.

import { Pool } from 'undici';

export type LoadResult = {
  requests: number;
  bytes: number;
  seconds: number;
  /** Time from sending a request to its last body byte, in milliseconds, one per completed request. */
  latenciesMs: number[];
  errors: number;
  non2xx: number;
  /** Completed 200 answers whose length was not expectedBytes. */
  mismatches: number;
};

export async function httpLoad(options: { url: string; connections: number; seconds: number; expectedBytes?: number }): Promise<LoadResult> {
  const target = new URL(options.url);
  const pool = new Pool(target.origin, { connections: options.connections, pipelining: 1 });
  const result: LoadResult = { requests: 0, bytes: 0, seconds: 0, latenciesMs: [], errors: 0, non2xx: 0, mismatches: 0 };
  const started = performance.now();
  const deadline = started + options.seconds * 1000;

  const client = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const sent = performance.now();
      try {
        const response = await pool.request({ method: 'GET', path: target.pathname + target.search });
        let length = 0;
        for await (const chunk of response.body) length += (chunk as Buffer).length;
        result.latenciesMs.push(performance.now() - sent);
        result.requests++;
        result.bytes += length;
        if (response.statusCode !== 200) result.non2xx++;
        else if (options.expectedBytes !== undefined && length !== options.expectedBytes) result.mismatches++;
      } catch {
        result.errors++;
      }
    }
  };

  try {
    await Promise.all(Array.from({ length: options.connections }, client));
    result.seconds = (performance.now() - started) / 1000;
  } finally {
    await pool.close();
  }
  return result;
}

/** The p-th percentile (0..100) of values, by the nearest-rank method. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}
