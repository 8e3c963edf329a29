// Command noteoracle says what golang.org/x/mod/sumdb/note makes of keys and
// signed notes, built against the copy of x/mod that the go command itself
// vendors (GOROOT/src/cmd/vendor/golang.org/x/mod), so that its answers are the
// go command's. It reads a JSON array of jobs on stdin and writes a JSON array
// of results, one for each job, in order. Notes and texts travel as base64, so
// that bytes that are not UTF-8 arrive unchanged.
//
//	{"op":"generate","name":N}              note.GenerateKey: skey, vkey
//	{"op":"sign","text":T,"skeys":[...]}    note.NewSigner and note.Sign: note
//	{"op":"open","note":M,"vkeys":[...]}    note.NewVerifier and note.Open: text, sigs, unverified
//
// A failure is reported as the error's message and its kind: "unknown"
// (UnverifiedNoteError), "invalid" (InvalidSignatureError), "key" (a key that
// does not parse) or "other".
package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"golang.org/x/mod/sumdb/note"
)

type job struct {
	Op    string   `json:"op"`
	Name  string   `json:"name"`
	Text  string   `json:"text"`
	Note  string   `json:"note"`
	SKeys []string `json:"skeys"`
	VKeys []string `json:"vkeys"`
}

type sig struct {
	Name   string `json:"name"`
	Hash   uint32 `json:"hash"`
	Base64 string `json:"base64"`
}

type result struct {
	SKey       string `json:"skey,omitempty"`
	VKey       string `json:"vkey,omitempty"`
	Note       string `json:"note,omitempty"`
	Text       string `json:"text,omitempty"`
	Sigs       []sig  `json:"sigs"`
	Unverified []sig  `json:"unverified"`
	Error      string `json:"error,omitempty"`
	ErrorKind  string `json:"errorKind,omitempty"`
}

func main() {
	var jobs []job
	if err := json.NewDecoder(os.Stdin).Decode(&jobs); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	results := make([]result, len(jobs))
	for i, j := range jobs {
		r := run(j)
		if r.Sigs == nil {
			r.Sigs = []sig{}
		}
		if r.Unverified == nil {
			r.Unverified = []sig{}
		}
		results[i] = r
	}
	if err := json.NewEncoder(os.Stdout).Encode(results); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
}

func run(j job) result {
	switch j.Op {
	case "generate":
		skey, vkey, err := note.GenerateKey(rand.Reader, j.Name)
		if err != nil {
			return fail(err, "other")
		}
		return result{SKey: skey, VKey: vkey}
	case "sign":
		text, err := base64.StdEncoding.DecodeString(j.Text)
		if err != nil {
			return fail(err, "other")
		}
		var signers []note.Signer
		for _, k := range j.SKeys {
			s, err := note.NewSigner(k)
			if err != nil {
				return fail(err, "key")
			}
			signers = append(signers, s)
		}
		msg, err := note.Sign(&note.Note{Text: string(text)}, signers...)
		if err != nil {
			return fail(err, "other")
		}
		return result{Note: base64.StdEncoding.EncodeToString(msg)}
	case "open":
		msg, err := base64.StdEncoding.DecodeString(j.Note)
		if err != nil {
			return fail(err, "other")
		}
		var verifiers []note.Verifier
		for _, k := range j.VKeys {
			v, err := note.NewVerifier(k)
			if err != nil {
				return fail(err, "key")
			}
			verifiers = append(verifiers, v)
		}
		n, err := note.Open(msg, note.VerifierList(verifiers...))
		if err != nil {
			var unknown *note.UnverifiedNoteError
			var invalid *note.InvalidSignatureError
			switch {
			case errors.As(err, &unknown):
				return fail(err, "unknown")
			case errors.As(err, &invalid):
				return fail(err, "invalid")
			}
			return fail(err, "other")
		}
		return result{
			Text:       base64.StdEncoding.EncodeToString([]byte(n.Text)),
			Sigs:       sigs(n.Sigs),
			Unverified: sigs(n.UnverifiedSigs),
		}
	}
	return fail(fmt.Errorf("unknown op %q", j.Op), "other")
}

func sigs(list []note.Signature) []sig {
	out := []sig{}
	for _, s := range list {
		out = append(out, sig{s.Name, s.Hash, s.Base64})
	}
	return out
}

func fail(err error, kind string) result {
	return result{Error: err.Error(), ErrorKind: kind}
}
