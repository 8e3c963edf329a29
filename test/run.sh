#!/usr/bin/env bash
# npm test. The tools the tests run as real servers (MinIO, etcd and the Kubernetes programs, helm,
# govulncheck, the image: test/ensureTools.sh) take half an hour to build on a cold 2-core machine
# and nothing on a warm one. A cold build leaves a core idle much of the time (module downloads,
# links, one package waiting for another), so the type check and the tests that need no tool run
# meanwhile; the tests that need a tool (vitest.config.ts's toolTests) run once the tools are
# there. Every group runs even when one before it failed, so a run reports all it found.
set -uo pipefail
cd "$(dirname "$0")/.."

# The tools' progress lines, marked, between the tests' own.
bash test/ensureTools.sh > >(sed -u 's/^/[tools] /') 2> >(sed -u 's/^/[tools] /' >&2) &
tools=$!

status=0
npx tsc --noEmit || status=$?
# The web page's sources (DOM and JSX) have a configuration of their own.
npx tsc --noEmit -p proxy/web || status=$?
GOMODPROXY_TOOLS_PENDING=1 npx vitest run --project self-contained || status=$?
if ! wait "$tools"; then
  echo "building the test tools failed (its lines are marked [tools] above)" >&2
  exit 1
fi
npx vitest run --project tools || status=$?
exit "$status"
