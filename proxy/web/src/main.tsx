/**
 * The page: a header with the views this user may see, and the view of the current route. Admin
 * views (health, settings) are offered only when /api/whoami says admin; the API refuses them to
 * others all the same.
 */
import { render } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import type { WhoAmI } from './api.ts';
import { followLink, useRoute, type Route } from './router.ts';
import { useApi } from './useApi.ts';
import { ErrorMessage } from './components/Answer.tsx';
import { SearchView } from './views/SearchView.tsx';
import { ModuleView } from './views/ModuleView.tsx';
import { VersionView } from './views/VersionView.tsx';
import { UsageView } from './views/UsageView.tsx';
import { HealthView } from './views/HealthView.tsx';
import { SettingsView } from './views/SettingsView.tsx';
import './style.css';

const TITLES: Record<Route['view'], string> = {
  search: 'Modules',
  module: 'Module',
  version: 'Version',
  usage: 'Usage',
  health: 'Health',
  settings: 'Settings',
  'not-found': 'Not found',
};

function titleOf(route: Route): string {
  if (route.view === 'module') return route.path;
  if (route.view === 'version') return `${route.path}@${route.version}`;
  return TITLES[route.view];
}

function App() {
  const route = useRoute();
  const who = useApi<WhoAmI>('/api/whoami');
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);
  const admin = who.data?.admin === true;

  // A new view: its name in the title, and the keyboard's focus on its heading (as a page load
  // would). A new search text is the same view: the focus stays in the search field.
  const title = titleOf(route);
  useEffect(() => {
    document.title = `${title} · gomodproxy`;
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.querySelector<HTMLElement>('h1')?.focus();
  }, [title]);

  const links: { href: string; label: string; views: Route['view'][] }[] = [
    { href: '/', label: 'Modules', views: ['search', 'module', 'version'] },
    { href: '/ui/usage', label: 'Usage', views: ['usage'] },
    ...(admin
      ? [
          { href: '/ui/health', label: 'Health', views: ['health'] as Route['view'][] },
          { href: '/ui/settings', label: 'Settings', views: ['settings'] as Route['view'][] },
        ]
      : []),
  ];

  return (
    <div onClick={followLink}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header>
        <a class="brand" href="/">
          gomodproxy
        </a>
        <nav aria-label="Views">
          <ul>
            {links.map((link) => (
              <li>
                <a href={link.href} aria-current={link.views.includes(route.view) ? 'page' : undefined}>
                  {link.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <span class="who muted">{who.data ? (who.data.identity ? `signed in as ${who.data.identity}` : who.data.authRequired ? 'not signed in' : '') : ''}</span>
      </header>
      <main id="main" ref={main}>
        {who.error && who.error.status === 401 ? <ErrorMessage status={401} message={who.error.message} /> : <View route={route} admin={admin} />}
      </main>
    </div>
  );
}

function View({ route, admin }: { route: Route; admin: boolean }) {
  switch (route.view) {
    case 'search':
      return <SearchView q={route.q} match={route.match} />;
    case 'module':
      return <ModuleView key={route.path} path={route.path} />;
    case 'version':
      return <VersionView key={`${route.path}@${route.version}`} path={route.path} version={route.version} />;
    case 'usage':
      return <UsageView admin={admin} />;
    case 'health':
      return <HealthView />;
    case 'settings':
      return <SettingsView />;
    case 'not-found':
      return (
        <>
          <h1 tabIndex={-1}>Not found</h1>
          <p>
            This page has no view at {route.path}. <a href="/">Search modules</a>.
          </p>
        </>
      );
  }
}

render(<App />, document.getElementById('app')!);
