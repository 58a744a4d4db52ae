package safetensors

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// WriteFile writes tensors and metadata to path as a safetensors file, the way
// the reference implementation lays it out: tensors in name order, packed
// back to back, and the JSON header padded with spaces to a multiple of 8
// bytes so every tensor starts 8-byte aligned. metadata may be nil; mlx writes
// {"format": "mlx"}. The file appears atomically (written aside, then renamed).
func WriteFile(path string, tensors []Tensor, metadata map[string]string) error {
	sorted := slices.Clone(tensors)
	slices.SortFunc(sorted, func(a, b Tensor) int { return strings.Compare(a.Name, b.Name) })
	header, err := encodeHeader(sorted, metadata)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}

	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.partial")
	if err != nil {
		return fmt.Errorf("write safetensors: %w", err)
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriterSize(tmp, 1<<20)
	var size [8]byte
	binary.LittleEndian.PutUint64(size[:], uint64(len(header)))
	w.Write(size[:])
	w.Write(header)
	for _, t := range sorted {
		w.Write(t.Data)
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write safetensors: %w", err)
	}
	return nil
}

// encodeHeader validates the tensors (sorted by name) and returns the padded
// JSON header describing them.
func encodeHeader(tensors []Tensor, metadata map[string]string) ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	if metadata != nil {
		// encoding/json sorts map keys, so the output is deterministic.
		m, err := json.Marshal(metadata)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&b, "%q:%s", metadataKey, m)
	}

	var offset int64
	for i, t := range tensors {
		if err := checkWritable(t); err != nil {
			return nil, err
		}
		if i > 0 && tensors[i-1].Name == t.Name {
			return nil, fmt.Errorf("tensor %q appears twice", t.Name)
		}
		name, _ := json.Marshal(t.Name)
		shape, _ := json.Marshal(t.Shape)
		if t.Shape == nil {
			shape = []byte("[]")
		}
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		end := offset + int64(len(t.Data))
		fmt.Fprintf(&b, `%s:{"dtype":%q,"shape":%s,"data_offsets":[%d,%d]}`,
			name, t.DType, shape, offset, end)
		offset = end
	}
	b.WriteByte('}')

	for b.Len()%8 != 0 {
		b.WriteByte(' ')
	}
	return b.Bytes(), nil
}

// checkWritable checks that a tensor's name, dtype and byte length agree.
func checkWritable(t Tensor) error {
	if t.Name == "" || t.Name == metadataKey {
		return fmt.Errorf("tensor name %q is not allowed", t.Name)
	}
	if t.DType.Size() == 0 {
		return fmt.Errorf("tensor %q: dtype %q is not supported (supported: %s)",
			t.Name, t.DType, supportedDTypes)
	}
	n := 1
	for _, d := range t.Shape {
		if d < 0 {
			return fmt.Errorf("tensor %q: shape %v has a negative dimension", t.Name, t.Shape)
		}
		n *= d
	}
	if n*t.DType.Size() != len(t.Data) {
		return fmt.Errorf("tensor %q: shape %v of %s needs %d bytes, got %d",
			t.Name, t.Shape, t.DType, n*t.DType.Size(), len(t.Data))
	}
	return nil
}
