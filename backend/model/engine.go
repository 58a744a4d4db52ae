package model

import (
	"errors"
	"fmt"
)

// ErrClosed is returned by Prefill and DecodeBatch on a closed model.
var ErrClosed = errors.New("model is closed")

// Prefill appends tokens to c, in chunks of the prefill size, and writes the logits of
// the last position to logits ([vocab]).
func (m *Model) Prefill(c *Cache, tokens []int32, logits []float32) error {
	if len(tokens) == 0 {
		return errors.New("prefill: no tokens")
	}
	if len(logits) < m.cfg.VocabSize {
		return fmt.Errorf("prefill: logits holds %d values, need %d", len(logits), m.cfg.VocabSize)
	}
	if err := m.checkTokens(tokens); err != nil {
		return fmt.Errorf("prefill: %w", err)
	}
	if c.m != m {
		return errors.New("prefill: the cache belongs to another model")
	}
	if c.len+len(tokens) > m.ctxLen {
		return &ContextError{Len: c.len, Adding: len(tokens), Limit: m.ctxLen}
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	rows := m.scratch.steps
	for start := 0; start < len(tokens); start += m.chunk {
		chunk := tokens[start:min(start+m.chunk, len(tokens))]
		rows = rows[:0]
		for i := range chunk {
			rows = append(rows, stepRow{cache: c, pos: c.len + i})
		}
		m.scratch.slots = c.reserve(len(chunk), m.scratch.slots[:0])
		// Only the last row of the last chunk needs logits.
		logitRows := 0
		if start+len(chunk) == len(tokens) {
			logitRows = 1
		}
		m.forward(chunk, rows, logitRows, logits)
	}
	return nil
}

// DecodeBatch appends tokens[i] to caches[i] for every i and writes the logits of each
// new position to logits[i*vocab:(i+1)*vocab]. The caches must be distinct; one step
// reads every weight once for the whole batch.
func (m *Model) DecodeBatch(caches []*Cache, tokens []int32, logits []float32) error {
	b := len(caches)
	if b < 1 || b > MaxBatch {
		return fmt.Errorf("decode: batch of %d sequences, allowed 1 to %d", b, MaxBatch)
	}
	if len(tokens) != b {
		return fmt.Errorf("decode: %d tokens for %d caches", len(tokens), b)
	}
	if len(logits) < b*m.cfg.VocabSize {
		return fmt.Errorf("decode: logits holds %d values, need %d", len(logits), b*m.cfg.VocabSize)
	}
	if err := m.checkTokens(tokens); err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	for i, c := range caches {
		if c.m != m {
			return fmt.Errorf("decode: cache %d belongs to another model", i)
		}
		for _, d := range caches[:i] {
			if d == c {
				return fmt.Errorf("decode: cache %d appears twice in the batch", i)
			}
		}
		if c.len+1 > m.ctxLen {
			return &ContextError{Len: c.len, Adding: 1, Limit: m.ctxLen}
		}
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	rows := m.scratch.steps[:b]
	slots := m.scratch.slots[:0]
	for i, c := range caches {
		rows[i] = stepRow{cache: c, pos: c.len}
		slots = c.reserve(1, slots)
	}
	m.scratch.slots = slots
	m.forward(tokens, rows, b, logits)
	return nil
}
