// Command tlogoracle prints what golang.org/x/mod/sumdb/tlog computes for a log of N records
// ("record i\n" for i = 0..N-1), as JSON, for the TypeScript tests to compare with.
//
// Usage: tlogoracle N tileHeight tileSize
package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strconv"

	"golang.org/x/mod/sumdb/tlog"
)

type hashes []tlog.Hash

func (s hashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		out[i] = s[x]
	}
	return out, nil
}

type proof struct {
	T     int64    `json:"t"`
	N     int64    `json:"n"`
	Proof []string `json:"proof"`
}

type tile struct {
	Path string `json:"path"`
	H    int    `json:"H"`
	L    int    `json:"L"`
	N    int64  `json:"N"`
	W    int    `json:"W"`
	Data string `json:"data"`
}

type index struct {
	Level int   `json:"level"`
	N     int64 `json:"n"`
	Index int64 `json:"index"`
	Tile  tile  `json:"tile"`
}

type output struct {
	StoredCount  []int64  `json:"storedCount"`
	StoredHashes []string `json:"storedHashes"`
	TreeHashes   []string `json:"treeHashes"`
	TreeNotes    []string `json:"treeNotes"`
	RecordProofs []proof  `json:"recordProofs"`
	TreeProofs   []proof  `json:"treeProofs"`
	Tiles        []tile   `json:"tiles"`
	Indexes      []index  `json:"indexes"`
}

func hexes(hs []tlog.Hash) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = hex.EncodeToString(h[:])
	}
	return out
}

func tileOf(t tlog.Tile, data []byte) tile {
	return tile{Path: t.Path(), H: t.H, L: t.L, N: t.N, W: t.W, Data: hex.EncodeToString(data)}
}

func main() {
	n, _ := strconv.ParseInt(os.Args[1], 10, 64)
	height, _ := strconv.Atoi(os.Args[2])
	tileSize, _ := strconv.ParseInt(os.Args[3], 10, 64)
	check := func(err error) {
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}

	var out output
	var storage hashes
	for i := int64(0); i <= n; i++ {
		out.StoredCount = append(out.StoredCount, int64(len(storage)))
		th, err := tlog.TreeHash(i, storage)
		check(err)
		out.TreeHashes = append(out.TreeHashes, hex.EncodeToString(th[:]))
		if i < 4 || i == n {
			out.TreeNotes = append(out.TreeNotes, string(tlog.FormatTree(tlog.Tree{N: i, Hash: th})))
		}
		if i == n {
			break
		}
		hs, err := tlog.StoredHashes(i, []byte(fmt.Sprintf("record %d\n", i)), storage)
		check(err)
		storage = append(storage, hs...)
	}
	out.StoredHashes = hexes(storage)

	// Every proof in trees up to 40 records, and a sample in larger ones.
	var pairs [][2]int64
	for t := int64(1); t <= n; t++ {
		if t <= 40 {
			for m := int64(1); m <= t; m++ {
				pairs = append(pairs, [2]int64{t, m})
			}
			continue
		}
		if t%97 == 0 || t == n || t == 255 || t == 256 || t == 257 || t == 512 || t == 513 {
			for _, m := range []int64{1, 2, t / 3, t / 2, t - 1, t} {
				if m >= 1 {
					pairs = append(pairs, [2]int64{t, m})
				}
			}
		}
	}
	for _, p := range pairs {
		t, m := p[0], p[1]
		rp, err := tlog.ProveRecord(t, m-1, storage)
		check(err)
		out.RecordProofs = append(out.RecordProofs, proof{T: t, N: m - 1, Proof: hexes(rp)})
		tp, err := tlog.ProveTree(t, m, storage)
		check(err)
		out.TreeProofs = append(out.TreeProofs, proof{T: t, N: m, Proof: hexes(tp)})
	}

	for _, t := range tlog.NewTiles(height, 0, tileSize) {
		data, err := tlog.ReadTileData(t, storage)
		check(err)
		out.Tiles = append(out.Tiles, tileOf(t, data))
	}

	// Index arithmetic far beyond the log built here.
	for _, level := range []int{0, 1, 7, 8, 9, 16, 17, 30} {
		for _, m := range []int64{0, 1, 255, 256, 1234067, 1 << 30, 1<<32 + 12345, 1<<40 - 1} {
			if m >= 1<<uint(44-level) { // keep (m+1)<<level well below 2^53
				continue
			}
			x := tlog.StoredHashIndex(level, m)
			t := tlog.TileForIndex(8, x)
			out.Indexes = append(out.Indexes, index{Level: level, N: m, Index: x, Tile: tileOf(t, nil)})
		}
	}

	enc := json.NewEncoder(os.Stdout)
	check(enc.Encode(out))
}
