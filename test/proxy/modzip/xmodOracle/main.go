// Command xmodoracle says what golang.org/x/mod makes of module file trees and
// zips, built against the copy of x/mod that the go command itself vendors
// (GOROOT/src/cmd/vendor/golang.org/x/mod), so that its answers are the go
// command's. It reads a JSON array of jobs on stdin and writes a JSON array of
// results, one for each job, in order:
//
//	{"op":"fromVCS","module":M,"version":V,"dir":worktree,"rev":R,"subdir":S,"zip":out}
//	    zip.CreateFromVCS (git archive of R, S's files, the root LICENSE copied)
//	{"op":"fromDir","module":M,"version":V,"dir":D,"zip":out}
//	    zip.CreateFromDir
//	{"op":"check","module":M,"version":V,"zip":Z,"unzip":true}
//	    zip.CheckZip (and zip.Unzip, if asked) of a zip built elsewhere
//
// Each result has the h1: hash (dirhash.HashZip) and the file names in the zip
// without the "M@V/" prefix, or the error.
package main

import (
	"archive/zip"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb/dirhash"
	modzip "golang.org/x/mod/zip"
)

type job struct {
	Op      string `json:"op"`
	Module  string `json:"module"`
	Version string `json:"version"`
	Dir     string `json:"dir"`
	Rev     string `json:"rev"`
	Subdir  string `json:"subdir"`
	Zip     string `json:"zip"`
	Unzip   bool   `json:"unzip"`
}

type result struct {
	Hash  string   `json:"hash,omitempty"`
	Files []string `json:"files"`
	Error string   `json:"error,omitempty"`
}

func main() {
	var jobs []job
	if err := json.NewDecoder(os.Stdin).Decode(&jobs); err != nil {
		fmt.Fprintln(os.Stderr, "xmodoracle: reading jobs:", err)
		os.Exit(2)
	}
	results := make([]result, len(jobs))
	for i, j := range jobs {
		results[i] = run(j)
	}
	if err := json.NewEncoder(os.Stdout).Encode(results); err != nil {
		fmt.Fprintln(os.Stderr, "xmodoracle: writing results:", err)
		os.Exit(2)
	}
}

func run(j job) result {
	m := module.Version{Path: j.Module, Version: j.Version}
	switch j.Op {
	case "fromVCS", "fromDir":
		if err := create(j, m); err != nil {
			return result{Error: err.Error(), Files: []string{}}
		}
	case "check":
		if _, err := modzip.CheckZip(m, j.Zip); err != nil {
			return result{Error: err.Error(), Files: []string{}}
		}
		if !j.Unzip {
			break
		}
		dir, err := os.MkdirTemp("", "xmodoracle-unzip-")
		if err != nil {
			return result{Error: err.Error(), Files: []string{}}
		}
		defer os.RemoveAll(dir)
		if err := modzip.Unzip(filepath.Join(dir, "m"), m, j.Zip); err != nil {
			return result{Error: err.Error(), Files: []string{}}
		}
	default:
		return result{Error: "unknown op " + j.Op, Files: []string{}}
	}
	hash, err := dirhash.HashZip(j.Zip, dirhash.Hash1)
	if err != nil {
		return result{Error: err.Error(), Files: []string{}}
	}
	files, err := names(j.Zip, m)
	if err != nil {
		return result{Error: err.Error(), Files: []string{}}
	}
	return result{Hash: hash, Files: files}
}

func create(j job, m module.Version) error {
	f, err := os.Create(j.Zip)
	if err != nil {
		return err
	}
	if j.Op == "fromVCS" {
		err = modzip.CreateFromVCS(f, m, j.Dir, j.Rev, j.Subdir)
	} else {
		err = modzip.CreateFromDir(f, m, j.Dir)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func names(zipFile string, m module.Version) ([]string, error) {
	r, err := zip.OpenReader(zipFile)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	prefix := m.Path + "@" + m.Version + "/"
	files := []string{}
	for _, f := range r.File {
		files = append(files, strings.TrimPrefix(f.Name, prefix))
	}
	sort.Strings(files)
	return files, nil
}
