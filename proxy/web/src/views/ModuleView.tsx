/** A module: the go get line, and each version with its time, size, hash, origin and last download. */
import { query, type ModuleDetail } from '../api.ts';
import { Answer } from '../components/Answer.tsx';
import { CopyLine } from '../components/CopyLine.tsx';
import { Table } from '../components/Table.tsx';
import { Time } from '../components/Time.tsx';
import { formatBytes } from '../format.ts';
import { versionHref } from '../router.ts';
import { useApi } from '../useApi.ts';

export function ModuleView({ path }: { path: string }) {
  const loaded = useApi<ModuleDetail>(`/api/module${query({ path })}`);
  return (
    <>
      <h1 tabIndex={-1} class="path">
        {path}
      </h1>
      <Answer loaded={loaded}>
        {(module) => (
          <>
            <CopyLine label="go get command" text={module.goGet} />
            <h2>
              {module.versions.length} version{module.versions.length === 1 ? '' : 's'}
            </h2>
            <Table
              name="versions"
              rows={module.versions}
              columns={[
                {
                  heading: 'Version',
                  cell: (version) => (
                    <>
                      <a href={versionHref(module.path, version.version)}>{version.version}</a>
                      {version.vulnerabilities && version.vulnerabilities.length > 0 && (
                        <span class="badge warn" title={version.vulnerabilities.join(', ')}>
                          {version.vulnerabilities.length} vulnerabilit{version.vulnerabilities.length === 1 ? 'y' : 'ies'}
                        </span>
                      )}
                    </>
                  ),
                },
                { heading: 'Time', cell: (version) => <Time value={version.time} /> },
                { heading: 'Size', number: true, cell: (version) => formatBytes(version.size) },
                { heading: 'Source', cell: (version) => version.source },
                { heading: 'Last download', cell: (version) => <Time value={version.lastDownload} /> },
                { heading: 'Hash (h1)', cell: (version) => (version.h1 ? <code class="hash">{version.h1}</code> : <span class="muted">zip not stored</span>) },
              ]}
            />
          </>
        )}
      </Answer>
    </>
  );
}
