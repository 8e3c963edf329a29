/**
 * The page's routes, as paths of this proxy (each is answered with the same HTML shell, so a link
 * can be shared and reloaded):
 *
 *   /                                       search (?q=…&match=prefix|substring)
 *   /ui/module/<module path>                a module and its versions
 *   /ui/module/<module path>/@v/<version>   one version
 *   /ui/usage  /ui/health  /ui/settings
 *
 * A module path has no "@", so "/@v/" ends it.
 */
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { view: 'search'; q: string; match: 'prefix' | 'substring' }
  | { view: 'module'; path: string }
  | { view: 'version'; path: string; version: string }
  | { view: 'usage' }
  | { view: 'health' }
  | { view: 'settings' }
  | { view: 'not-found'; path: string };

export function routeOf(location: { pathname: string; search: string }): Route {
  const pathname = safeDecode(location.pathname);
  const search = new URLSearchParams(location.search);
  if (pathname === '/' || pathname === '/ui' || pathname === '/ui/') {
    return { view: 'search', q: search.get('q') ?? '', match: search.get('match') === 'substring' ? 'substring' : 'prefix' };
  }
  if (pathname === '/ui/usage') return { view: 'usage' };
  if (pathname === '/ui/health') return { view: 'health' };
  if (pathname === '/ui/settings') return { view: 'settings' };
  const module = /^\/ui\/module\/(.+?)(?:\/@v\/(.+))?$/.exec(pathname);
  if (module) return module[2] ? { view: 'version', path: module[1]!, version: module[2] } : { view: 'module', path: module[1]! };
  return { view: 'not-found', path: pathname };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

export const moduleHref = (path: string) => `/ui/module/${encodeURI(path)}`;
export const versionHref = (path: string, version: string) => `/ui/module/${encodeURI(path)}/@v/${encodeURIComponent(version)}`;

const listeners = new Set<() => void>();

/** Shows another route without loading the page again. */
export function navigate(href: string, options: { replace?: boolean } = {}): void {
  if (options.replace) history.replaceState(null, '', href);
  else history.pushState(null, '', href);
  for (const listener of listeners) listener();
}

/** The current route; re-renders on navigate() and on the browser's back and forward. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => routeOf(location));
  useEffect(() => {
    const update = () => setRoute(routeOf(location));
    listeners.add(update);
    addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      removeEventListener('popstate', update);
    };
  }, []);
  return route;
}

/**
 * Follows a click on a link to one of the page's own routes without a reload. A click with a
 * modifier (new tab, new window) or on another origin is the browser's.
 */
export function followLink(event: MouseEvent): void {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const anchor = (event.target as Element | null)?.closest?.('a');
  if (!anchor || anchor.target || anchor.hasAttribute('download') || anchor.origin !== location.origin) return;
  if (anchor.pathname !== '/' && !anchor.pathname.startsWith('/ui')) return;
  event.preventDefault();
  navigate(anchor.pathname + anchor.search);
}
