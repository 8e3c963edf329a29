//go:build tools

// The helm command the chart tests run, pinned here and built by test/helm/ensureHelm.sh.
package tools

import _ "helm.sh/helm/v3/cmd/helm"
