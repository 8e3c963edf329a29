/**
 * Module search: prefix (the start of a path, as GOPRIVATE patterns read) or substring, as one
 * types; the query is kept in the address so a search can be shared. Pages of 50, more on demand.
 */
import { useEffect, useState } from 'preact/hooks';
import { ApiError, callApi, query, type ModuleSearch } from '../api.ts';
import { navigate, moduleHref } from '../router.ts';
import { ErrorMessage } from '../components/Answer.tsx';
import { CopyLine } from '../components/CopyLine.tsx';
import { Table } from '../components/Table.tsx';
import { Time } from '../components/Time.tsx';
import { formatCount } from '../format.ts';

type Match = 'prefix' | 'substring';

export function SearchView({ q, match }: { q: string; match: Match }) {
  const [text, setText] = useState(q);
  const [results, setResults] = useState<ModuleSearch | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(false);

  // The address follows what is typed (replaced, not pushed: typing is not a history of pages).
  // The wait restarts when the match kind changes too, so that it never writes back the kind
  // that was chosen when the typing began (a choice made while it waited would be undone).
  useEffect(() => {
    const timer = setTimeout(() => {
      if (text !== q) navigate(`/${query({ q: text, match: match === 'prefix' ? null : match })}`, { replace: true });
    }, 200);
    return () => clearTimeout(timer);
  }, [text, match]);

  useEffect(() => {
    let current = true;
    setLoading(true);
    callApi<ModuleSearch>(`/api/modules${query({ q, match, limit: 50 })}`).then(
      (page) => {
        if (!current) return;
        setResults(page);
        setError(null);
        setLoading(false);
      },
      (err: ApiError) => {
        if (!current) return;
        setError(err);
        setResults(null);
        setLoading(false);
      },
    );
    return () => {
      current = false;
    };
  }, [q, match]);

  const more = async () => {
    if (!results?.next) return;
    try {
      const page = await callApi<ModuleSearch>(`/api/modules${query({ q, match, limit: 50, cursor: results.next })}`);
      setResults({ ...page, items: [...results.items, ...page.items] });
    } catch (err) {
      setError(err as ApiError);
    }
  };

  return (
    <>
      <h1 tabIndex={-1}>Modules</h1>
      <form
        class="search"
        role="search"
        onSubmit={(event) => {
          event.preventDefault();
          navigate(`/${query({ q: text, match: match === 'prefix' ? null : match })}`, { replace: true });
        }}
      >
        <label for="module-search">Module path</label>
        <input id="module-search" type="search" value={text} placeholder="github.com/acme/" autoComplete="off" spellcheck={false} onInput={(event) => setText((event.target as HTMLInputElement).value)} />
        <fieldset class="match">
          <legend>Match</legend>
          {(['prefix', 'substring'] as const).map((kind) => (
            <label>
              <input type="radio" name="match" value={kind} checked={match === kind} onChange={() => navigate(`/${query({ q: text, match: kind === 'prefix' ? null : kind })}`, { replace: true })} />
              {kind === 'prefix' ? 'starts with' : 'contains'}
            </label>
          ))}
        </fieldset>
      </form>
      {error && <ErrorMessage status={error.status} message={error.message} />}
      {results && (
        <>
          <p role="status" class="muted">
            {loading ? 'Searching…' : `${formatCount(results.total)} module${results.total === 1 ? '' : 's'}${q ? ` ${match === 'prefix' ? 'starting with' : 'containing'} “${q}”` : ''}${results.complete === false ? ' so far: the proxy is still listing its store' : ''}`}
          </p>
          {results.items.length > 0 && (
            <Table
              name="modules"
              rows={results.items}
              columns={[
                { heading: 'Module', cell: (module) => <a href={moduleHref(module.path)}>{module.path}</a> },
                { heading: 'Versions', number: true, wideOnly: true, cell: (module) => formatCount(module.versions) },
                { heading: 'Latest', cell: (module) => module.latest },
                { heading: 'Last download', wideOnly: true, cell: (module) => <Time value={module.lastDownload} /> },
              ]}
            />
          )}
          {results.next && (
            <button type="button" onClick={more}>
              Show more
            </button>
          )}
        </>
      )}
      <section aria-labelledby="use-heading">
        <h2 id="use-heading">Use this proxy</h2>
        <CopyLine label="go env line for GOPROXY" text={`go env -w GOPROXY=${location.origin}`} />
      </section>
    </>
  );
}
