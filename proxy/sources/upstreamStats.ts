/**
 * How each source of a chain has been answering since the proxy started (for /api/usage and
 * /api/health): requests, failures, the last success and failure and the latency of recent
 * requests. Memory is bounded: the latencies of the last LATENCY_SAMPLES requests per source.
 * "Not found" is an answer, so it counts as a success; a timeout, a 5xx, a refused connection or
 * content the proxy refused is a failure.
 */

const LATENCY_SAMPLES = 1024;

type SourceRecord = {
  requests: number;
  errors: number;
  lastSuccess: number | null;
  lastFailure: number | null;
  lastError: string | null;
  latencies: Float64Array;
  samples: number;
};

export type SourceReport = {
  name: string;
  requests: number;
  errors: number;
  lastSuccess: string | null;
  lastFailure: string | null;
  lastError: string | null;
  /** Over the last requests (at most 1024); null before the first. */
  p50ms: number | null;
  p95ms: number | null;
};

export class UpstreamStats {
  private readonly sources = new Map<string, SourceRecord>();
  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  record(name: string, milliseconds: number, failure?: string): void {
    let record = this.sources.get(name);
    if (!record) {
      record = { requests: 0, errors: 0, lastSuccess: null, lastFailure: null, lastError: null, latencies: new Float64Array(LATENCY_SAMPLES), samples: 0 };
      this.sources.set(name, record);
    }
    record.requests++;
    record.latencies[record.samples++ % LATENCY_SAMPLES] = milliseconds;
    if (failure === undefined) record.lastSuccess = this.now();
    else {
      record.errors++;
      record.lastFailure = this.now();
      record.lastError = failure;
    }
  }

  /** One report per source asked so far; `names` first, in that order, also when never asked. */
  report(names: readonly string[] = []): SourceReport[] {
    const ordered = [...new Set([...names, ...this.sources.keys()])];
    return ordered.map((name) => {
      const record = this.sources.get(name);
      if (!record) return { name, requests: 0, errors: 0, lastSuccess: null, lastFailure: null, lastError: null, p50ms: null, p95ms: null };
      const sorted = record.latencies.slice(0, Math.min(record.samples, LATENCY_SAMPLES)).sort();
      return {
        name,
        requests: record.requests,
        errors: record.errors,
        lastSuccess: isoTime(record.lastSuccess),
        lastFailure: isoTime(record.lastFailure),
        lastError: record.lastError,
        p50ms: percentile(sorted, 0.5),
        p95ms: percentile(sorted, 0.95),
      };
    });
  }
}

/** The nearest-rank percentile of sorted values, to 0.1 ms; null for none. */
function percentile(sorted: Float64Array, p: number): number | null {
  if (sorted.length === 0) return null;
  const value = sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
  return Math.round(value * 10) / 10;
}

function isoTime(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
