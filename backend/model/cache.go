package model

import (
	"errors"
	"fmt"
)

// kvBlockLen is the number of positions one KV block holds. Caches grow a block at a
// time, so a sequence costs memory in proportion to its length, and a fork shares its
// parent's blocks instead of copying them. For the 1B Llama shape a block is 4 MiB
// (16 layers × 64 positions × 512 floats × 4 bytes, keys and values), so forking five
// columns allocates 20 MiB.
const kvBlockLen = 64

// kvBlock holds the keys and values of up to kvBlockLen consecutive positions of one
// sequence, for every layer. A block is written only by the cache that allocated it,
// and only past the positions that forks of that cache read.
type kvBlock struct {
	k []float32 // [numLayers][blockLen][numKVHeads*headDim]
	v []float32 // [numLayers][blockLen][numKVHeads*headDim]
}

// kvSpan is the part of a block that belongs to one cache: its first n positions.
type kvSpan struct {
	block *kvBlock
	n     int
}

// Cache is the KV cache of one sequence. Its positions are a chain of spans; a fork
// starts with its parent's spans (read only) and appends blocks of its own.
type Cache struct {
	m       *Model
	spans   []kvSpan // in position order
	len     int      // positions held
	ownLast bool     // whether the last span's block may be written by this cache
}

// ErrContextFull is wrapped by the error of a Prefill or DecodeBatch that would take a
// cache past the context length.
var ErrContextFull = errors.New("context length reached")

// ContextError reports a cache that cannot take more tokens.
type ContextError struct {
	Len, Adding, Limit int
}

// Error says how many tokens the cache holds, how many were added and the limit.
func (e *ContextError) Error() string {
	return fmt.Sprintf("context length reached: the sequence holds %d tokens, %d more "+
		"would exceed the limit of %d", e.Len, e.Adding, e.Limit)
}

// Unwrap makes errors.Is(err, ErrContextFull) hold.
func (e *ContextError) Unwrap() error { return ErrContextFull }

// ErrorCode returns the stable code the UI branches on.
func (e *ContextError) ErrorCode() string { return "context_full" }

// NewCache returns an empty cache for one sequence.
func (m *Model) NewCache() *Cache {
	return &Cache{m: m}
}

// Len returns the number of positions the cache holds.
func (c *Cache) Len() int { return c.len }

// Fork returns n caches that start with c's positions. The prefix is shared, not
// copied; c stays usable and the forks and c may then grow independently.
func (m *Model) Fork(c *Cache, n int) []*Cache {
	out := make([]*Cache, n)
	for i := range out {
		out[i] = &Cache{m: c.m, spans: append([]kvSpan(nil), c.spans...), len: c.len}
	}
	return out
}

// kvSlot is where one new position's key and value go: a block and the index in it.
type kvSlot struct {
	block *kvBlock
	i     int
}

// reserve makes room for n more positions and appends their slots to slots. The
// positions count as held from now on; the caller fills them for every layer.
func (c *Cache) reserve(n int, slots []kvSlot) []kvSlot {
	blockFloats := len(c.m.Layers) * kvBlockLen * c.m.cfg.NumKeyValueHeads * c.m.cfg.HeadDim
	for range n {
		last := len(c.spans) - 1
		if last < 0 || !c.ownLast || c.spans[last].n == kvBlockLen {
			b := &kvBlock{k: make([]float32, blockFloats), v: make([]float32, blockFloats)}
			c.spans = append(c.spans, kvSpan{block: b})
			c.ownLast = true
			last++
		}
		slots = append(slots, kvSlot{block: c.spans[last].block, i: c.spans[last].n})
		c.spans[last].n++
		c.len++
	}
	return slots
}
