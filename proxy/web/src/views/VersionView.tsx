/** One version: what go.sum says of it, its checksum-database state, its go.mod and the files of its zip. */
import { query, type SumdbState, type VersionDetail } from '../api.ts';
import { Answer } from '../components/Answer.tsx';
import { CopyLine } from '../components/CopyLine.tsx';
import { Table } from '../components/Table.tsx';
import { Time } from '../components/Time.tsx';
import { formatBytes, formatCount } from '../format.ts';
import { moduleHref } from '../router.ts';
import { useApi } from '../useApi.ts';

const SUMDB_STATES: Record<SumdbState['state'], string> = {
  verified: 'verified against the checksum database',
  'not-checked': 'not checked against the checksum database',
  off: 'the checksum database is off on this proxy',
  private: 'private module: not in a public checksum database',
};

export function VersionView({ path, version }: { path: string; version: string }) {
  const loaded = useApi<VersionDetail>(`/api/version${query({ path, version })}`);
  return (
    <>
      <p class="crumbs">
        <a href={moduleHref(path)}>{path}</a>
      </p>
      <h1 tabIndex={-1} class="path">
        {path}@{version}
      </h1>
      <Answer loaded={loaded}>
        {(detail) => (
          <>
            <CopyLine label="go get command" text={detail.goGet} />
            <dl class="facts">
              <dt>Time</dt>
              <dd>
                <Time value={detail.time} />
              </dd>
              <dt>Zip size</dt>
              <dd>{formatBytes(detail.size)}</dd>
              <dt>Source</dt>
              <dd>{detail.source}</dd>
              <dt>Last download</dt>
              <dd>
                <Time value={detail.lastDownload} />
              </dd>
              <dt>Checksum database</dt>
              <dd class={`sumdb ${detail.sumdb.state}`}>
                {SUMDB_STATES[detail.sumdb.state] ?? detail.sumdb.state}
                {detail.sumdb.database ? ` (${detail.sumdb.database})` : ''}
              </dd>
              {detail.vulnerabilities && detail.vulnerabilities.length > 0 && (
                <>
                  <dt>Vulnerabilities</dt>
                  <dd>{detail.vulnerabilities.join(', ')}</dd>
                </>
              )}
            </dl>
            <h2>go.sum lines</h2>
            <pre class="gosum">
              <code>{[detail.h1 && `${detail.path} ${detail.version} ${detail.h1}`, `${detail.path} ${detail.version}/go.mod ${detail.goModH1}`].filter(Boolean).join('\n')}</code>
            </pre>
            <h2>go.mod</h2>
            <pre class="gomod">
              <code>{detail.goMod}</code>
            </pre>
            {detail.files ? (
              <>
                <h2>
                  Files ({formatCount(detail.files.length + (detail.filesOmitted ?? 0))}, {formatBytes(detail.files.reduce((sum, f) => sum + f.size, 0))} unpacked
                  {detail.filesOmitted ? `, the first ${formatCount(detail.files.length)} named` : ''})
                </h2>
                <Table
                  name="files"
                  rows={detail.files}
                  columns={[
                    { heading: 'Name', cell: (file) => <code>{file.name}</code> },
                    { heading: 'Size', number: true, cell: (file) => formatBytes(file.size) },
                  ]}
                />
              </>
            ) : (
              <p class="muted">The zip of this version is not stored: only its go.mod was downloaded.</p>
            )}
          </>
        )}
      </Answer>
    </>
  );
}
