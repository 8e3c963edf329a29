// The part of autocannon's programmatic API the benchmarks use (the package ships no types).
// https://github.com/mcollina/autocannon#api

declare module 'autocannon' {
  /** hdr-histogram-percentiles-obj: latency in milliseconds, requests and bytes per second. */
  export type Histogram = {
    average: number;
    mean: number;
    stddev: number;
    min: number;
    max: number;
    total: number;
    p2_5: number;
    p50: number;
    p75: number;
    p90: number;
    p97_5: number;
    p99: number;
    p99_9: number;
  };

  export type Result = {
    url: string;
    connections: number;
    /** Seconds. */
    duration: number;
    errors: number;
    timeouts: number;
    mismatches: number;
    non2xx: number;
    statusCodeStats: Record<string, { count: number }>;
    latency: Histogram;
    requests: Histogram & { sent: number };
    throughput: Histogram;
  };

  export type Options = {
    url: string;
    connections?: number;
    /** Seconds. */
    duration?: number;
    amount?: number;
    pipelining?: number;
    /** Seconds to wait for a response. */
    timeout?: number;
    title?: string;
    headers?: Record<string, string>;
    expectBody?: string;
  };

  export type Instance = Promise<Result> & { stop(): void };

  function autocannon(options: Options): Instance;
  export default autocannon;
}
