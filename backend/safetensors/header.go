package safetensors

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
)

// MaxHeaderSize bounds the JSON header, as the reference implementation does,
// so that a corrupt length cannot make a reader allocate gigabytes.
const MaxHeaderSize = 100_000_000

// metadataKey is the header entry holding free-form string metadata.
const metadataKey = "__metadata__"

// headerEntry is one tensor's record in the JSON header.
type headerEntry struct {
	DType       *string  `json:"dtype"`
	Shape       *[]int64 `json:"shape"`
	DataOffsets *[]int64 `json:"data_offsets"`
}

// tensorInfo is a validated header entry: offsets are relative to the start of
// the data section.
type tensorInfo struct {
	name       string
	dtype      DType
	shape      []int
	begin, end int64
}

// parseHeader validates the JSON header of file (named in errors) against a
// data section of dataLen bytes and returns the tensors sorted by name and the
// metadata. It never panics, whatever the input.
func parseHeader(file string, header []byte, dataLen int64) (
	[]tensorInfo, map[string]string, error) {
	fail := func(tensor, format string, args ...any) error {
		return &FormatError{File: file, Tensor: tensor, Problem: fmt.Sprintf(format, args...)}
	}

	// The header is a JSON object; the reference writer starts it with '{'.
	trimmed := bytes.TrimLeft(header, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, nil, fail("", "header is not a JSON object")
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(header, &raw); err != nil {
		return nil, nil, fail("", "header is not valid JSON: %v", err)
	}

	// Metadata, when present, maps strings to strings.
	var metadata map[string]string
	if m, ok := raw[metadataKey]; ok {
		if err := json.Unmarshal(m, &metadata); err != nil || metadata == nil {
			return nil, nil, fail("", "%s must be an object of strings", metadataKey)
		}
		delete(raw, metadataKey)
	}

	infos := make([]tensorInfo, 0, len(raw))
	for name, msg := range raw {
		info, err := parseEntry(name, msg, dataLen)
		if err != nil {
			return nil, nil, fail(name, "%s", err)
		}
		infos = append(infos, info)
	}
	if err := checkCoverage(file, infos, dataLen); err != nil {
		return nil, nil, err
	}
	slices.SortFunc(infos, func(a, b tensorInfo) int { return strings.Compare(a.name, b.name) })
	return infos, metadata, nil
}

// parseEntry validates one tensor record: known dtype, non-negative shape,
// offsets inside the data section and a byte length equal to elements × size.
func parseEntry(name string, msg json.RawMessage, dataLen int64) (tensorInfo, error) {
	var e headerEntry
	if err := json.Unmarshal(msg, &e); err != nil {
		return tensorInfo{}, fmt.Errorf(
			"entry is not an object with dtype, shape and data_offsets: %v", err)
	}
	switch {
	case e.DType == nil:
		return tensorInfo{}, fmt.Errorf("missing dtype")
	case e.Shape == nil:
		return tensorInfo{}, fmt.Errorf("missing shape")
	case e.DataOffsets == nil:
		return tensorInfo{}, fmt.Errorf("missing data_offsets")
	}
	dtype := DType(*e.DType)
	if dtype.Size() == 0 {
		return tensorInfo{}, fmt.Errorf("dtype %q is not supported (supported: %s)",
			dtype, supportedDTypes)
	}

	offsets := *e.DataOffsets
	if len(offsets) != 2 {
		return tensorInfo{}, fmt.Errorf("data_offsets must hold 2 numbers, got %d", len(offsets))
	}
	begin, end := offsets[0], offsets[1]
	if begin < 0 || begin > end || end > dataLen {
		return tensorInfo{}, fmt.Errorf(
			"data_offsets [%d, %d] must satisfy 0 <= begin <= end <= %d (data section size)",
			begin, end, dataLen)
	}

	// The element count is bounded by the data section, so checking before
	// each multiplication keeps the product from overflowing.
	shape := make([]int, len(*e.Shape))
	count := int64(1)
	for i, d := range *e.Shape {
		if d < 0 {
			return tensorInfo{}, fmt.Errorf("shape %v has a negative dimension", *e.Shape)
		}
		if d > 0 && count > math.MaxInt64/d {
			return tensorInfo{}, fmt.Errorf("shape %v is too large", *e.Shape)
		}
		count *= d
		shape[i] = int(d)
	}
	if count > math.MaxInt64/int64(dtype.Size()) || count*int64(dtype.Size()) != end-begin {
		return tensorInfo{}, fmt.Errorf("shape %v of %s needs %d bytes but data_offsets [%d, %d] span %d",
			*e.Shape, dtype, count*int64(dtype.Size()), begin, end, end-begin)
	}
	return tensorInfo{name: name, dtype: dtype, shape: shape, begin: begin, end: end}, nil
}

// checkCoverage checks that the tensors tile the data section exactly: no two
// overlap and no byte is left unowned, as the format requires.
func checkCoverage(file string, infos []tensorInfo, dataLen int64) error {
	sorted := slices.Clone(infos)
	slices.SortFunc(sorted, func(a, b tensorInfo) int {
		if a.begin != b.begin {
			return int(min(max(a.begin-b.begin, -1), 1))
		}
		if a.end != b.end {
			return int(min(max(a.end-b.end, -1), 1))
		}
		return strings.Compare(a.name, b.name)
	})
	var pos int64
	prev := ""
	for _, t := range sorted {
		if t.begin < pos {
			return &FormatError{File: file, Tensor: t.name, Problem: fmt.Sprintf(
				"data_offsets [%d, %d] overlap tensor %q which ends at %d", t.begin, t.end, prev, pos)}
		}
		if t.begin > pos {
			return &FormatError{File: file, Tensor: t.name, Problem: fmt.Sprintf(
				"bytes [%d, %d) before it belong to no tensor", pos, t.begin)}
		}
		pos, prev = t.end, t.name
	}
	if pos != dataLen {
		return &FormatError{File: file, Problem: fmt.Sprintf(
			"tensors end at byte %d of a %d-byte data section", pos, dataLen)}
	}
	return nil
}
