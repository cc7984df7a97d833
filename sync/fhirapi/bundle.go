package fhirapi

import (
	"bytes"
	"encoding/json"
	"encoding/json/jsontext"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// Entry is one Bundle.entry. Resource is the raw JSON the server sent; it is
// only valid during the callback unless copied (DecodeBundle gives each
// entry its own slice, so keeping it is safe).
type Entry struct {
	FullURL  string          `json:"fullUrl,omitempty"`
	Resource json.RawMessage `json:"resource,omitempty"`
	Search   struct {
		Mode string `json:"mode,omitempty"`
	} `json:"search"`
	// Request is set in history and transaction bundles: Method "DELETE"
	// with URL "Observation/123" is a deletion.
	Request struct {
		Method string `json:"method,omitempty"`
		URL    string `json:"url,omitempty"`
	} `json:"request"`
	Response struct {
		Status string `json:"status,omitempty"`
	} `json:"response"`
}

// Link is one Bundle.link.
type Link struct {
	Relation string `json:"relation"`
	URL      string `json:"url"`
}

// BundleInfo is everything of a Bundle except its entries.
type BundleInfo struct {
	Type string
	// Total is Bundle.total, or -1 when absent.
	Total int
	// LastUpdated is Bundle.meta.lastUpdated (zero when absent).
	LastUpdated time.Time
	Links       []Link
	// Entries counts the entries handed to the callback.
	Entries int
}

// Next returns the URL of the "next" link, or "".
func (b BundleInfo) Next() string {
	for _, l := range b.Links {
		if l.Relation == "next" {
			return l.URL
		}
	}
	return ""
}

// DecodeBundle reads one FHIR Bundle from r as a stream of JSON tokens and
// calls fn for each entry, in order, as it is read: the whole Bundle is
// never held in memory. An error from fn stops decoding and is returned
// as is. A body that is not a JSON Bundle fails with ErrBadResponse.
//
// It reads tokens with encoding/json/jsontext and keeps each resource as
// the bytes the server sent, without decoding it: about three times as
// fast as decoding each entry with encoding/json (BenchmarkDecodeBundle),
// which a sync pays for every page. What it reads is what encoding/json
// read (an entry's names matched without regard to case, the last of a
// name twice winning, a field of the wrong JSON type an error).
func DecodeBundle(r io.Reader, fn func(Entry) error) (BundleInfo, error) {
	info := BundleInfo{Total: -1}
	dec := jsontext.NewDecoder(r, jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	if err := expectDelim(dec, '{'); err != nil {
		return info, err
	}
	sawType := false
	for dec.PeekKind() != '}' {
		key, err := readKey(dec)
		if err != nil {
			return info, err
		}
		if key == "entry" {
			if err := decodeEntries(dec, &info, fn); err != nil {
				return info, err
			}
			continue
		}
		var target any
		switch key {
		case "resourceType":
			var rt string
			if err := decodeValue(dec, key, &rt); err != nil {
				return info, err
			}
			if rt != "Bundle" {
				return info, fmt.Errorf("%w: resourceType %q, want Bundle", ErrBadResponse, rt)
			}
			sawType = true
			continue
		case "type":
			target = &info.Type
		case "total":
			target = &info.Total
		case "meta":
			var meta struct {
				LastUpdated string `json:"lastUpdated"`
			}
			if err := decodeValue(dec, key, &meta); err != nil {
				return info, err
			}
			if meta.LastUpdated != "" {
				t, err := ParseInstant(meta.LastUpdated)
				if err != nil {
					return info, fmt.Errorf("%w: meta.lastUpdated: %v", ErrBadResponse, err)
				}
				info.LastUpdated = t
			}
			continue
		case "link":
			target = &info.Links
		default:
			if err := dec.SkipValue(); err != nil {
				return info, badJSON(key, err)
			}
			continue
		}
		if err := decodeValue(dec, key, target); err != nil {
			return info, err
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return info, err
	}
	if !sawType {
		return info, fmt.Errorf("%w: no resourceType", ErrBadResponse)
	}
	return info, nil
}

// decodeEntries reads Bundle.entry (an array, or null) and calls fn for
// each entry.
func decodeEntries(dec *jsontext.Decoder, info *BundleInfo, fn func(Entry) error) error {
	tok, err := dec.ReadToken()
	if err != nil {
		return badJSON("entry", err)
	}
	switch tok.Kind() {
	case 'n': // "entry": null
		return nil
	case '[':
	default:
		return fmt.Errorf("%w: entry is not an array", ErrBadResponse)
	}
	for dec.PeekKind() != ']' {
		e, err := decodeEntry(dec)
		if err != nil {
			return err
		}
		info.Entries++
		if err := fn(e); err != nil {
			return err
		}
	}
	if _, err := dec.ReadToken(); err != nil { // ']'
		return badJSON("entry", err)
	}
	return nil
}

// decodeEntry reads one entry: its resource kept as sent (its own copy),
// its other fields as encoding/json decodes them (names matched without
// regard to case, the last of a name twice winning, null leaving a field
// as it is, a value of the wrong JSON type an error). A null entry is an
// empty one.
func decodeEntry(dec *jsontext.Decoder) (Entry, error) {
	var e Entry
	isNull, err := beginObject(dec)
	if err != nil {
		return e, badJSON("entry", err)
	}
	if isNull {
		return e, nil
	}
	for dec.PeekKind() != '}' {
		name, err := readKey(dec)
		if err != nil {
			return e, err
		}
		switch {
		case strings.EqualFold(name, "resource"):
			v, err := dec.ReadValue()
			if err != nil {
				return e, badJSON("entry", err)
			}
			e.Resource = nil
			if v.Kind() != 'n' {
				e.Resource = bytes.Clone(v)
			}
		case strings.EqualFold(name, "fullUrl"):
			err = readString(dec, &e.FullURL)
		case strings.EqualFold(name, "search"):
			err = readStrings(dec, map[string]*string{"mode": &e.Search.Mode})
		case strings.EqualFold(name, "request"):
			err = readStrings(dec, map[string]*string{"method": &e.Request.Method, "url": &e.Request.URL})
		case strings.EqualFold(name, "response"):
			err = readStrings(dec, map[string]*string{"status": &e.Response.Status})
		default:
			err = dec.SkipValue()
		}
		if err != nil {
			return e, badJSON("entry", err)
		}
	}
	if _, err := dec.ReadToken(); err != nil { // '}'
		return e, badJSON("entry", err)
	}
	return e, nil
}

// beginObject reads the '{' that starts an object, or a null (isNull);
// anything else fails.
func beginObject(dec *jsontext.Decoder) (isNull bool, err error) {
	tok, err := dec.ReadToken()
	if err != nil {
		return false, err
	}
	switch tok.Kind() {
	case 'n':
		return true, nil
	case '{':
		return false, nil
	}
	return false, fmt.Errorf("%s where an object belongs", tok.Kind())
}

// readStrings reads an object of string fields (or null) into fields, by
// their names in any case; other names are skipped.
func readStrings(dec *jsontext.Decoder, fields map[string]*string) error {
	isNull, err := beginObject(dec)
	if err != nil || isNull {
		return err
	}
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			return err
		}
		name := tok.String() // a name: jsontext reads only strings here
		var field *string
		for n, f := range fields {
			if strings.EqualFold(name, n) {
				field = f
			}
		}
		if field == nil {
			err = dec.SkipValue()
		} else {
			err = readString(dec, field)
		}
		if err != nil {
			return err
		}
	}
	_, err = dec.ReadToken() // '}'
	return err
}

// readString reads a string (or null, which leaves s as it is) as
// encoding/json decodes it: a string of plain valid UTF-8 is taken as it
// is, any other through encoding/json (escapes, invalid UTF-8 replaced).
func readString(dec *jsontext.Decoder, s *string) error {
	v, err := dec.ReadValue()
	if err != nil {
		return err
	}
	switch {
	case v.Kind() == 'n':
		return nil
	case v.Kind() == '"' && bytes.IndexByte(v, '\\') < 0 && utf8.Valid(v):
		*s = string(v[1 : len(v)-1])
		return nil
	}
	return json.Unmarshal(v, s)
}

// decodeValue reads the next value and decodes it into target with
// encoding/json; where names the value in the error.
func decodeValue(dec *jsontext.Decoder, where string, target any) error {
	v, err := dec.ReadValue()
	if err != nil {
		return badJSON(where, err)
	}
	if err := json.Unmarshal(v, target); err != nil {
		return badJSON(where, err)
	}
	return nil
}

func expectDelim(dec *jsontext.Decoder, want jsontext.Kind) error {
	tok, err := dec.ReadToken()
	if err != nil {
		return badJSON("bundle", err)
	}
	if tok.Kind() != want {
		return fmt.Errorf("%w: expected %q", ErrBadResponse, want)
	}
	return nil
}

func readKey(dec *jsontext.Decoder) (string, error) {
	tok, err := dec.ReadToken()
	if err != nil {
		return "", badJSON("bundle", err)
	}
	if tok.Kind() != '"' {
		return "", fmt.Errorf("%w: expected an object key", ErrBadResponse)
	}
	return tok.String(), nil
}

// badJSON wraps a decoding failure. A body cut by the size cap keeps
// ErrTooLarge; anything else becomes ErrBadResponse.
func badJSON(where string, err error) error {
	if errors.Is(err, ErrTooLarge) || errors.Is(err, ErrNetwork) {
		return err
	}
	return fmt.Errorf("%w: %s: %v", ErrBadResponse, where, err)
}

// ParseInstant parses a FHIR instant or dateTime with a time zone
// ("2024-05-01T10:00:00.123Z"). Dates without a time parse as UTC midnight.
func ParseInstant(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z07:00", "2006-01-02", "2006-01", "2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("not a FHIR instant")
}

// FormatInstant formats t as a FHIR instant in UTC with milliseconds.
func FormatInstant(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
}

// ResourceHeader is the part of any resource sync needs to file it.
type ResourceHeader struct {
	ResourceType string `json:"resourceType"`
	ID           string `json:"id"`
	Meta         struct {
		LastUpdated string `json:"lastUpdated"`
		VersionID   string `json:"versionId"`
	} `json:"meta"`
	Status string `json:"status"`
	// VerificationStatus is the raw verificationStatus element, if any
	// (Condition, AllergyIntolerance).
	VerificationStatus json.RawMessage `json:"verificationStatus,omitempty"`
	// Odd lists the header fields that had the wrong JSON type.
	Odd []string `json:"-"`
}

// ParseHeader reads the type, id, meta and status of a raw resource in one
// pass. It is tolerant: a field of the wrong JSON type is left empty and
// reported in Odd rather than failing the whole header, so one odd field
// never hides a record. Only a body that is not a JSON object fails
// (ErrBadResponse).
func ParseHeader(raw []byte) (ResourceHeader, error) {
	var h ResourceHeader
	var fields struct {
		ResourceType       json.RawMessage `json:"resourceType"`
		ID                 json.RawMessage `json:"id"`
		Status             json.RawMessage `json:"status"`
		Meta               json.RawMessage `json:"meta"`
		VerificationStatus json.RawMessage `json:"verificationStatus"`
	}
	if err := json.Unmarshal(raw, &fields); err != nil {
		return h, fmt.Errorf("%w: resource is not a JSON object", ErrBadResponse)
	}
	field := func(name string, raw json.RawMessage, dst *string) {
		if len(raw) > 0 && json.Unmarshal(raw, dst) != nil {
			h.Odd = append(h.Odd, name)
		}
	}
	field("resourceType", fields.ResourceType, &h.ResourceType)
	field("id", fields.ID, &h.ID)
	field("status", fields.Status, &h.Status)
	if len(fields.Meta) > 0 {
		var meta struct {
			LastUpdated json.RawMessage `json:"lastUpdated"`
			VersionID   json.RawMessage `json:"versionId"`
		}
		if json.Unmarshal(fields.Meta, &meta) != nil {
			h.Odd = append(h.Odd, "meta")
		} else {
			field("meta.lastUpdated", meta.LastUpdated, &h.Meta.LastUpdated)
			field("meta.versionId", meta.VersionID, &h.Meta.VersionID)
		}
	}
	h.VerificationStatus = fields.VerificationStatus
	return h, nil
}
