package safetensors

import (
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
)

// File is an open, validated safetensors file.
type File struct {
	path     string
	mapped   []byte            // the whole file, memory-mapped
	tensors  []Tensor          // sorted by name; Data views mapped
	byName   map[string]int    // index into tensors
	metadata map[string]string // __metadata__, nil when absent
}

// Open maps the file at path and validates its header. Tensor data stays on
// disk until touched; Close releases the mapping.
func Open(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open safetensors: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("open safetensors: %w", err)
	}
	size := st.Size()
	if size < 8 {
		return nil, &FormatError{File: path, Problem: "file is " + strconv.FormatInt(size, 10) +
			" bytes, too short for the 8-byte header length"}
	}
	if int64(int(size)) != size {
		return nil, &FormatError{File: path, Problem: "file is too large to map"}
	}

	mapped, err := mapFile(f, size)
	if err != nil {
		return nil, fmt.Errorf("map %s: %w", path, err)
	}
	file, err := parseFile(path, mapped)
	if err != nil {
		unmapFile(mapped)
		return nil, err
	}
	for i := range file.tensors {
		file.tensors[i].mapped = true
	}
	return file, nil
}

// parseFile validates the bytes of a whole file and builds the tensor views.
func parseFile(path string, b []byte) (*File, error) {
	if len(b) < 8 {
		return nil, &FormatError{File: path, Problem: fmt.Sprintf(
			"file is %d bytes, too short for the 8-byte header length", len(b))}
	}
	n := binary.LittleEndian.Uint64(b)
	if n > MaxHeaderSize {
		return nil, &FormatError{File: path, Problem: fmt.Sprintf(
			"header size %d exceeds the limit of %d bytes", n, MaxHeaderSize)}
	}
	if n > uint64(len(b)-8) {
		return nil, &FormatError{File: path, Problem: fmt.Sprintf(
			"header size %d runs past the end of the %d-byte file (truncated?)", n, len(b))}
	}
	data := b[8+n:]
	infos, metadata, err := parseHeader(path, b[8:8+n], int64(len(data)))
	if err != nil {
		return nil, err
	}

	file := &File{
		path:     path,
		mapped:   b,
		tensors:  make([]Tensor, len(infos)),
		byName:   make(map[string]int, len(infos)),
		metadata: metadata,
	}
	for i, info := range infos {
		file.tensors[i] = Tensor{
			Name:  info.name,
			DType: info.dtype,
			Shape: info.shape,
			Data:  data[info.begin:info.end:info.end],
		}
		file.byName[info.name] = i
	}
	return file, nil
}

// Path returns the path the file was opened from.
func (f *File) Path() string { return f.path }

// Tensors returns every tensor of the file, sorted by name.
func (f *File) Tensors() []Tensor { return f.tensors }

// Tensor returns the named tensor and whether the file holds it.
func (f *File) Tensor(name string) (Tensor, bool) {
	i, ok := f.byName[name]
	if !ok {
		return Tensor{}, false
	}
	return f.tensors[i], true
}

// Metadata returns the header's __metadata__ map (nil when absent). mlx writes
// {"format": "mlx"}.
func (f *File) Metadata() map[string]string { return f.metadata }

// Close unmaps the file. Tensor data obtained from it must not be used after.
func (f *File) Close() error {
	if f.mapped == nil {
		return nil
	}
	err := unmapFile(f.mapped)
	f.mapped, f.tensors, f.byName = nil, nil, nil
	return err
}
