/** A module: the go get line, and each version with its time, size, hash, origin and last download. */
import { query, type ModuleDetail } from '../api.ts';
import { Answer } from '../components/Answer.tsx';
import { CopyLine } from '../components/CopyLine.tsx';
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
            <div class="table-wrap">
              <table class="versions">
                <thead>
                  <tr>
                    <th scope="col">Version</th>
                    <th scope="col">Time</th>
                    <th scope="col" class="number">Size</th>
                    <th scope="col">Source</th>
                    <th scope="col">Last download</th>
                    <th scope="col">Hash (h1)</th>
                  </tr>
                </thead>
                <tbody>
                  {module.versions.map((version) => (
                    <tr>
                      <td>
                        <a href={versionHref(module.path, version.version)}>{version.version}</a>
                        {version.vulnerabilities && version.vulnerabilities.length > 0 && (
                          <span class="badge warn" title={version.vulnerabilities.join(', ')}>
                            {version.vulnerabilities.length} vulnerabilit{version.vulnerabilities.length === 1 ? 'y' : 'ies'}
                          </span>
                        )}
                      </td>
                      <td>
                        <Time value={version.time} />
                      </td>
                      <td class="number">{formatBytes(version.size)}</td>
                      <td>{version.source}</td>
                      <td>
                        <Time value={version.lastDownload} />
                      </td>
                      <td>
                        <code class="hash">{version.h1}</code>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </>
        )}
      </Answer>
    </>
  );
}
