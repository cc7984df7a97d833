package pull

import (
	"encoding/json"
	"strings"

	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/fhirapi"
)

// classifyEntry is classify for a resource the bundle decoder has read
// already (so it is valid JSON): its header is read in one pass over its
// bytes (entryHeader), which costs a fraction of decoding it again, and
// by fhirapi.ParseHeader whenever that pass is not certain to read the
// same.
func classifyEntry(raw json.RawMessage) (r storage.Resource, remove bool, mal *Malformed) {
	if h, ok := entryHeader(raw); ok {
		return classifyHeader(raw, h)
	}
	return classify(raw)
}

// headerFields are the top-level fields fhirapi.ParseHeader reads.
var headerFields = [...]string{"resourceType", "id", "status", "meta", "verificationStatus"}

// entryHeader reads what fhirapi.ParseHeader reads (type, id, status,
// meta.lastUpdated, meta.versionId, the raw verificationStatus) from a
// resource known to be valid JSON, without decoding the rest and without
// copying. ok is false whenever it cannot be sure to read the same as
// ParseHeader: a field it keeps holding anything but plain ASCII text
// without escapes, a field of another JSON type than expected, a key
// matching one of those fields only when case is ignored (encoding/json
// matches names so), a key repeated, a non-ASCII or escaped key. Those
// rare resources take ParseHeader.
func entryHeader(raw []byte) (h fhirapi.ResourceHeader, ok bool) {
	s := scanner{b: raw}
	var seen [len(headerFields)]bool
	ok = s.object(func(key []byte) bool {
		f := fieldIndex(key, headerFields[:])
		switch {
		case f == -1:
			return s.skip()
		case f < 0 || seen[f]:
			return false
		}
		seen[f] = true
		var good bool
		switch headerFields[f] {
		case "resourceType":
			h.ResourceType, good = s.plainString()
		case "id":
			h.ID, good = s.plainString()
		case "status":
			h.Status, good = s.plainString()
		case "verificationStatus":
			start := s.i
			if !s.skip() {
				return false
			}
			h.VerificationStatus = json.RawMessage(raw[start:s.i])
			return true
		case "meta":
			metaFields := []string{"lastUpdated", "versionId"}
			var metaSeen [2]bool
			return s.object(func(key []byte) bool {
				f := fieldIndex(key, metaFields)
				switch {
				case f == -1:
					return s.skip()
				case f < 0 || metaSeen[f]:
					return false
				}
				metaSeen[f] = true
				var ok bool
				if f == 0 {
					h.Meta.LastUpdated, ok = s.plainString()
				} else {
					h.Meta.VersionID, ok = s.plainString()
				}
				return ok
			})
		}
		return good
	})
	return h, ok
}

// fieldIndex is the index of key among names; -1 when it matches none,
// even ignoring case; -2 when it matches one only ignoring case (or is not
// plain ASCII, which could match by Unicode case folding).
func fieldIndex(key []byte, names []string) int {
	for _, c := range key {
		if c >= 0x80 {
			return -2
		}
	}
	for i, name := range names {
		if string(key) == name {
			return i
		}
		if strings.EqualFold(string(key), name) {
			return -2
		}
	}
	return -1
}

// scanner walks valid JSON. Every method reports false on anything it
// does not expect (it never reads past the end).
type scanner struct {
	b []byte
	i int
}

func (s *scanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// object reads an object, calling member with each key (no escapes) with
// the scanner at its value, which member must consume.
func (s *scanner) object(member func(key []byte) bool) bool {
	s.space()
	if s.i >= len(s.b) || s.b[s.i] != '{' {
		return false
	}
	s.i++
	s.space()
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
		return true
	}
	for {
		s.space()
		key, escaped, ok := s.str()
		if !ok || escaped {
			return false
		}
		s.space()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return false
		}
		s.i++
		s.space()
		if !member(key) {
			return false
		}
		s.space()
		if s.i >= len(s.b) {
			return false
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case '}':
			s.i++
			return true
		default:
			return false
		}
	}
}

// str reads a string, returning its raw contents and whether they hold an
// escape.
func (s *scanner) str() (v []byte, escaped, ok bool) {
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return nil, false, false
	}
	start := s.i + 1
	for j := start; j < len(s.b); j++ {
		switch s.b[j] {
		case '\\':
			escaped = true
			j++
		case '"':
			s.i = j + 1
			return s.b[start:j], escaped, true
		}
	}
	return nil, false, false
}

// plainString reads a string of printable ASCII without escapes: such a
// string decodes to exactly its bytes.
func (s *scanner) plainString() (string, bool) {
	v, escaped, ok := s.str()
	if !ok || escaped {
		return "", false
	}
	for _, c := range v {
		if c < 0x20 || c >= 0x7f {
			return "", false
		}
	}
	return string(v), true
}

// skip passes over one value.
func (s *scanner) skip() bool {
	if s.i >= len(s.b) {
		return false
	}
	switch s.b[s.i] {
	case '"':
		_, _, ok := s.str()
		return ok
	case '{', '[':
		depth := 0
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case '"':
				if _, _, ok := s.str(); !ok {
					return false
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					s.i++
					return true
				}
			}
			s.i++
		}
		return false
	default: // a number, true, false or null
		start := s.i
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return s.i > start
			}
			s.i++
		}
		return s.i > start
	}
}
