package tokenizer

import (
	"fmt"
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

	b := &bpe{
		vocab:        make(map[string]int32, len(m.Vocab)),
		ignoreMerges: m.IgnoreMerges,
		cache:        make(map[string][]int32),
	}
	size := 0
	for _, id := range m.Vocab {
		if id < 0 {
			return nil, fmt.Errorf("model.vocab: negative id %d", id)
		}
		size = max(size, int(id)+1)
	}
	b.idBytes = make([][]byte, size)
	for tok, id := range m.Vocab {
		raw := byteLevelDecode(tok)
		b.idBytes[id] = raw
		if old, dup := b.vocab[string(raw)]; !dup || id < old {
			b.vocab[string(raw)] = id
		}
	}
	for c := 0; c < 256; c++ {
		id, ok := b.vocab[string([]byte{byte(c)})]
		if !ok {
			return nil, fmt.Errorf("model.vocab has no token for byte 0x%02X (%q); byte-level BPE needs all 256",
				c, string(byteChar[c]))
		}
		b.byteID[c] = id
	}

	pairs, err := mergePairs(m.Merges)
	if err != nil {
		return nil, err
	}
	b.merges = make(map[uint64]merge, len(pairs))
	for rank, p := range pairs {
		left, right := string(byteLevelDecode(p[0])), string(byteLevelDecode(p[1]))
		lid, lok := b.vocab[left]
		rid, rok := b.vocab[right]
		nid, nok := b.vocab[left+right]
		if !lok || !rok || !nok {
			return nil, fmt.Errorf("model.merges[%d] %q %q: token not in the vocabulary", rank, p[0], p[1])
		}
		key := pairKey(lid, rid)
		if _, dup := b.merges[key]; !dup {
			b.merges[key] = merge{rank: int32(rank), id: nid}
		}
	}
	return b, nil
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
