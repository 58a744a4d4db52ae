package tokenizer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// A tokenizer.json is mostly its vocabulary and merges (9 MB for Llama 3).
// encoding/json spends most of a second on them through reflection, so they are
// read by the small scanner below, which yields the raw bytes of object members and
// array elements without building values; everything else goes through
// encoding/json.

var errJSON = errors.New("malformed JSON")

// skipSpace returns the index of the first non-space byte of data at or after i.
func skipSpace(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// skipString returns the index just past the string literal starting at data[i]
// (which is '"') and whether it holds any escape.
func skipString(data []byte, i int) (end int, escaped bool, err error) {
	j := i + 1
	k := bytes.IndexByte(data[j:], '"')
	if k >= 0 && bytes.IndexByte(data[j:j+k], '\\') < 0 {
		return j + k + 1, false, nil // the common case: no escapes
	}
	for ; j < len(data); j++ {
		switch data[j] {
		case '\\':
			j++
		case '"':
			return j + 1, true, nil
		}
	}
	return 0, false, fmt.Errorf("%w: unterminated string at byte %d", errJSON, i)
}

// skipValue returns the index just past the JSON value starting at data[i].
func skipValue(data []byte, i int) (int, error) {
	if i >= len(data) {
		return 0, fmt.Errorf("%w: unexpected end", errJSON)
	}
	switch data[i] {
	case '"':
		end, _, err := skipString(data, i)
		return end, err
	case '{', '[':
		depth := 0
		for j := i; j < len(data); j++ {
			switch data[j] {
			case '"':
				end, _, err := skipString(data, j)
				if err != nil {
					return 0, err
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
		}
		return 0, fmt.Errorf("%w: unterminated value at byte %d", errJSON, i)
	}
	// A number or a literal runs to the next delimiter.
	j := i
	for j < len(data) {
		switch data[j] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return j, nil
		}
		j++
	}
	return j, nil
}

// jsonString decodes the string literal lit (quotes included).
func jsonString(lit []byte, escaped bool) (string, error) {
	if !escaped {
		return string(lit[1 : len(lit)-1]), nil
	}
	var s string
	if err := json.Unmarshal(lit, &s); err != nil {
		return "", err
	}
	return s, nil
}

// scanObject walks the JSON object that starts at data[i]. For every member it calls
// member with the key literal data[key.start:key.end] (quotes included), whether the
// key holds escapes, and the index where the value starts; member consumes the value
// and returns the index just past it. scanObject returns the index just past the
// object.
func scanObject(data []byte, i int,
	member func(key span, escaped bool, v int) (int, error)) (int, error) {
	if i >= len(data) || data[i] != '{' {
		return 0, fmt.Errorf("%w: expected an object at byte %d", errJSON, i)
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(data) || data[i] != '"' {
			return 0, fmt.Errorf("%w: expected a key at byte %d", errJSON, i)
		}
		end, escaped, err := skipString(data, i)
		if err != nil {
			return 0, err
		}
		key := span{int32(i), int32(end)}
		i = skipSpace(data, end)
		if i >= len(data) || data[i] != ':' {
			return 0, fmt.Errorf("%w: expected ':' at byte %d", errJSON, i)
		}
		v := skipSpace(data, i+1)
		vend, err := member(key, escaped, v)
		if err != nil {
			return 0, err
		}
		i = skipSpace(data, vend)
		if i < len(data) && data[i] == '}' {
			return i + 1, nil
		}
		if i >= len(data) || data[i] != ',' {
			return 0, fmt.Errorf("%w: expected ',' or '}' at byte %d", errJSON, i)
		}
		i = skipSpace(data, i+1)
	}
}

// scanArray walks the JSON array that starts at data[i], calling element with the
// index where each element starts; element returns the index just past it. scanArray
// returns the index just past the array.
func scanArray(data []byte, i int, element func(v int) (int, error)) (int, error) {
	if i >= len(data) || data[i] != '[' {
		return 0, fmt.Errorf("%w: expected an array at byte %d", errJSON, i)
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == ']' {
		return i + 1, nil
	}
	for {
		end, err := element(i)
		if err != nil {
			return 0, err
		}
		i = skipSpace(data, end)
		if i < len(data) && data[i] == ']' {
			return i + 1, nil
		}
		if i >= len(data) || data[i] != ',' {
			return 0, fmt.Errorf("%w: expected ',' or ']' at byte %d", errJSON, i)
		}
		i = skipSpace(data, i+1)
	}
}

// appendMember appends "key":value to the JSON object being built in obj (which
// starts with '{').
func appendMember(obj, key, value []byte) []byte {
	if len(obj) > 1 {
		obj = append(obj, ',')
	}
	return append(append(append(obj, key...), ':'), value...)
}

// intValue decodes a raw JSON integer that fits in an int32.
func intValue(raw []byte) (int32, error) {
	if len(raw) == 0 || len(raw) > 10 {
		return 0, fmt.Errorf("%w: bad id %.20q", errJSON, raw)
	}
	n, neg := int64(0), raw[0] == '-'
	digits := raw
	if neg {
		digits = raw[1:]
	}
	if len(digits) == 0 {
		return 0, fmt.Errorf("%w: bad id %q", errJSON, raw)
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%w: bad id %q", errJSON, raw)
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	if n != int64(int32(n)) {
		return 0, fmt.Errorf("%w: id %q out of range", errJSON, raw)
	}
	return int32(n), nil
}
