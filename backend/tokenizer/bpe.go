package tokenizer

import (
	"bytes"
	"fmt"
	"hash/maphash"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// bpe is the byte-level BPE model. It works on raw bytes: vocabulary entries and
// merges are translated out of the byte alphabet once, at load time.
type bpe struct {
	vocab        tokenIndex // raw bytes of a token -> id
	idBytes      [][]byte   // [len(vocab ids)] raw bytes of each id
	byteID       [256]int32 // id of each single byte
	merges       pairTable  // pairKey(left, right) -> the merge
	ignoreMerges bool       // a word that is itself in the vocabulary is one token

	cache wordCache // ids of recently seen words
}

// merge is one line of model.merges: rank is its line number (lower merges first) and
// id the token the pair becomes.
type merge struct{ rank, id int32 }

// wordCache remembers the ids of words already encoded. It is direct-mapped (a word
// evicts the one in its slot) and lock-free: a slot holds a pointer to an immutable
// entry, so concurrent Encode calls need no mutex. Most words of running text repeat,
// and one cache probe is cheaper than the vocabulary lookup and the merges.
type wordCache struct {
	seed  maphash.Seed
	slots [cacheSlots]atomic.Pointer[cacheEntry]
}

type cacheEntry struct {
	word string
	ids  []int32
}

// cacheSlots is the number of cache slots; cacheMaxWordLen keeps long, rarely repeated
// words out of the cache.
const (
	cacheSlots      = 1 << 16
	cacheMaxWordLen = 48
)

func (c *wordCache) slot(word string) *atomic.Pointer[cacheEntry] {
	return &c.slots[maphash.String(c.seed, word)&(cacheSlots-1)]
}

func pairKey(left, right int32) uint64 { return uint64(uint32(left))<<32 | uint64(uint32(right)) }

// pairTable maps pair keys to merges: an open-addressing hash table (linear probing,
// at most two-thirds full) whose lookup touches one cache line, where a Go map touches two
// or three. The rank lookups of the BPE loop and the 280,147 inserts of Llama 3's
// merges are the hot spots of encoding and of loading.
type pairTable struct {
	slots []pairSlot // len is a power of two
	shift uint       // 64 - log2(len(slots))
}

type pairSlot struct {
	key uint64 // pairKey + 1, so that 0 marks an empty slot (ids are below maxVocab)
	m   merge
}

func newPairTable(n int) pairTable {
	bits := uint(1)
	for 1<<bits < n*3/2 {
		bits++
	}
	return pairTable{slots: make([]pairSlot, 1<<bits), shift: 64 - bits}
}

// home is the first slot to probe for key: Fibonacci hashing spreads the pair keys,
// whose low bits alone would cluster.
func (t *pairTable) home(key uint64) uint64 { return (key * 0x9E3779B97F4A7C15) >> t.shift }

// put sets the merge of key, replacing any earlier one.
func (t *pairTable) put(key uint64, m merge) {
	mask := uint64(len(t.slots) - 1)
	for i := t.home(key); ; i = (i + 1) & mask {
		if s := &t.slots[i]; s.key == 0 || s.key == key+1 {
			*s = pairSlot{key + 1, m}
			return
		}
	}
}

func (t *pairTable) get(key uint64) (merge, bool) {
	mask := uint64(len(t.slots) - 1)
	for i := t.home(key); ; i = (i + 1) & mask {
		switch t.slots[i].key {
		case key + 1:
			return t.slots[i].m, true
		case 0:
			return merge{}, false
		}
	}
}

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

	b := &bpe{ignoreMerges: m.IgnoreMerges}
	b.cache.seed = maphash.MakeSeed()
	if err := b.readVocab(m.src, m.vocab); err != nil {
		return nil, err
	}
	for c := 0; c < 256; c++ {
		id, ok := lookup(&b.vocab, []byte{byte(c)})
		if !ok {
			return nil, fmt.Errorf("model.vocab has no token for byte 0x%02X (%q); "+
				"byte-level BPE needs all 256", c, string(byteChar[c]))
		}
		b.byteID[c] = id
	}
	if err := b.readMerges(m.src, m.merges); err != nil {
		return nil, err
	}
	return b, nil
}

// readVocab fills vocab and idBytes from the entries of model.vocab. The raw bytes of
// all tokens share one buffer.
func (b *bpe) readVocab(src []byte, entries []vocabEntry) error {
	var all []byte
	bounds := make([]span, len(entries)) // of each token in all
	size := int32(0)
	for k, e := range entries {
		if err := checkID(e.id); err != nil {
			return fmt.Errorf("model.vocab: %w", err)
		}
		start := len(all)
		key := src[e.key.start:e.key.end]
		if e.escaped {
			s, err := jsonString(src[e.key.start-1:e.key.end+1], true)
			if err != nil {
				return fmt.Errorf("model.vocab: %w", err)
			}
			all = appendByteLevelDecoded(all, s)
		} else {
			all = appendByteLevelDecoded(all, key)
		}
		bounds[k] = span{int32(start), int32(len(all))}
		size = max(size, e.id+1)
	}

	b.idBytes = make([][]byte, size)
	b.vocab = newTokenIndex(b.idBytes, len(entries))
	for k, e := range entries {
		r := bounds[k]
		b.idBytes[e.id] = all[r.start:r.end:r.end]
		b.vocab.add(e.id)
	}
	return nil
}

// readMerges fills merges from the elements of model.merges. Each merge needs the ids
// of its two tokens and of their join: three vocabulary lookups, most of them cache
// misses (Llama 3 has 280,147 merges). Two things make this fast enough to load in a
// fraction of a second: the joins of consecutive merges are usually consecutive ids
// or the same one (BPE training appends each merge's result to the vocabulary; files
// converted from tiktoken list every merge that makes a token together), so those two
// ids are tried first and checked against their bytes; and the ranks are split over all cores
// in contiguous chunks, then the map is filled in rank order.
func (b *bpe) readMerges(src []byte, elems []span) error {
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
			nid := int32(-1)             // id of the previous join
			for rank := w * len(elems) / workers; rank < (w+1)*len(elems)/workers; rank++ {
				var err error
				left, right, err = mergeParts(left[:0], right[:0], src[elems[rank].start:elems[rank].end])
				if err != nil {
					errs[w] = fmt.Errorf("model.merges[%d]: %w", rank, err)
					return
				}
				both = append(append(both[:0], left...), right...)
				lid, lok := lookup(&b.vocab, left)
				rid, rok := lookup(&b.vocab, right)
				var nok bool
				switch {
				case nid >= 0 && bytes.Equal(b.idBytes[nid], both):
					nok = true // another merge that makes the same token
				case nid >= 0 && int(nid+1) < len(b.idBytes) && bytes.Equal(b.idBytes[nid+1], both):
					nid, nok = nid+1, true
				default:
					nid, nok = lookup(&b.vocab, both)
				}
				if !lok || !rok || !nok {
					errs[w] = fmt.Errorf("model.merges[%d] %q %q: token not in the vocabulary",
						rank, byteLevelEncode(string(left)), byteLevelEncode(string(right)))
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

	// A pair listed twice keeps its first (lowest) rank: fill from the last rank down.
	b.merges = newPairTable(len(all))
	for i := len(all) - 1; i >= 0; i-- {
		b.merges.put(all[i].key, all[i].m)
	}
	return nil
}

// tokenIndex finds a token's id from its bytes: an open-addressing table (linear
// probing, at most half full) of 64-bit fingerprints, each checked against the
// token's bytes. It replaces a map[string]int32, which costs one more cache miss per
// lookup and most of a tokenizer's load time to build.
type tokenIndex struct {
	seed    maphash.Seed
	slots   []indexSlot // len is a power of two
	idBytes [][]byte    // the bytes of each id, shared with bpe
}

type indexSlot struct {
	fp uint64 // fingerprint | 1, so that 0 marks an empty slot
	id int32
}

func newTokenIndex(idBytes [][]byte, n int) tokenIndex {
	size := 2
	for size < 2*n {
		size <<= 1
	}
	return tokenIndex{seed: maphash.MakeSeed(), slots: make([]indexSlot, size), idBytes: idBytes}
}

// add indexes id, whose bytes must be in idBytes. Of two ids with the same bytes the
// lower one is kept, as HF's lookup by text finds the first.
func (x *tokenIndex) add(id int32) {
	tok := x.idBytes[id]
	fp := maphash.Bytes(x.seed, tok) | 1
	mask := uint64(len(x.slots) - 1)
	for i := fp & mask; ; i = (i + 1) & mask {
		s := &x.slots[i]
		switch {
		case s.fp == 0:
			*s = indexSlot{fp, id}
			return
		case s.fp == fp && string(x.idBytes[s.id]) == string(tok):
			s.id = min(s.id, id)
			return
		}
	}
}

// lookup returns the id of the token whose bytes are tok.
func lookup[T string | []byte](x *tokenIndex, tok T) (int32, bool) {
	var fp uint64
	switch t := any(tok).(type) {
	case string:
		fp = maphash.String(x.seed, t) | 1
	case []byte:
		fp = maphash.Bytes(x.seed, t) | 1
	}
	mask := uint64(len(x.slots) - 1)
	for i := fp & mask; ; i = (i + 1) & mask {
		s := x.slots[i]
		switch {
		case s.fp == 0:
			return 0, false
		case s.fp == fp && string(x.idBytes[s.id]) == string(tok):
			return s.id, true
		}
	}
}

// mergeParts decodes one merge, written as "left right" or ["left", "right"], and
// appends the raw bytes of its two tokens to left and right.
func mergeParts(left, right, elem []byte) ([]byte, []byte, error) {
	if len(elem) > 0 && elem[0] == '[' {
		return mergeArray(left, right, elem)
	}
	line, err := literal(elem)
	if err != nil {
		return nil, nil, err
	}
	l, r, ok := bytes.Cut(line, []byte(" "))
	if !ok || bytes.IndexByte(r, ' ') >= 0 {
		return nil, nil, fmt.Errorf("want two tokens separated by a space, got %q", line)
	}
	return appendByteLevelDecoded(left, l), appendByteLevelDecoded(right, r), nil
}

// mergeArray reads a merge written as ["left", "right"].
func mergeArray(left, right, elem []byte) ([]byte, []byte, error) {
	var parts [][]byte
	end, err := scanArray(elem, 0, func(v int) (int, error) {
		if v >= len(elem) || elem[v] != '"' {
			return 0, fmt.Errorf("%w: want a string at byte %d of %q", errJSON, v, elem)
		}
		end, _, err := skipString(elem, v)
		if err != nil {
			return 0, err
		}
		part, err := literal(elem[v:end])
		parts = append(parts, part)
		return end, err
	})
	switch {
	case err != nil:
		return nil, nil, err
	case end != len(elem) || len(parts) != 2:
		return nil, nil, fmt.Errorf("want two tokens, got %q", elem)
	}
	return appendByteLevelDecoded(left, parts[0]), appendByteLevelDecoded(right, parts[1]), nil
}

// literal returns the contents of the JSON string literal lit, decoding escapes.
func literal(lit []byte) ([]byte, error) {
	if len(lit) < 2 || lit[0] != '"' {
		return nil, fmt.Errorf("%w: want a string, got %.40q", errJSON, lit)
	}
	end, escaped, err := skipString(lit, 0)
	switch {
	case err != nil:
		return nil, err
	case end != len(lit):
		return nil, fmt.Errorf("%w: want a string, got %.40q", errJSON, lit)
	case !escaped:
		return lit[1 : len(lit)-1], nil
	}
	s, err := jsonString(lit, true)
	return []byte(s), err
}

// appendWord appends the ids of one pre-tokenized word (raw bytes).
func (b *bpe) appendWord(dst []int32, word string) []int32 {
	if len(word) == 1 {
		return append(dst, b.byteID[word[0]])
	}
	if len(word) > cacheMaxWordLen {
		return b.encodeWord(dst, word)
	}

	slot := b.cache.slot(word)
	if e := slot.Load(); e != nil && e.word == word {
		return append(dst, e.ids...)
	}
	start := len(dst)
	dst = b.encodeWord(dst, word)
	slot.Store(&cacheEntry{word: word, ids: slices.Clone(dst[start:])})
	return dst
}

// encodeWord is appendWord without the cache.
func (b *bpe) encodeWord(dst []int32, word string) []int32 {
	if b.ignoreMerges {
		if id, ok := lookup(&b.vocab, word); ok {
			return append(dst, id)
		}
	}
	return b.mergeWord(dst, word)
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
		m, _ := b.merges.get(pairKey(ids[best], ids[best+1]))
		ids[best] = m.id
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
	if m, ok := b.merges.get(pairKey(left, right)); ok {
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
		if m, ok := b.merges.get(pairKey(syms[pos].id, syms[next].id)); ok {
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
		m, ok := b.merges.get(pairKey(s.id, syms[s.next].id))
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
