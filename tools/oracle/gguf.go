package main

import (
	"bufio"
	"encoding/binary"
	"math"
	"os"
)

// A minimal GGUF v3 writer: metadata key-values and F32 tensors only.

const ggufAlignment = 32

// GGUF metadata value types.
const (
	ggufUint32  = 4
	ggufInt32   = 5
	ggufFloat32 = 6
	ggufString  = 8
	ggufArray   = 9
)

type ggufKV struct {
	key   string
	value any // uint32, int32, float32, string, []string, []int32
}

type ggufTensor struct {
	name string
	dims []int // GGUF order: dims[0] is the innermost (columns)
	data []float32
}

type ggufWriter struct{ w *bufio.Writer }

func (g ggufWriter) u32(v uint32) { binary.Write(g.w, binary.LittleEndian, v) }
func (g ggufWriter) u64(v uint64) { binary.Write(g.w, binary.LittleEndian, v) }
func (g ggufWriter) str(s string) { g.u64(uint64(len(s))); g.w.WriteString(s) }

func (g ggufWriter) value(v any) {
	switch v := v.(type) {
	case uint32:
		g.u32(ggufUint32)
		g.u32(v)
	case int32:
		g.u32(ggufInt32)
		g.u32(uint32(v))
	case float32:
		g.u32(ggufFloat32)
		g.u32(math.Float32bits(v))
	case string:
		g.u32(ggufString)
		g.str(v)
	case []string:
		g.u32(ggufArray)
		g.u32(ggufString)
		g.u64(uint64(len(v)))
		for _, s := range v {
			g.str(s)
		}
	case []int32:
		g.u32(ggufArray)
		g.u32(ggufInt32)
		g.u64(uint64(len(v)))
		for _, x := range v {
			g.u32(uint32(x))
		}
	default:
		panic("gguf: unsupported value type")
	}
}

func writeGGUF(path string, kvs []ggufKV, tensors []ggufTensor) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	g := ggufWriter{bufio.NewWriter(f)}
	g.w.WriteString("GGUF")
	g.u32(3)
	g.u64(uint64(len(tensors)))
	g.u64(uint64(len(kvs)))
	for _, kv := range kvs {
		g.str(kv.key)
		g.value(kv.value)
	}
	var offset uint64
	for _, t := range tensors {
		g.str(t.name)
		g.u32(uint32(len(t.dims)))
		for _, d := range t.dims {
			g.u64(uint64(d))
		}
		g.u32(0) // GGML_TYPE_F32
		g.u64(offset)
		offset += align(uint64(4 * len(t.data)))
	}
	if err := g.w.Flush(); err != nil {
		return err
	}
	pos, _ := f.Seek(0, 1)
	g.w.Write(make([]byte, align(uint64(pos))-uint64(pos)))
	for _, t := range tensors {
		for _, v := range t.data {
			g.u32(math.Float32bits(v))
		}
		g.w.Write(make([]byte, align(uint64(4*len(t.data)))-uint64(4*len(t.data))))
	}
	return g.w.Flush()
}

func align(n uint64) uint64 { return (n + ggufAlignment - 1) / ggufAlignment * ggufAlignment }
