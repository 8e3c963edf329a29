/** Loads one API answer for a view, again whenever its URL changes. */
import { useEffect, useState } from 'preact/hooks';
import { ApiError, callApi } from './api.ts';

export type Loaded<T> = { data: T | null; error: ApiError | null; loading: boolean; reload: () => void };

export function useApi<T>(url: string | null): Loaded<T> {
  const [state, setState] = useState<{ data: T | null; error: ApiError | null; loading: boolean }>({ data: null, error: null, loading: url !== null });
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    if (url === null) return;
    let current = true;
    setState((previous) => ({ ...previous, loading: true, error: null }));
    callApi<T>(url).then(
      (data) => current && setState({ data, error: null, loading: false }),
      (error: unknown) => current && setState({ data: null, error: error instanceof ApiError ? error : new ApiError(0, `the proxy could not be reached: ${(error as Error).message}`), loading: false }),
    );
    return () => {
      current = false;
    };
  }, [url, generation]);
  return { ...state, reload: () => setGeneration((n) => n + 1) };
}
