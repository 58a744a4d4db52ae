package model

import (
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/knobs-app/knobs/backend/quant"
)

// scratch holds the activations of one forward step for up to rows tokens at once
// (a prefill chunk or a decode batch). It is allocated once per model.
type scratch struct {
	rows   int
	x      []float32   // [rows][hidden] residual stream
	xb     []float32   // [rows][hidden] normed input of a sublayer
	xb2    []float32   // [rows][hidden] output of a sublayer
	q      []float32   // [rows][numHeads*headDim] queries
	k      []float32   // [rows][numKVHeads*headDim] new keys
	v      []float32   // [rows][numKVHeads*headDim] new values
	att    []float32   // [rows][numHeads*headDim] attention output
	gate   []float32   // [rows][intermediate]
	up     []float32   // [rows][intermediate]
	scores [][]float32 // [workers][ctxLen] attention weights of one (row, head)
	slots  []kvSlot    // [rows] where each row's key and value go
	steps  []stepRow   // [rows] each row's cache and position
}

func newScratch(c *Config, rows, ctxLen, workers int) *scratch {
	qDim, kvDim := c.NumAttentionHeads*c.HeadDim, c.NumKeyValueHeads*c.HeadDim
	s := &scratch{
		rows: rows,
		x:    make([]float32, rows*c.HiddenSize),
		xb:   make([]float32, rows*c.HiddenSize),
		xb2:  make([]float32, rows*c.HiddenSize),
		q:    make([]float32, rows*qDim),
		k:    make([]float32, rows*kvDim),
		v:    make([]float32, rows*kvDim),
		att:  make([]float32, rows*qDim),
		gate: make([]float32, rows*c.IntermediateSize),
		up:   make([]float32, rows*c.IntermediateSize),
	}
	s.scores = make([][]float32, max(workers, 1))
	for i := range s.scores {
		s.scores[i] = make([]float32, ctxLen)
	}
	s.slots = make([]kvSlot, 0, rows)
	s.steps = make([]stepRow, 0, rows)
	return s
}

// stepRow is one token of a forward step: which cache it extends and at what position.
type stepRow struct {
	cache *Cache
	pos   int
}

// forward runs the transformer over len(rows) tokens whose keys and values have
// already been given slots (s.slots), and writes the logits of the last `logitRows`
// rows to logits ([logitRows][vocab]). Each row attends to its own cache up to and
// including its position, so a prefill chunk is causal and a decode batch mixes
// sequences. The result for a row depends only on its own cache and token: every
// reduction runs in a fixed order and the matmul kernels are bit-identical whatever
// the batch size.
func (m *Model) forward(tokens []int32, rows []stepRow, logitRows int, logits []float32) {
	c, s := m.cfg, m.scratch
	n := len(rows)
	hidden, inter := c.HiddenSize, c.IntermediateSize
	qDim, kvDim := c.NumAttentionHeads*c.HeadDim, c.NumKeyValueHeads*c.HeadDim
	x, xb, xb2 := s.x[:n*hidden], s.xb[:n*hidden], s.xb2[:n*hidden]
	q, k, v, att := s.q[:n*qDim], s.k[:n*kvDim], s.v[:n*kvDim], s.att[:n*qDim]
	gate, up := s.gate[:n*inter], s.up[:n*inter]
	eps := c.RMSNormEps

	// Token embeddings: one row of the (possibly quantized) table per token.
	for r, id := range tokens {
		m.EmbedTokens.DequantRow(int(id), x[r*hidden:(r+1)*hidden])
	}

	for li, ly := range m.Layers {
		// Attention norm.
		rmsNormRows(xb, x, ly.InputLayernorm, hidden, eps)

		// q/k/v projections, with Qwen2's biases.
		quant.MatMul(q, ly.QProj, xb, n)
		quant.MatMul(k, ly.KProj, xb, n)
		quant.MatMul(v, ly.VProj, xb, n)
		addBiasRows(q, ly.QBias)
		addBiasRows(k, ly.KBias)
		addBiasRows(v, ly.VBias)

		// Qwen3's per-head q/k RMSNorm, before the rotation.
		if ly.QNorm != nil {
			rmsNormRows(q, q, ly.QNorm, c.HeadDim, eps)
			rmsNormRows(k, k, ly.KNorm, c.HeadDim, eps)
		}

		// Rotary embedding of every query and key head at its row's position.
		for r, row := range rows {
			for h := 0; h < qDim; h += c.HeadDim {
				m.rope.apply(q[r*qDim+h:r*qDim+h+c.HeadDim], row.pos)
			}
			for h := 0; h < kvDim; h += c.HeadDim {
				m.rope.apply(k[r*kvDim+h:r*kvDim+h+c.HeadDim], row.pos)
			}
		}

		// Store the new keys and values in the cache, then attend.
		layerOff := li * kvBlockLen * kvDim
		for r, slot := range s.slots {
			off := layerOff + slot.i*kvDim
			copy(slot.block.k[off:off+kvDim], k[r*kvDim:(r+1)*kvDim])
			copy(slot.block.v[off:off+kvDim], v[r*kvDim:(r+1)*kvDim])
		}
		m.attention(att, q, rows, li)

		// Output projection and residual.
		quant.MatMul(xb2, ly.OProj, att, n)
		addBiasRows(xb2, ly.OBias)
		addTo(x, xb2)

		// MLP norm, SiLU-gated MLP (down(silu(gate(x)) * up(x))) and residual.
		rmsNormRows(xb, x, ly.PostAttentionLayernorm, hidden, eps)
		quant.MatMul(gate, ly.GateProj, xb, n)
		quant.MatMul(up, ly.UpProj, xb, n)
		siluMul(gate, up)
		quant.MatMul(xb2, ly.DownProj, gate, n)
		addTo(x, xb2)
	}

	// Final norm and logits, only for the rows whose logits the caller wants.
	if logitRows == 0 {
		return
	}
	last := x[(n-logitRows)*hidden:]
	rmsNormRows(xb[:logitRows*hidden], last, m.Norm, hidden, eps)
	quant.MatMul(logits[:logitRows*c.VocabSize], m.LMHead, xb[:logitRows*hidden], logitRows)
}

// siluMul sets gate[i] = silu(gate[i]) * up[i], the sigmoid in float64,
// split over the cores: each element's arithmetic is fixed, so the split
// does not change the result.
func siluMul(gate, up []float32) {
	f := func(gate, up []float32) {
		up = up[:len(gate)]
		for i, g := range gate {
			gate[i] = float32(float64(g)/(1+math.Exp(-float64(g)))) * up[i]
		}
	}
	const minPart = 4096 // below this a goroutine costs more than it saves
	parts := min(runtime.GOMAXPROCS(0), len(gate)/minPart)
	if parts <= 1 {
		f(gate, up)
		return
	}
	var wg sync.WaitGroup
	size := (len(gate) + parts - 1) / parts
	for lo := size; lo < len(gate); lo += size {
		hi := min(lo+size, len(gate))
		wg.Go(func() { f(gate[lo:hi], up[lo:hi]) })
	}
	f(gate[:size], up[:size])
	wg.Wait()
}

// attention writes to att ([rows][numHeads*headDim]) the attention of every query
// head of every row over its cache, positions 0..pos inclusive, for layer li. The
// (row, head) pairs are spread over the workers; each pair is computed whole by one
// worker in position order, so the result does not depend on the split.
func (m *Model) attention(att, q []float32, rows []stepRow, li int) {
	c := m.cfg
	numHeads := c.NumAttentionHeads
	tasks := len(rows) * numHeads
	workers := min(runtime.GOMAXPROCS(0), len(m.scratch.scores), tasks)
	if workers <= 1 {
		for t := range tasks {
			m.attendHead(att, q, rows[t/numHeads], t/numHeads, t%numHeads, li, m.scratch.scores[0])
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func(scores []float32) {
			defer wg.Done()
			for {
				t := int(next.Add(1) - 1)
				if t >= tasks {
					return
				}
				m.attendHead(att, q, rows[t/numHeads], t/numHeads, t%numHeads, li, scores)
			}
		}(m.scratch.scores[w])
	}
	wg.Wait()
}

// attendHead computes one query head of row r: softmax(q·k / sqrt(headDim)) over the
// cache positions 0..row.pos, then the weighted sum of the values. GQA: query head h
// reads key/value head h / (numHeads/numKVHeads).
func (m *Model) attendHead(att, q []float32, row stepRow, r, h, li int, scores []float32) {
	c := m.cfg
	headDim := c.HeadDim
	qDim, kvDim := c.NumAttentionHeads*headDim, c.NumKeyValueHeads*headDim
	kvOff := (h / (c.NumAttentionHeads / c.NumKeyValueHeads)) * headDim
	qh := q[r*qDim+h*headDim : r*qDim+(h+1)*headDim]
	out := att[r*qDim+h*headDim : r*qDim+(h+1)*headDim]
	scale := float32(1 / math.Sqrt(float64(headDim)))
	layerOff := li * kvBlockLen * kvDim
	n := row.pos + 1

	// Scores q·k for every visible position, span by span.
	t := 0
	for _, sp := range row.cache.spans {
		cnt := min(sp.n, n-t)
		if cnt <= 0 {
			break
		}
		keyScores(scores[t:t+cnt], qh, sp.block.k[layerOff+kvOff:], kvDim, scale)
		t += cnt
	}

	// Softmax weights, subtracting the maximum before exp.
	maxScore := float32(math.Inf(-1))
	for _, s := range scores[:n] {
		maxScore = max(maxScore, s)
	}
	var sum float64
	for t := range n {
		e := float32(math.Exp(float64(scores[t] - maxScore)))
		scores[t] = e
		sum += float64(e)
	}

	// Weighted sum of the values, normalized once at the end.
	clear(out)
	t = 0
	for _, sp := range row.cache.spans {
		cnt := min(sp.n, n-t)
		if cnt <= 0 {
			break
		}
		addWeightedRows(out, sp.block.v[layerOff+kvOff:], kvDim, scores[t:t+cnt])
		t += cnt
	}
	inv := float32(1 / sum)
	for d := range out {
		out[d] *= inv
	}
}

// rmsNormRows normalizes each row of dim elements of x into dst (which may alias x):
// x / sqrt(mean(x²) + eps) * weight, the sum of squares taken in float64.
func rmsNormRows(dst, x, weight []float32, dim int, eps float64) {
	for r := 0; r < len(x); r += dim {
		row, out := x[r:r+dim], dst[r:r+dim]
		var ss float64
		for _, v := range row {
			ss += float64(v) * float64(v)
		}
		inv := 1 / math.Sqrt(ss/float64(dim)+eps)
		for i, v := range row {
			out[i] = float32(float64(v)*inv) * weight[i]
		}
	}
}

// addBiasRows adds bias to every row of x; a nil bias does nothing.
func addBiasRows(x, bias []float32) {
	if bias == nil {
		return
	}
	for r := 0; r < len(x); r += len(bias) {
		addTo(x[r:r+len(bias)], bias)
	}
}

// addTo adds y to x element-wise.
func addTo(x, y []float32) {
	for i := range x {
		x[i] += y[i]
	}
}

// checkTokens reports the first token id outside the vocabulary.
func (m *Model) checkTokens(tokens []int32) error {
	for _, id := range tokens {
		if id < 0 || int(id) >= m.cfg.VocabSize {
			return fmt.Errorf("token id %d is outside the vocabulary [0, %d)", id, m.cfg.VocabSize)
		}
	}
	return nil
}
