/** For admins: the settings in effect (secrets masked by the proxy), and what a developer puts in go env and .netrc. */
import type { Settings } from '../api.ts';
import { Answer } from '../components/Answer.tsx';
import { CopyLine } from '../components/CopyLine.tsx';
import { useApi } from '../useApi.ts';

export function SettingsView() {
  const loaded = useApi<Settings>('/api/settings');
  return (
    <>
      <h1 tabIndex={-1}>Settings</h1>
      <Answer loaded={loaded}>
        {({ goEnv, netrc, ...settings }) => (
          <>
            <section aria-labelledby="go-env-heading">
              <h2 id="go-env-heading">For Go developers</h2>
              <p>Run these once on each machine that should fetch modules through this proxy:</p>
              {(goEnv ?? []).map((line, index) => (
                <CopyLine label={`go env line ${index + 1}`} text={line} />
              ))}
              {netrc && (
                <>
                  <p>
                    This proxy asks who you are. Put this line in <code>~/.netrc</code> (or the file <code>NETRC</code> names), with your user name and password or token; the go
                    command sends it only over https:
                  </p>
                  <CopyLine label=".netrc line" text={netrc} />
                </>
              )}
            </section>
            <section aria-labelledby="settings-heading">
              <h2 id="settings-heading">In effect</h2>
              <p class="muted">Secrets are shown as ***.</p>
              <pre class="settings">
                <code>{JSON.stringify(settings, null, 2)}</code>
              </pre>
            </section>
          </>
        )}
      </Answer>
    </>
  );
}
