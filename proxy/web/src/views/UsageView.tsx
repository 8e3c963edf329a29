/**
 * Use of the proxy over a chosen span: downloads and hit rate per hour or day, upstreams' latency
 * and errors, top modules; for admins also top users and denied requests.
 */
import { useState } from 'preact/hooks';
import { query, type Usage } from '../api.ts';
import { Answer } from '../components/Answer.tsx';
import { BarChart } from '../components/BarChart.tsx';
import { Table } from '../components/Table.tsx';
import { Time } from '../components/Time.tsx';
import { formatCount, formatPercent } from '../format.ts';
import { moduleHref } from '../router.ts';
import { useApi } from '../useApi.ts';

const SPANS = {
  day: { label: 'last 24 hours, per hour', hours: 24, bucket: 'hour' },
  week: { label: 'last 7 days, per hour', hours: 24 * 7, bucket: 'hour' },
  month: { label: 'last 30 days, per day', hours: 24 * 30, bucket: 'day' },
} as const;

type Span = keyof typeof SPANS;

/** The span's bounds, the end rounded up to the next hour so that the current hour is in. */
function spanQuery(span: Span): string {
  const to = new Date();
  to.setUTCMinutes(0, 0, 0);
  to.setUTCHours(to.getUTCHours() + 1);
  const from = new Date(to.getTime() - SPANS[span].hours * 3600_000);
  return query({ from: from.toISOString(), to: to.toISOString(), bucket: SPANS[span].bucket });
}

export function UsageView({ admin }: { admin: boolean }) {
  const [span, setSpan] = useState<Span>('day');
  const loaded = useApi<Usage>(`/api/usage${spanQuery(span)}`);
  return (
    <>
      <h1 tabIndex={-1}>Usage</h1>
      <label class="inline">
        Span{' '}
        <select value={span} onChange={(event) => setSpan((event.target as HTMLSelectElement).value as Span)}>
          {Object.entries(SPANS).map(([value, { label }]) => (
            <option value={value}>{label}</option>
          ))}
        </select>
      </label>
      <Answer loaded={loaded}>
        {(usage) => {
          const hits = usage.hitRate.reduce((sum, b) => sum + b.hits, 0);
          const requests = usage.hitRate.reduce((sum, b) => sum + b.hits + b.misses, 0);
          return (
            <>
              <section aria-labelledby="downloads-heading">
                <h2 id="downloads-heading">Downloads</h2>
                <BarChart title="Downloads" valueHeading="Downloads" bars={usage.downloads.map((b) => ({ time: b.time, value: b.count, label: formatCount(b.count) }))} />
              </section>
              <section aria-labelledby="hits-heading">
                <h2 id="hits-heading">Hit rate</h2>
                <p>
                  {formatPercent(hits, requests)} of {formatCount(requests)} requests were answered from the store.
                </p>
                <BarChart
                  title="Share of requests answered from the store"
                  valueHeading="Hit rate"
                  unit="%"
                  max={100}
                  bars={usage.hitRate.map((b) => {
                    const all = b.hits + b.misses;
                    return { time: b.time, value: all ? Math.round((100 * b.hits) / all) : 0, label: `${formatPercent(b.hits, all)} (${b.hits} of ${all})` };
                  })}
                />
              </section>
              <section aria-labelledby="top-modules-heading">
                <h2 id="top-modules-heading">Top modules</h2>
                <CountTable rows={usage.topModules.map((m) => ({ key: m.path, count: m.count, href: moduleHref(m.path) }))} heading="Module" />
              </section>
              <section aria-labelledby="upstreams-heading">
                <h2 id="upstreams-heading">Upstreams</h2>
                {usage.upstream.length === 0 ? (
                  <p class="muted">No upstream was asked in this span.</p>
                ) : (
                  <Table
                    rows={usage.upstream}
                    columns={[
                      { heading: 'Upstream', cell: (u) => u.url },
                      { heading: 'Requests', number: true, cell: (u) => formatCount(u.requests) },
                      { heading: 'Errors', number: true, cell: (u) => formatCount(u.errors) },
                      { heading: 'p50', number: true, cell: (u) => (u.p50ms === null ? '—' : `${u.p50ms} ms`) },
                      { heading: 'p95', number: true, cell: (u) => (u.p95ms === null ? '—' : `${u.p95ms} ms`) },
                    ]}
                  />
                )}
              </section>
              {admin && usage.topUsers && (
                <section aria-labelledby="top-users-heading">
                  <h2 id="top-users-heading">Top users</h2>
                  <CountTable rows={usage.topUsers.map((u) => ({ key: u.identity, count: u.count }))} heading="User" />
                </section>
              )}
              {admin && usage.denied && (
                <section aria-labelledby="denied-heading">
                  <h2 id="denied-heading">Denied requests</h2>
                  {usage.denied.length === 0 ? (
                    <p class="muted">None in this span.</p>
                  ) : (
                    <Table
                      rows={usage.denied}
                      columns={[
                        { heading: 'Time', cell: (d) => <Time value={d.time} /> },
                        { heading: 'User', cell: (d) => d.identity ?? 'anonymous' },
                        { heading: 'Module', cell: (d) => `${d.module}${d.version ? `@${d.version}` : ''}` },
                        { heading: 'Reason', cell: (d) => d.reason },
                      ]}
                    />
                  )}
                </section>
              )}
            </>
          );
        }}
      </Answer>
    </>
  );
}

function CountTable({ rows, heading }: { rows: { key: string; count: number; href?: string }[]; heading: string }) {
  if (rows.length === 0) return <p class="muted">None in this span.</p>;
  return (
    <Table
      rows={rows}
      columns={[
        { heading, cell: (row) => (row.href ? <a href={row.href}>{row.key}</a> : row.key) },
        { heading: 'Downloads', number: true, cell: (row) => formatCount(row.count) },
      ]}
    />
  );
}
