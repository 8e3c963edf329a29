/** What a view shows while its data loads, and when the proxy refused or failed. */
import type { ComponentChildren } from 'preact';
import type { Loaded } from '../useApi.ts';

export function Answer<T>({ loaded, children }: { loaded: Loaded<T>; children: (data: T) => ComponentChildren }) {
  if (loaded.error) return <ErrorMessage status={loaded.error.status} message={loaded.error.message} />;
  if (loaded.data === null) return <p class="muted" role="status">Loading…</p>;
  return <>{children(loaded.data)}</>;
}

export function ErrorMessage({ status, message }: { status: number; message: string }) {
  const title = status === 404 ? 'Not found' : status === 401 ? 'Sign-in needed' : status === 403 ? 'Not allowed' : 'Could not load';
  return (
    <div class="error" role="alert">
      <strong>{title}.</strong> {message}
    </div>
  );
}
