package tokenizer

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
)

// bpe is the byte-level BPE model. It works on raw bytes: vocabulary entries and
// merges are translated out of the byte alphabet once, at load time.
type bpe struct {
	vocab        map[string]int32 // raw bytes of a token -> id
	idBytes      [][]byte         // [len(vocab ids)] raw bytes of each id
	byteID       [256]int32       // id of each single byte
	merges       map[uint64]merge // pairKey(left, right) -> the merge
	ignoreMerges bool             // a word that is itself in the vocabulary is one token

	cacheMu sync.RWMutex
	cache   map[string][]int32 // word -> ids, for short words
}

// merge is one line of model.merges: rank is its line number (lower merges first) and
// id the token the pair becomes.
type merge struct{ rank, id int32 }

// cacheMaxWords bounds the word cache (HF uses 10,000); cacheMaxWordLen keeps long,
// rarely repeated words out of it.
const (
	cacheMaxWords   = 1 << 16
	cacheMaxWordLen = 48
)

func pairKey(left, right int32) uint64 { return uint64(uint32(left))<<32 | uint64(uint32(right)) }

func newBPE(m *modelJSON) (*bpe, error) {
	if m.Type != "" && m.Type != "BPE" {
		return nil, unsupported("model", m.Type)
	}
	switch {
	case m.Dropout != nil && *m.Dropout != 0:
		return nil, unsupported("model.dropout", fmt.Sprint(*m.Dropout))
	case m.ContinuingSubwordPrefix != nil && *m.ContinuingSubwordPrefix != "":
		return nil, unsupported("model.continuing_subword_prefix", *m.ContinuingSubwordPrefix)
	case m.EndOfWordSuffix != nil && *m.EndOfWordSuffix != "":
		return nil, unsupported("model.end_of_word_suffix", *m.EndOfWordSuffix)
	case m.ByteFallback:
		return nil, unsupported("model.byte_fallback", "true")
	}

	b := &bpe{ignoreMerges: m.IgnoreMerges, cache: make(map[string][]int32)}
	if err := b.readVocab(m.vocab); err != nil {
		return nil, err
	}
	for c := 0; c < 256; c++ {
		id, ok := b.vocab[string([]byte{byte(c)})]
		if !ok {
			return nil, fmt.Errorf("model.vocab has no token for byte 0x%02X (%q); byte-level BPE needs all 256",
				c, string(byteChar[c]))
		}
		b.byteID[c] = id
	}
	if err := b.readMerges(m.merges); err != nil {
		return nil, err
	}
	return b, nil
}

// readVocab fills vocab and idBytes from model.vocab. The raw bytes of all tokens share
// one buffer, and the map keys are substrings of one string.
func (b *bpe) readVocab(raw []byte) error {
	type entry struct{ start, end, id int32 }
	var all []byte
	var entries []entry
	size := int32(0)
	err := eachRawMember(raw, func(key []byte, escaped bool, value []byte) error {
		id, err := intValue(value)
		if err != nil {
			return err
		}
		if err := checkID(id); err != nil {
			return err
		}
		start := len(all)
		if escaped {
			s, err := jsonString(key, true)
			if err != nil {
				return err
			}
			all = appendByteLevelDecoded(all, s)
		} else {
			all = appendByteLevelDecoded(all, key[1:len(key)-1])
		}
		entries = append(entries, entry{int32(start), int32(len(all)), id})
		size = max(size, id+1)
		return nil
	})
	if err != nil {
		return fmt.Errorf("model.vocab: %w", err)
	}

	text := string(all)
	b.vocab = make(map[string]int32, len(entries))
	b.idBytes = make([][]byte, size)
	for _, e := range entries {
		key := text[e.start:e.end]
		b.idBytes[e.id] = all[e.start:e.end:e.end]
		if old, dup := b.vocab[key]; !dup || e.id < old {
			b.vocab[key] = e.id
		}
	}
	return nil
}

// readMerges fills merges from model.merges, in either serialization: "left right"
// strings or two-element arrays. Finding the ids of a merge's tokens costs three
// vocabulary lookups, most of them cache misses (Llama 3 has 280,147 merges), so the
// lookups run on all cores; the map is then filled in rank order.
func (b *bpe) readMerges(raw []byte) error {
	var elems [][]byte
	if !isNull(raw) {
		if err := eachElement(raw, func(e []byte) error {
			elems = append(elems, e)
			return nil
		}); err != nil {
			return fmt.Errorf("model.merges: %w", err)
		}
	}

	type resolved struct {
		key uint64
		m   merge
	}
	all := make([]resolved, len(elems))
	workers := min(runtime.GOMAXPROCS(0), 8, 1+len(elems)/4096)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			var left, right, both []byte // raw bytes of the two parts and their join
			for rank := w; rank < len(elems); rank += workers {
				l, r, err := mergeParts(elems[rank])
				if err != nil {
					errs[w] = fmt.Errorf("model.merges[%d]: %w", rank, err)
					return
				}
				left = appendByteLevelDecoded(left[:0], l)
				right = appendByteLevelDecoded(right[:0], r)
				both = append(append(both[:0], left...), right...)
				lid, lok := b.vocab[string(left)]
				rid, rok := b.vocab[string(right)]
				nid, nok := b.vocab[string(both)]
				if !lok || !rok || !nok {
					errs[w] = fmt.Errorf("model.merges[%d] %q %q: token not in the vocabulary", rank, l, r)
					return
				}
				all[rank] = resolved{pairKey(lid, rid), merge{rank: int32(rank), id: nid}}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}

	b.merges = make(map[uint64]merge, len(all))
	for _, r := range all {
		if _, dup := b.merges[r.key]; !dup {
			b.merges[r.key] = r.m
		}
	}
	return nil
}

// mergeParts reads one merge, written as "left right" or ["left", "right"].
func mergeParts(elem []byte) (string, string, error) {
	if len(elem) > 0 && elem[0] == '[' {
		return mergeArray(elem)
	}
	return mergeLine(elem)
}

// mergeLine splits a merge written as "left right".
func mergeLine(elem []byte) (string, string, error) {
	line, err := stringValue(elem)
	if err != nil {
		return "", "", err
	}
	l, r, ok := strings.Cut(line, " ")
	if !ok || strings.Contains(r, " ") {
		return "", "", fmt.Errorf("want two tokens separated by a space, got %q", line)
	}
	return l, r, nil
}

// mergeArray reads a merge written as ["left", "right"].
func mergeArray(elem []byte) (string, string, error) {
	var parts []string
	err := eachElement(elem, func(v []byte) error {
		s, err := stringValue(v)
		parts = append(parts, s)
		return err
	})
	if err != nil {
		return "", "", err
	}
	if len(parts) != 2 {
		return "", "", fmt.Errorf("want two tokens, got %d", len(parts))
	}
	return parts[0], parts[1], nil
}

// appendWord appends the ids of one pre-tokenized word (raw bytes).
func (b *bpe) appendWord(dst []int32, word string) []int32 {
	if b.ignoreMerges {
		if id, ok := b.vocab[word]; ok {
			return append(dst, id)
		}
	}
	if len(word) == 1 {
		return append(dst, b.byteID[word[0]])
	}
	if len(word) > cacheMaxWordLen {
		return b.mergeWord(dst, word)
	}

	b.cacheMu.RLock()
	ids, ok := b.cache[word]
	b.cacheMu.RUnlock()
	if ok {
		return append(dst, ids...)
	}
	start := len(dst)
	dst = b.mergeWord(dst, word)
	b.cacheMu.Lock()
	if len(b.cache) < cacheMaxWords {
		b.cache[word] = append([]int32(nil), dst[start:]...)
	}
	b.cacheMu.Unlock()
	return dst
}

// noMerge is the rank of a pair that has no merge.
const noMerge = int32(1<<31 - 1)

// heapMinLen is the word length (bytes) from which mergeWord uses a priority queue;
// below it the quadratic scan is faster.
const heapMinLen = 128

// mergeWord applies the merges to word's bytes, lowest rank first and, among equal
// ranks, leftmost first (the order HF's BPE::merge_word follows), and appends the
// resulting ids.
func (b *bpe) mergeWord(dst []int32, word string) []int32 {
	if len(word) >= heapMinLen {
		return b.mergeWordHeap(dst, word)
	}
	// ids holds the current symbols, ranks[k] the rank of the pair (ids[k], ids[k+1]).
	var idsBuf, ranksBuf [heapMinLen]int32
	ids, ranks := idsBuf[:len(word)], ranksBuf[:len(word)-1]
	for k := 0; k < len(word); k++ {
		ids[k] = b.byteID[word[k]]
	}
	for k := range ranks {
		ranks[k] = b.rank(ids[k], ids[k+1])
	}

	for len(ids) > 1 {
		// Find the best pair.
		best := 0
		for k := 1; k < len(ranks); k++ {
			if ranks[k] < ranks[best] {
				best = k
			}
		}
		if ranks[best] == noMerge {
			break
		}

		// Merge it and refresh the ranks of its neighbours.
		ids[best] = b.merges[pairKey(ids[best], ids[best+1])].id
		copy(ids[best+1:], ids[best+2:])
		ids = ids[:len(ids)-1]
		copy(ranks[best:], ranks[best+1:])
		ranks = ranks[:len(ranks)-1]
		if best > 0 {
			ranks[best-1] = b.rank(ids[best-1], ids[best])
		}
		if best < len(ranks) {
			ranks[best] = b.rank(ids[best], ids[best+1])
		}
	}
	return append(dst, ids...)
}

func (b *bpe) rank(left, right int32) int32 {
	if m, ok := b.merges[pairKey(left, right)]; ok {
		return m.rank
	}
	return noMerge
}

// symbol is one node of the doubly linked list mergeWordHeap works on.
type symbol struct {
	id         int32
	prev, next int32 // indices of the neighbours, -1 at the ends
	gone       bool  // merged into its left neighbour
}

// candidate is a pair waiting in the priority queue: the symbol at pos with its right
// neighbour, which becomes id.
type candidate struct{ rank, pos, id int32 }

func (c candidate) less(d candidate) bool {
	return c.rank < d.rank || c.rank == d.rank && c.pos < d.pos
}

// mergeWordHeap is mergeWord in O(n log n) for long words, with the same result.
func (b *bpe) mergeWordHeap(dst []int32, word string) []int32 {
	syms := make([]symbol, len(word))
	for k := range syms {
		syms[k] = symbol{id: b.byteID[word[k]], prev: int32(k - 1), next: int32(k + 1)}
	}
	syms[len(syms)-1].next = -1

	var queue []candidate
	push := func(pos int32) {
		next := syms[pos].next
		if next < 0 {
			return
		}
		if m, ok := b.merges[pairKey(syms[pos].id, syms[next].id)]; ok {
			queue = heapPush(queue, candidate{rank: m.rank, pos: pos, id: m.id})
		}
	}
	for k := range syms {
		push(int32(k))
	}

	for len(queue) > 0 {
		var c candidate
		queue, c = heapPop(queue)
		// Skip candidates that earlier merges made stale.
		s := &syms[c.pos]
		if s.gone || s.next < 0 {
			continue
		}
		m, ok := b.merges[pairKey(s.id, syms[s.next].id)]
		if !ok || m.id != c.id {
			continue
		}

		// Merge the right neighbour into s.
		right := &syms[s.next]
		right.gone = true
		s.id = c.id
		s.next = right.next
		if s.next >= 0 {
			syms[s.next].prev = c.pos
		}
		if s.prev >= 0 {
			push(s.prev)
		}
		push(c.pos)
	}
	for k := int32(0); k >= 0; k = syms[k].next {
		dst = append(dst, syms[k].id)
	}
	return dst
}

func heapPush(h []candidate, c candidate) []candidate {
	h = append(h, c)
	for k := len(h) - 1; k > 0; {
		parent := (k - 1) / 2
		if !h[k].less(h[parent]) {
			break
		}
		h[k], h[parent] = h[parent], h[k]
		k = parent
	}
	return h
}

func heapPop(h []candidate) ([]candidate, candidate) {
	top := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h = h[:last]
	for k := 0; ; {
		small, l, r := k, 2*k+1, 2*k+2
		if l < len(h) && h[l].less(h[small]) {
			small = l
		}
		if r < len(h) && h[r].less(h[small]) {
			small = r
		}
		if small == k {
			break
		}
		h[k], h[small] = h[small], h[k]
		k = small
	}
	return h, top
}
