package tokenizer

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"

	tiktoken "github.com/pkoukk/tiktoken-go"
)

// tiktoken-go is a second, independent oracle for Llama 3: Meta's tokenizer is a
// tiktoken BPE (tiktoken.model: base64 token, rank) with this split pattern, which
// tiktoken-go evaluates with a backtracking regexp engine (dlclark/regexp2). It is a
// test-only dependency; the app does not link it.

var (
	tiktokenOnce sync.Once
	tiktokenEnc  *tiktoken.Tiktoken
	tiktokenErr  error
)

func loadTiktoken(t testing.TB) *tiktoken.Tiktoken {
	t.Helper()
	path := needData(t, "llama3/tiktoken.model")
	tok := loadModel(t, "llama3")
	tiktokenOnce.Do(func() {
		ranks, err := readTiktokenModel(path)
		if err != nil {
			tiktokenErr = err
			return
		}
		special := map[string]int{}
		specialSet := map[string]any{}
		for _, a := range tok.added.tokens {
			special[a.Content] = int(a.ID)
			specialSet[a.Content] = true
		}
		core, err := tiktoken.NewCoreBPE(ranks, special, llama3Regex)
		if err != nil {
			tiktokenErr = err
			return
		}
		tiktokenEnc = tiktoken.NewTiktoken(core, &tiktoken.Encoding{
			Name: "llama3", PatStr: llama3Regex, MergeableRanks: ranks, SpecialTokens: special,
		}, specialSet)
	})
	if tiktokenErr != nil {
		t.Fatal(tiktokenErr)
	}
	return tiktokenEnc
}

// readTiktokenModel reads "base64-token rank" lines.
func readTiktokenModel(path string) (map[string]int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	ranks := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		tok, rank, ok := bytes.Cut(sc.Bytes(), []byte(" "))
		if !ok {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(string(tok))
		if err != nil {
			return nil, err
		}
		n, err := strconv.Atoi(string(rank))
		if err != nil {
			return nil, err
		}
		ranks[string(raw)] = n
	}
	return ranks, sc.Err()
}

// TestTiktokenLlama3 requires tiktoken-go's ids for every corpus entry. Invalid UTF-8
// is replaced first (tiktoken-go would replace each byte on its own).
func TestTiktokenLlama3(t *testing.T) {
	if testing.Short() {
		t.Skip("tiktoken-go takes a while to load; skipped with -short")
	}
	enc := loadTiktoken(t)
	tok := loadModel(t, "llama3")
	texts, _ := corpusTexts(t)
	fails := 0
	for i, text := range texts {
		text = validUTF8(text)
		want := enc.Encode(text, []string{"all"}, nil)
		got := tok.Encode(text, false)
		if !slices.Equal(asInts(got), want) {
			fails++
			if fails <= 10 {
				t.Errorf("entry %d %q:\n got %v\nwant %v", i, clip(text), got, want)
			}
		}
	}
}

func asInts(ids []int32) []int {
	out := make([]int, len(ids))
	for i, id := range ids {
		out[i] = int(id)
	}
	return out
}
