package store

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// InstantFormat is how the store writes FHIR instants (meta.lastUpdated):
// UTC with microseconds, the store's clock resolution.
const InstantFormat = "2006-01-02T15:04:05.000000Z07:00"

// NewID returns a new random resource id (a UUID v4 in text form).
func NewID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("store: crypto/rand failed: %v", err)) // never happens on supported systems
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// DecodeResource parses a FHIR JSON resource into a generic map (numbers kept
// as json.Number so nothing is lost) and checks it is an object with a known
// resourceType. want, when not empty, is the type it must have.
func DecodeResource(body []byte, want string) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("%w: malformed JSON: %v", ErrInvalid, jsonErrorText(err))
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: malformed JSON: data after the resource", ErrInvalid)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: a resource must be a JSON object", ErrInvalid)
	}
	rt, _ := m["resourceType"].(string)
	switch {
	case rt == "":
		return nil, fmt.Errorf("%w: resourceType missing", ErrInvalid)
	case !IsResourceType(rt):
		return nil, fmt.Errorf("%w: unsupported resourceType %q", ErrInvalid, truncate(rt))
	case want != "" && rt != want:
		return nil, fmt.Errorf("%w: resourceType %q does not match the type %q", ErrInvalid, truncate(rt), want)
	}
	if id, present := m["id"]; present {
		s, ok := id.(string)
		if !ok || !ValidID(s) {
			return nil, fmt.Errorf("%w: id is not a valid FHIR id", ErrInvalid)
		}
	}
	if meta, present := m["meta"]; present {
		if _, ok := meta.(map[string]any); !ok {
			return nil, fmt.Errorf("%w: meta must be an object", ErrInvalid)
		}
	}
	return m, nil
}

// jsonErrorText describes a JSON syntax error without quoting the input
// (which may hold patient data).
func jsonErrorText(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("unexpected %s at byte %d", te.Value, te.Offset)
	}
	return "unexpected end of input"
}

func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// EncodeResource writes m as JSON with "resourceType" first and the other
// members in sorted order, without HTML escaping (so "<" stays "<").
func EncodeResource(m map[string]any) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	keys := make([]string, 0, len(m))
	for k := range m {
		if k != "resourceType" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	if _, ok := m["resourceType"]; ok {
		keys = append([]string{"resourceType"}, keys...)
	}
	for i, k := range keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := encodeValue(&buf, k); err != nil {
			return nil, err
		}
		buf.WriteByte(':')
		if err := encodeValue(&buf, m[k]); err != nil {
			return nil, err
		}
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

func encodeValue(buf *bytes.Buffer, v any) error {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encode resource: %w", err)
	}
	buf.Truncate(buf.Len() - 1) // Encode adds a newline
	return nil
}

// stamp sets id, meta.versionId and meta.lastUpdated on m.
func stamp(m map[string]any, id string, version int64, at int64) {
	m["id"] = id
	meta, _ := m["meta"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
	}
	meta["versionId"] = fmt.Sprint(version)
	meta["lastUpdated"] = FormatInstant(time.UnixMicro(at))
	m["meta"] = meta
}

// FormatInstant writes t as a FHIR instant in the store's format.
func FormatInstant(t time.Time) string {
	return t.UTC().Format(InstantFormat)
}

func sortStrings(s []string) { slices.Sort(s) }

// splitRef splits a FHIR reference string into target type and id. It
// accepts "Type/id", "Type/id/_history/v" and absolute URLs ending in
// "Type/id" (with or without "/_history/v"). ok is false for anything else
// (contained "#x", "urn:uuid:...", logical references).
func splitRef(ref string) (typ, id string, ok bool) {
	if i := strings.Index(ref, "/_history/"); i >= 0 {
		ref = ref[:i]
	}
	ref = strings.TrimSuffix(ref, "/")
	parts := strings.Split(ref, "/")
	if len(parts) < 2 {
		return "", "", false
	}
	typ, id = parts[len(parts)-2], parts[len(parts)-1]
	if len(parts) > 2 && !strings.Contains(ref, "://") {
		return "", "", false // "a/b/c" relative: not a reference we know
	}
	if !IsResourceType(typ) || !ValidID(id) {
		return "", "", false
	}
	return typ, id, true
}

// SplitReference is splitRef for other packages: the type and id a FHIR
// reference string points to, if it is a literal reference.
func SplitReference(ref string) (typ, id string, ok bool) { return splitRef(ref) }

// References returns every literal reference ("Type/id", in that form) found
// anywhere in the resource m, in order of appearance, without repeats.
func References(m map[string]any) []string {
	var out []string
	seen := map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if r, ok := x["reference"].(string); ok {
				if t, id, ok := splitRef(r); ok {
					k := t + "/" + id
					if !seen[k] {
						seen[k] = true
						out = append(out, k)
					}
				}
			}
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				if k == "contained" {
					continue
				}
				walk(x[k])
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(m)
	return out
}
