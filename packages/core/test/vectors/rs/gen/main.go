// Command gen writes klauspost.json: golden Reed-Solomon vectors from
// github.com/klauspost/reedsolomon (default Vandermonde matrix) for the TS tests.
// Run from this folder: see README.md.
package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"

	"github.com/klauspost/reedsolomon"
)

type vector struct {
	K      int      `json:"k"`
	M      int      `json:"m"`
	Length int      `json:"length"`
	Data   string   `json:"data"`   // hex of the input bytes
	Shards []string `json:"shards"` // hex of all k+m shards after Split+Encode
}

type file struct {
	Generator string   `json:"generator"`
	Library   string   `json:"library"`
	Vectors   []vector `json:"vectors"`
}

// xorshift32, so the TS side could regenerate the same bytes if needed.
func pseudoRandom(seed uint32, n int) []byte {
	s := seed*2654435761 ^ 0xA5A5A5A5 // spread small seeds; never 0 for these seeds
	out := make([]byte, n)
	for i := range out {
		s ^= s << 13
		s ^= s >> 17
		s ^= s << 5
		out[i] = byte(s)
	}
	return out
}

func main() {
	params := [][2]int{{1, 2}, {2, 1}, {3, 0}, {4, 2}, {6, 3}, {10, 4}, {17, 3}, {5, 5}, {20, 12}}
	lengths := []int{1, 2, 3, 7, 16, 100, 255, 1000, 1537}
	var out file
	out.Generator = "packages/core/test/vectors/rs/gen/main.go"
	out.Library = "github.com/klauspost/reedsolomon v1.9.13 (Debian golang-github-klauspost-reedsolomon-dev)"
	for pi, p := range params {
		k, m := p[0], p[1]
		enc, err := reedsolomon.New(k, m)
		if err != nil {
			panic(err)
		}
		for li, n := range lengths {
			data := pseudoRandom(uint32(pi*1000+li+1), n)
			in := append([]byte(nil), data...)
			shards, err := enc.Split(in)
			if err != nil {
				panic(err)
			}
			if err := enc.Encode(shards); err != nil {
				panic(err)
			}
			v := vector{K: k, M: m, Length: n, Data: hex.EncodeToString(data)}
			for _, s := range shards {
				v.Shards = append(v.Shards, hex.EncodeToString(s))
			}
			out.Vectors = append(out.Vectors, v)
		}
	}
	b, err := json.MarshalIndent(out, "", " ")
	if err != nil {
		panic(err)
	}
	if err := os.WriteFile("../klauspost.json", append(b, '\n'), 0o644); err != nil {
		panic(err)
	}
	fmt.Fprintf(os.Stderr, "wrote %d vectors\n", len(out.Vectors))
}
