//go:build ignore

package vulncheck

import (
	"golang.org/x/tools/go/packages"
	"golang.org/x/vuln/internal/osv"
)

// AffectingForGomodproxy is govulncheck's own decision for one module version: the entries that
// affect it (affectingVulnerabilities, on every platform) and the fixed version it reports for each.
func AffectingForGomodproxy(path, version string, entries []*osv.Entry) (ids, fixed []string) {
	found := affectingVulnerabilities([]*ModVulns{{Module: &packages.Module{Path: path, Version: version}, Vulns: entries}}, "", "")
	for _, mv := range found {
		for _, v := range mv.Vulns {
			ids = append(ids, v.ID)
			fixed = append(fixed, FixedVersion(path, version, v.Affected))
		}
	}
	return ids, fixed
}
