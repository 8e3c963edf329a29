//go:build ignore

// Reads cases {module, version, entries} as JSON lines on stdin and writes, per case, the IDs
// govulncheck finds affecting module@version and the fixed version it reports for each.
package main

import (
	"bufio"
	"encoding/json"
	"os"

	"golang.org/x/vuln/internal/osv"
	"golang.org/x/vuln/internal/vulncheck"
)

type question struct {
	Module  string       `json:"module"`
	Version string       `json:"version"`
	Entries []*osv.Entry `json:"entries"`
}

type answer struct {
	IDs   []string `json:"ids"`
	Fixed []string `json:"fixed"`
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<26)
	out := json.NewEncoder(os.Stdout)
	for in.Scan() {
		var q question
		if err := json.Unmarshal(in.Bytes(), &q); err != nil {
			panic(err)
		}
		ids, fixed := vulncheck.AffectingForGomodproxy(q.Module, q.Version, q.Entries)
		if ids == nil {
			ids, fixed = []string{}, []string{}
		}
		if err := out.Encode(answer{ids, fixed}); err != nil {
			panic(err)
		}
	}
}
