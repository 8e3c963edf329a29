/** For admins: upstreams, checksum database, storage, git mirrors, the last cleanup, and a dry run of the next. */
import { useState } from 'preact/hooks';
import { ApiError, callApi, type CleanupPlan, type Health } from '../api.ts';
import { Answer, ErrorMessage } from '../components/Answer.tsx';
import { BarChart } from '../components/BarChart.tsx';
import { Table } from '../components/Table.tsx';
import { Time } from '../components/Time.tsx';
import { formatBytes, formatCount, formatTime } from '../format.ts';
import { useApi } from '../useApi.ts';

export function HealthView() {
  const loaded = useApi<Health>('/api/health');
  return (
    <>
      <h1 tabIndex={-1}>Health</h1>
      <Answer loaded={loaded}>
        {(health) => (
          <>
            <section aria-labelledby="upstream-health-heading">
              <h2 id="upstream-health-heading">Upstreams</h2>
              <Table
                rows={health.upstreams}
                columns={[
                  { heading: 'Upstream', cell: (u) => u.url },
                  { heading: 'Last success', cell: (u) => <Time value={u.lastSuccess} /> },
                  { heading: 'Last failure', cell: (u) => <Time value={u.lastFailure} /> },
                  { heading: 'Last error', cell: (u) => u.lastError ?? '—' },
                ]}
              />
            </section>
            <section aria-labelledby="store-heading">
              <h2 id="store-heading">Storage and checksum database</h2>
              <dl class="facts">
                <dt>Storage</dt>
                <dd>{health.storage.type}</dd>
                <dt>Used</dt>
                <dd>{formatBytes(health.storage.usedBytes)}</dd>
                <dt>Free</dt>
                <dd>{health.storage.freeBytes === null ? 'not known (object storage)' : formatBytes(health.storage.freeBytes)}</dd>
                <dt>Modules, versions</dt>
                <dd>
                  {formatCount(health.storage.modules)}, {formatCount(health.storage.versions)}
                </dd>
                <dt>Checksum database</dt>
                <dd>
                  {health.sumdb ? (
                    <>
                      {health.sumdb.name}: tree size {formatCount(health.sumdb.treeSize)}, last checked <Time value={health.sumdb.lastCheck} />
                    </>
                  ) : (
                    'off'
                  )}
                </dd>
              </dl>
              {health.storage.growth && health.storage.growth.length > 0 && (
                <BarChart
                  title="Storage held, by the day it was written (what the store holds now)"
                  valueHeading="Held"
                  unit=" MiB"
                  bars={health.storage.growth.map((point) => ({ time: point.day, value: Math.round(point.bytes / 104_857.6) / 10, label: formatBytes(point.bytes) }))}
                />
              )}
            </section>
            <section aria-labelledby="mirrors-heading">
              <h2 id="mirrors-heading">Git mirrors</h2>
              {health.gitMirrors.length === 0 ? (
                <p class="muted">None.</p>
              ) : (
                <Table
                  rows={health.gitMirrors}
                  columns={[
                    { heading: 'Host', cell: (m) => m.host },
                    { heading: 'Repository', cell: (m) => m.repository },
                    { heading: 'Size', number: true, cell: (m) => formatBytes(m.bytes) },
                  ]}
                />
              )}
            </section>
            <section aria-labelledby="cleanup-heading">
              <h2 id="cleanup-heading">Cleanup</h2>
              {health.lastCleanup ? (
                <dl class="facts">
                  {Object.entries(health.lastCleanup).map(([key, value]) => (
                    <>
                      <dt>{key}</dt>
                      <dd>{reportValue(key, value)}</dd>
                    </>
                  ))}
                </dl>
              ) : (
                <p class="muted">No cleanup has run yet.</p>
              )}
              <CleanupDryRun />
            </section>
          </>
        )}
      </Answer>
    </>
  );
}

/** A figure of the cleanup report as it reads best: sizes in binary units, times in UTC. */
function reportValue(key: string, value: unknown): string {
  if (typeof value === 'number' && /bytes$/i.test(key)) return formatBytes(value);
  if (typeof value === 'number') return formatCount(value);
  if (typeof value === 'string' && /^\d{4}-\d\d-\d\dT/.test(value)) return formatTime(value);
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function CleanupDryRun() {
  const [plan, setPlan] = useState<CleanupPlan | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [running, setRunning] = useState(false);
  const run = async () => {
    setRunning(true);
    setError(null);
    try {
      setPlan(await callApi<CleanupPlan>('/api/cleanup/dry-run', { method: 'POST' }));
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setRunning(false);
    }
  };
  return (
    <>
      <button type="button" onClick={run} disabled={running}>
        {running ? 'Working out…' : 'What would the next cleanup remove? (dry run)'}
      </button>
      {error && <ErrorMessage status={error.status} message={error.message} />}
      {plan && (
        <div role="status">
          <p>
            The next cleanup would remove {formatCount(plan.versions.length)} version{plan.versions.length === 1 ? '' : 's'} and free {formatBytes(plan.freedBytes)}.
          </p>
          {plan.versions.length > 0 && (
            <Table
              rows={plan.versions}
              columns={[
                { heading: 'Module', cell: (v) => v.path },
                { heading: 'Version', cell: (v) => v.version },
                { heading: 'Why', cell: (v) => v.reason },
              ]}
            />
          )}
        </div>
      )}
    </>
  );
}
