/**
 * `/api/usage`: downloads and the hit rate over time (every replica's, from the download
 * journal), the most downloaded modules of the time range (only those the caller may read), the
 * upstreams' request counts, failures and latency (this replica, since start) and, for admins,
 * top users and refused requests (this replica, since start; bounded in memory).
 */
import type { FastifyInstance } from 'fastify';
import { compareSortKeys } from '../../catalog/index.ts';
import type { SourceChain } from '../../sources/index.ts';
import { dayKey, hourKey, type RequestStats, type Triple, type UsageCounts, type UsageHistory } from '../../usage/index.ts';
import type { ApiAccess } from './apiAccess.ts';
import { badRequest, sendJson } from './apiReply.ts';
import { choiceOf, readQuery, timeOf } from './queryParameters.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const MAX_BUCKETS = { hour: 31 * 24, day: 400 } as const;
const DEFAULT_SPAN = { hour: 2 * DAY_MS, day: 30 * DAY_MS } as const;
const TOP = 20;

export type UsageRouteOptions = {
  access: ApiAccess;
  usageHistory: UsageHistory;
  requests: RequestStats;
  sourceChains: SourceChain[];
};

export function registerUsageRoutes(api: FastifyInstance, options: UsageRouteOptions): void {
  api.get('/api/usage', async (request, reply) => {
    const query = readQuery(request, ['from', 'to', 'bucket']);
    const caller = options.access.caller(request, reply);
    const bucket = choiceOf(query, 'bucket', ['day', 'hour'] as const);
    const size = bucket === 'hour' ? HOUR_MS : DAY_MS;
    const to = timeOf(query, 'to') ?? Date.now();
    // By default the last 48 hours or 30 days, the current one included.
    const from = timeOf(query, 'from') ?? Math.floor(to / size) * size - (DEFAULT_SPAN[bucket] - size);
    if (from >= to) throw badRequest('from must be before to; give from=<RFC 3339 time>&to=<a later one>, or leave them out for the last days');
    const first = Math.floor(from / size) * size;
    const buckets = Math.ceil((to - first) / size);
    if (buckets > MAX_BUCKETS[bucket]) {
      throw badRequest(`from ${new Date(from).toISOString()} to ${new Date(to).toISOString()} is ${buckets} ${bucket}s; ask for at most ${MAX_BUCKETS[bucket]} (a shorter range, or bucket=day)`);
    }
    const counts = await options.usageHistory.counts();
    const series = Array.from({ length: buckets }, (_, i) => {
      const start = first + i * size;
      return { time: new Date(start).toISOString(), triple: bucket === 'hour' ? hourTriple(counts, start) : dayTriple(counts, start) };
    });
    const body: Record<string, unknown> = {
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      bucket,
      downloads: series.map(({ time, triple }) => ({ time, count: triple[0] })),
      hitRate: series.map(({ time, triple }) => ({ time, hits: triple[1], misses: triple[2] })),
      topModules: topModules(counts, from, to, caller.mayRead),
      upstream: options.sourceChains.flatMap((chain) =>
        chain.stats.report(chain.entries.map((e) => e.source.name)).filter((r) => r.name !== 'off').map(({ name, requests, errors, p50ms, p95ms }) => ({ url: name, requests, errors, p50ms, p95ms })),
      ),
      memorySince: options.requests.since.toISOString(),
    };
    if (caller.admin) {
      body['topUsers'] = options.requests.topUsers(TOP);
      body['denied'] = options.requests.deniedBetween(from, to).map(({ time, identity, module, version, status, reason }) => ({ time, identity, module, version, status, reason }));
    }
    return sendJson(reply, 200, body);
  });
}

function hourTriple(counts: UsageCounts, start: number): Triple {
  return counts.hours[hourKey(start)] ?? [0, 0, 0];
}

/** A day's counts: the day's own (hours folded by cleanup) and its hours not folded yet. */
function dayTriple(counts: UsageCounts, start: number): Triple {
  const sum: Triple = [...(counts.days[dayKey(start)] ?? [0, 0, 0])];
  for (let hour = start; hour < start + DAY_MS; hour += HOUR_MS) {
    const triple = counts.hours[hourKey(hour)];
    if (triple) for (let i = 0; i < 3; i++) sum[i]! += triple[i]!;
  }
  return sum;
}

/** The modules downloaded most on the days the range touches, among those the caller may read. */
function topModules(counts: UsageCounts, from: number, to: number, mayRead: (path: string) => boolean): Array<{ path: string; count: number }> {
  const first = dayKey(from);
  const last = dayKey(to - 1);
  const totals = new Map<string, number>();
  for (const [day, modules] of Object.entries(counts.modules)) {
    if (day < first || day > last) continue;
    for (const [path, count] of Object.entries(modules)) totals.set(path, (totals.get(path) ?? 0) + count);
  }
  return [...totals]
    .filter(([path]) => mayRead(path))
    .sort((a, b) => b[1] - a[1] || compareSortKeys({ folded: a[0].toLowerCase(), path: a[0] }, { folded: b[0].toLowerCase(), path: b[0] }))
    .slice(0, TOP)
    .map(([path, count]) => ({ path, count }));
}
