//go:build tools

// The govulncheck command the vulnerability database tests run, pinned here and built by
// test/vuln/ensureGovulncheck.sh.
package tools

import _ "golang.org/x/vuln/cmd/govulncheck"
