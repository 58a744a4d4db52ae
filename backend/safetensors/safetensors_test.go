package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// rawFile builds file bytes from a header string and a data section, with the
// header length given explicitly (negative means the true length).
func rawFile(header string, data []byte, headerLen int64) []byte {
	if headerLen < 0 {
		headerLen = int64(len(header))
	}
	b := binary.LittleEndian.AppendUint64(nil, uint64(headerLen))
	b = append(b, header...)
	return append(b, data...)
}

func writeRaw(t *testing.T, b []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "model.safetensors")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestWriteReadRoundTrip(t *testing.T) {
	tensors := []Tensor{
		{Name: "z.weight", DType: U32, Shape: []int{2, 3}, Data: EncodeU32([]uint32{1, 2, 3, 4, 5, 0xffffffff})},
		{Name: "a.scales", DType: BF16, Shape: []int{3}, Data: EncodeBF16([]float32{1, -2, 0.5})},
		{Name: "m.f16", DType: F16, Shape: []int{1, 1}, Data: EncodeF16([]float32{3})},
		{Name: "b.f32", DType: F32, Shape: []int{2}, Data: EncodeF32([]float32{1.5, -7})},
		{Name: "empty", DType: I32, Shape: []int{0, 4}, Data: nil},
		{Name: "scalar", DType: U8, Shape: []int{}, Data: []byte{9}},
	}
	path := filepath.Join(t.TempDir(), "model.safetensors")
	if err := WriteFile(path, tensors, map[string]string{"format": "mlx"}); err != nil {
		t.Fatal(err)
	}

	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := binary.LittleEndian.Uint64(raw)
	if n%8 != 0 {
		t.Errorf("header length %d is not a multiple of 8", n)
	}
	if !strings.HasPrefix(string(raw[8:]), `{"__metadata__":{"format":"mlx"},`) {
		t.Errorf("header starts %q", raw[8:40])
	}

	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.Metadata()["format"]; got != "mlx" {
		t.Errorf("metadata format = %q, want mlx", got)
	}
	var names []string
	for _, tt := range f.Tensors() {
		names = append(names, tt.Name)
	}
	want := []string{"a.scales", "b.f32", "empty", "m.f16", "scalar", "z.weight"}
	if !slices.Equal(names, want) {
		t.Errorf("names = %v, want %v", names, want)
	}

	w, _ := f.Tensor("z.weight")
	u, err := w.Uint32s()
	if err != nil || !slices.Equal(u, []uint32{1, 2, 3, 4, 5, 0xffffffff}) {
		t.Errorf("z.weight = %v, %v", u, err)
	}
	if !slices.Equal(w.Shape, []int{2, 3}) {
		t.Errorf("z.weight shape = %v", w.Shape)
	}
	s, _ := f.Tensor("a.scales")
	if v, err := s.Float32s(); err != nil || !slices.Equal(v, []float32{1, -2, 0.5}) {
		t.Errorf("a.scales = %v, %v", v, err)
	}
	h, _ := f.Tensor("m.f16")
	if v, err := h.Float32s(); err != nil || !slices.Equal(v, []float32{3}) {
		t.Errorf("m.f16 = %v, %v", v, err)
	}
	b, _ := f.Tensor("b.f32")
	if v, err := b.Float32View(); err != nil || !slices.Equal(v, []float32{1.5, -7}) {
		t.Errorf("b.f32 = %v, %v", v, err)
	}
	if e, _ := f.Tensor("empty"); e.NumElements() != 0 || len(e.Data) != 0 {
		t.Errorf("empty = %+v", e)
	}
	if sc, _ := f.Tensor("scalar"); sc.NumElements() != 1 || sc.Data[0] != 9 {
		t.Errorf("scalar = %+v", sc)
	}
}

func TestWriteFileRejects(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name    string
		tensors []Tensor
		want    string
	}{
		{"short data", []Tensor{{Name: "w", DType: F32, Shape: []int{2}, Data: make([]byte, 4)}}, "needs 8 bytes"},
		{"bad dtype", []Tensor{{Name: "w", DType: "F64", Shape: []int{1}, Data: make([]byte, 8)}}, "not supported"},
		{"duplicate", []Tensor{{Name: "w", DType: U8, Shape: []int{1}, Data: []byte{1}},
			{Name: "w", DType: U8, Shape: []int{1}, Data: []byte{1}}}, "twice"},
		{"metadata name", []Tensor{{Name: "__metadata__", DType: U8, Shape: []int{1}, Data: []byte{1}}}, "not allowed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := WriteFile(filepath.Join(dir, "x.safetensors"), c.tensors, nil)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want it to mention %q", err, c.want)
			}
		})
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("files left behind: %v", left)
	}
}

func TestOpenMalformed(t *testing.T) {
	good := `{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`
	data8 := make([]byte, 8)
	cases := []struct {
		name   string
		file   []byte
		tensor string // the tensor the error must name, if any
		want   string
	}{
		{"empty file", nil, "", "too short"},
		{"truncated length", []byte{1, 2, 3}, "", "too short"},
		{"huge header size", rawFile(good, data8, 1<<40), "", "exceeds the limit"},
		{"header past end", rawFile(good, data8, int64(len(good))+100), "", "runs past the end"},
		{"truncated data", rawFile(good, data8[:5], -1), "w", "data_offsets [0, 8]"},
		{"not json", rawFile(`{"w":`, nil, -1), "", "not valid JSON"},
		{"not an object", rawFile(`[1,2]`, nil, -1), "", "not a JSON object"},
		{"trailing garbage", rawFile(good+"x", data8, -1), "", "not valid JSON"},
		{"metadata not strings", rawFile(`{"__metadata__":{"a":1}}`, nil, -1), "", "__metadata__"},
		{"metadata null", rawFile(`{"__metadata__":null}`, nil, -1), "", "__metadata__"},
		{"entry not object", rawFile(`{"w":3}`, nil, -1), "w", "entry is not an object"},
		{"missing dtype", rawFile(`{"w":{"shape":[],"data_offsets":[0,0]}}`, nil, -1), "w", "missing dtype"},
		{"missing shape", rawFile(`{"w":{"dtype":"U8","data_offsets":[0,0]}}`, nil, -1), "w", "missing shape"},
		{"missing offsets", rawFile(`{"w":{"dtype":"U8","shape":[]}}`, nil, -1), "w", "missing data_offsets"},
		{"unknown dtype", rawFile(`{"w":{"dtype":"Q4","shape":[1],"data_offsets":[0,1]}}`, []byte{0}, -1), "w", `dtype "Q4" is not supported`},
		{"wrong dtype", rawFile(`{"w":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}}`, data8, -1), "w", `dtype "F64" is not supported`},
		{"three offsets", rawFile(`{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1,2]}}`, []byte{0}, -1), "w", "must hold 2 numbers"},
		{"begin after end", rawFile(`{"w":{"dtype":"U8","shape":[0],"data_offsets":[4,0]}}`, nil, -1), "w", "begin <= end"},
		{"negative offset", rawFile(`{"w":{"dtype":"U8","shape":[1],"data_offsets":[-1,0]}}`, nil, -1), "w", "0 <= begin"},
		{"offset past data", rawFile(`{"w":{"dtype":"U8","shape":[9],"data_offsets":[0,9]}}`, data8, -1), "w", "<= 8 (data section size)"},
		{"shape mismatch", rawFile(`{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, data8, -1), "w", "needs 12 bytes"},
		{"negative dim", rawFile(`{"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}`, data8, -1), "w", "negative dimension"},
		{"fractional dim", rawFile(`{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,8]}}`, data8, -1), "w", "entry is not an object"},
		{"overflowing shape", rawFile(`{"w":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,8]}}`, data8, -1), "w", "too large"},
		{"overlap", rawFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, data8, -1), "b", `overlap tensor "a"`},
		{"hole", rawFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, data8, -1), "a", "belong to no tensor"},
		{"trailing bytes", rawFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, data8, -1), "", "tensors end at byte 4"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeRaw(t, c.file)
			f, err := Open(path)
			if err == nil {
				f.Close()
				t.Fatal("Open succeeded, want an error")
			}
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v (%T), want a *FormatError", err, err)
			}
			if fe.File != path || fe.Tensor != c.tensor {
				t.Errorf("error names file %q tensor %q, want %q %q", fe.File, fe.Tensor, path, c.tensor)
			}
			if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("err = %q, want it to contain %q and the path", err, c.want)
			}
		})
	}
}

func TestOpenMissingFile(t *testing.T) {
	_, err := Open(filepath.Join(t.TempDir(), "nope.safetensors"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("err = %v, want ErrNotExist", err)
	}
}

// writeShards writes a two-shard checkpoint and its index into dir.
func writeShards(t *testing.T, dir string, weightMap map[string]string) {
	t.Helper()
	one := []Tensor{{Name: "a", DType: U8, Shape: []int{2}, Data: []byte{1, 2}}}
	two := []Tensor{{Name: "b", DType: F32, Shape: []int{1}, Data: EncodeF32([]float32{4})}}
	meta := map[string]string{"format": "mlx"}
	if err := WriteFile(filepath.Join(dir, "model-00001-of-00002.safetensors"), one, meta); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(filepath.Join(dir, "model-00002-of-00002.safetensors"), two, meta); err != nil {
		t.Fatal(err)
	}
	idx, _ := json.Marshal(map[string]any{"metadata": map[string]any{"total_size": 6}, "weight_map": weightMap})
	if err := os.WriteFile(filepath.Join(dir, IndexFile), idx, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestOpenDir(t *testing.T) {
	t.Run("sharded", func(t *testing.T) {
		dir := t.TempDir()
		writeShards(t, dir, map[string]string{
			"a": "model-00001-of-00002.safetensors",
			"b": "model-00002-of-00002.safetensors",
		})
		c, err := OpenDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if !slices.Equal(c.Names(), []string{"a", "b"}) || !c.Has("b") || c.Has("c") {
			t.Errorf("names = %v", c.Names())
		}
		b, err := c.Tensor("b")
		if v, _ := b.Float32s(); err != nil || v[0] != 4 {
			t.Errorf("b = %v, %v", v, err)
		}
		_, err = c.Tensor("model.norm.weight")
		if !errors.Is(err, ErrTensorNotFound) || !strings.Contains(err.Error(), "model.norm.weight") ||
			!strings.Contains(err.Error(), dir) {
			t.Errorf("missing tensor err = %v", err)
		}
		if c.Metadata()["format"] != "mlx" {
			t.Errorf("metadata = %v", c.Metadata())
		}
	})
	t.Run("single", func(t *testing.T) {
		dir := t.TempDir()
		ts := []Tensor{{Name: "w", DType: U8, Shape: []int{1}, Data: []byte{7}}}
		if err := WriteFile(filepath.Join(dir, SingleFile), ts, nil); err != nil {
			t.Fatal(err)
		}
		c, err := OpenDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if w, err := c.Tensor("w"); err != nil || w.Data[0] != 7 {
			t.Errorf("w = %v, %v", w, err)
		}
	})

	bad := []struct {
		name      string
		weightMap map[string]string
		want      string
	}{
		{"index names a missing tensor", map[string]string{"a": "model-00001-of-00002.safetensors",
			"c": "model-00002-of-00002.safetensors"}, `tensor "c": listed in weight_map`},
		{"index names the wrong shard", map[string]string{"a": "model-00002-of-00002.safetensors",
			"b": "model-00001-of-00002.safetensors"}, "listed in weight_map"},
		{"shard outside the directory", map[string]string{"a": "../model-00001-of-00002.safetensors"},
			"must be a file name"},
		{"missing shard", map[string]string{"a": "model-00003-of-00002.safetensors"}, "no such file"},
		{"empty weight_map", map[string]string{}, "weight_map is missing"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			writeShards(t, dir, c.weightMap)
			ck, err := OpenDir(dir)
			if err == nil {
				ck.Close()
				t.Fatal("OpenDir succeeded")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want %q", err, c.want)
			}
		})
	}

	t.Run("duplicate across shards", func(t *testing.T) {
		dir := t.TempDir()
		ts := []Tensor{{Name: "w", DType: U8, Shape: []int{1}, Data: []byte{7}}}
		for _, n := range []string{"model-1.safetensors", "model-2.safetensors"} {
			if err := WriteFile(filepath.Join(dir, n), ts, nil); err != nil {
				t.Fatal(err)
			}
		}
		_, err := OpenDir(dir)
		if err == nil || !strings.Contains(err.Error(), "also present in") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("empty dir", func(t *testing.T) {
		_, err := OpenDir(t.TempDir())
		if !errors.Is(err, os.ErrNotExist) {
			t.Errorf("err = %v, want ErrNotExist", err)
		}
	})
}

// FuzzParseHeader feeds arbitrary headers and data sizes to the validator: it
// must return an error or valid tensors, never panic.
func FuzzParseHeader(f *testing.F) {
	f.Add([]byte(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`), int64(8))
	f.Add([]byte(`{"__metadata__":{"format":"mlx"},"a":{"dtype":"U32","shape":[2,1],"data_offsets":[0,8]},"b":{"dtype":"BF16","shape":[1],"data_offsets":[8,10]}}`), int64(10))
	f.Add([]byte(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`), int64(8))
	f.Add([]byte(`{"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}`), int64(8))
	f.Add([]byte(`{}`), int64(0))
	f.Add([]byte(`{"w":{"dtype":"U8","shape":[0],"data_offsets":[0,0]},"v":{"dtype":"U8","shape":[0],"data_offsets":[0,0]}}`), int64(0))
	f.Fuzz(func(t *testing.T, header []byte, dataLen int64) {
		if dataLen < 0 {
			dataLen = -dataLen
		}
		if dataLen < 0 {
			return
		}
		infos, _, err := parseHeader("fuzz", header, dataLen)
		if err != nil {
			return
		}
		var total int64
		for _, in := range infos {
			if in.begin < 0 || in.end > dataLen || in.begin > in.end {
				t.Fatalf("accepted bad offsets %+v", in)
			}
			total += in.end - in.begin
		}
		if total != dataLen {
			t.Fatalf("accepted tensors covering %d of %d bytes", total, dataLen)
		}
	})
}

// FuzzOpen checks the whole-file path, header length included.
func FuzzOpen(f *testing.F) {
	f.Add(rawFile(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, make([]byte, 8), -1))
	f.Add(rawFile(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, make([]byte, 8), 1<<62))
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := parseFile("fuzz", b)
		if err != nil {
			return
		}
		for _, tt := range file.Tensors() {
			if len(tt.Data) != tt.NumElements()*tt.DType.Size() {
				t.Fatalf("tensor %q: %d bytes for shape %v", tt.Name, len(tt.Data), tt.Shape)
			}
		}
	})
}

// TestUnalignedViews reads a file whose data section starts at an odd offset
// (other writers need not pad the header), so typed views must copy.
func TestUnalignedViews(t *testing.T) {
	header := `{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},` +
		`"b":{"dtype":"U32","shape":[2],"data_offsets":[1,9]},` +
		`"c":{"dtype":"BF16","shape":[1],"data_offsets":[9,11]},` +
		`"d":{"dtype":"F32","shape":[1],"data_offsets":[11,15]}}`
	data := []byte{7}
	data = append(data, EncodeU32([]uint32{1, 0xdeadbeef})...)
	data = append(data, EncodeBF16([]float32{-1.5})...)
	data = append(data, EncodeF32([]float32{2.25})...)
	f, err := Open(writeRaw(t, rawFile(header, data, -1)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, _ := f.Tensor("b")
	if u, err := b.Uint32s(); err != nil || !slices.Equal(u, []uint32{1, 0xdeadbeef}) {
		t.Errorf("b = %x, %v", u, err)
	}
	c, _ := f.Tensor("c")
	if u, err := c.Uint16s(); err != nil || BF16ToFloat32(u[0]) != -1.5 {
		t.Errorf("c = %v, %v", u, err)
	}
	d, _ := f.Tensor("d")
	if v, err := d.Float32View(); err != nil || v[0] != 2.25 {
		t.Errorf("d = %v, %v", v, err)
	}
	if _, err := d.Uint32s(); err == nil {
		t.Error("Uint32s of an F32 tensor succeeded")
	}
}

// TestEvict checks that evicting a mapped tensor's pages keeps its data (it
// is read again from the file), and that evicting a tensor the caller built
// in memory leaves it alone (dropping anonymous pages would zero them).
func TestEvict(t *testing.T) {
	words := make([]uint32, 3<<12) // 48 KiB: whole pages inside the tensor
	for i := range words {
		words[i] = uint32(i)*2654435761 + 1
	}
	path := filepath.Join(t.TempDir(), "evict.safetensors")
	w := Tensor{Name: "w", DType: U32, Shape: []int{len(words)}, Data: EncodeU32(words)}
	if err := WriteFile(path, []Tensor{w}, nil); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	mapped, _ := f.Tensor("w")
	before := append([]byte(nil), mapped.Data...)
	mapped.Evict()
	if !bytes.Equal(mapped.Data, before) {
		t.Error("a mapped tensor's data changed after Evict")
	}

	inMemory := Tensor{Name: "w", DType: U32, Shape: []int{len(words)}, Data: EncodeU32(words)}
	inMemory.Evict()
	if !bytes.Equal(inMemory.Data, before) {
		t.Error("Evict changed a tensor held in memory")
	}
}
