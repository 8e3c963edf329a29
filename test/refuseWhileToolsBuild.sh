# Sourced by every script that builds or finds a tool the tests run (MinIO, the Kubernetes
# programs, helm, govulncheck, the image). `npm test` (test/run.sh) runs the tests that need no
# such tool while the tools build, with GOMODPROXY_TOOLS_PENDING set: a test of that first group
# that asks for a tool is in the wrong group, and says so at once instead of waiting for (or
# racing) the build. $1 names the tool.
if [ -n "${GOMODPROXY_TOOLS_PENDING:-}" ]; then
  echo "this test needs $1, which npm test builds while the tests that need no tool run:" \
    "list its file in vitest.config.ts's toolTests" >&2
  exit 3
fi
