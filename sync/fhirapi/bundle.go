package fhirapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
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
func DecodeBundle(r io.Reader, fn func(Entry) error) (BundleInfo, error) {
	info := BundleInfo{Total: -1}
	dec := json.NewDecoder(r)
	if err := expectDelim(dec, '{'); err != nil {
		return info, err
	}
	sawType := false
	for dec.More() {
		key, err := readKey(dec)
		if err != nil {
			return info, err
		}
		switch key {
		case "resourceType":
			var rt string
			if err := dec.Decode(&rt); err != nil {
				return info, badJSON("resourceType", err)
			}
			if rt != "Bundle" {
				return info, fmt.Errorf("%w: resourceType %q, want Bundle", ErrBadResponse, rt)
			}
			sawType = true
		case "type":
			if err := dec.Decode(&info.Type); err != nil {
				return info, badJSON("type", err)
			}
		case "total":
			if err := dec.Decode(&info.Total); err != nil {
				return info, badJSON("total", err)
			}
		case "meta":
			var meta struct {
				LastUpdated string `json:"lastUpdated"`
			}
			if err := dec.Decode(&meta); err != nil {
				return info, badJSON("meta", err)
			}
			if meta.LastUpdated != "" {
				t, err := ParseInstant(meta.LastUpdated)
				if err != nil {
					return info, fmt.Errorf("%w: meta.lastUpdated: %v", ErrBadResponse, err)
				}
				info.LastUpdated = t
			}
		case "link":
			if err := dec.Decode(&info.Links); err != nil {
				return info, badJSON("link", err)
			}
		case "entry":
			if err := decodeEntries(dec, &info, fn); err != nil {
				return info, err
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return info, badJSON(key, err)
			}
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

func decodeEntries(dec *json.Decoder, info *BundleInfo, fn func(Entry) error) error {
	tok, err := dec.Token()
	if err != nil {
		return badJSON("entry", err)
	}
	if tok == nil { // "entry": null
		return nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return fmt.Errorf("%w: entry is not an array", ErrBadResponse)
	}
	for dec.More() {
		var e Entry
		if err := dec.Decode(&e); err != nil {
			return badJSON("entry", err)
		}
		if string(e.Resource) == "null" {
			e.Resource = nil
		}
		info.Entries++
		if err := fn(e); err != nil {
			return err
		}
	}
	_, err = dec.Token() // ']'
	if err != nil {
		return badJSON("entry", err)
	}
	return nil
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return badJSON("bundle", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("%w: expected %q", ErrBadResponse, want)
	}
	return nil
}

func readKey(dec *json.Decoder) (string, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", badJSON("bundle", err)
	}
	key, ok := tok.(string)
	if !ok {
		return "", fmt.Errorf("%w: expected an object key", ErrBadResponse)
	}
	return key, nil
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
