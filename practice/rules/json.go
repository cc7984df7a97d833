package rules

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// decode parses a JSON object, keeping numbers as json.Number so a
// resource written back loses nothing.
func decode(body []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, errors.New("not a JSON object")
	}
	return m, nil
}

func encode(m map[string]any) ([]byte, error) { return json.Marshal(m) }

func str(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}

// refOf returns the "reference" of a Reference value, "" for anything else.
func refOf(v any) string {
	m, _ := v.(map[string]any)
	s, _ := m["reference"].(string)
	return s
}

// refs returns the references of element key, a single Reference or a list.
func refs(m map[string]any, key string) []string {
	switch v := m[key].(type) {
	case map[string]any:
		if r := refOf(v); r != "" {
			return []string{r}
		}
	case []any:
		var out []string
		for _, x := range v {
			if r := refOf(x); r != "" {
				out = append(out, r)
			}
		}
		return out
	}
	return nil
}

// list returns element key as a list (empty when absent or not a list).
func list(m map[string]any, key string) []any {
	l, _ := m[key].([]any)
	return l
}

// splitRef splits a relative reference "Type/id"; ok is false for anything
// else (absolute URLs, contained "#x", missing parts).
func splitRef(ref string) (typ, id string, ok bool) {
	typ, id, ok = strings.Cut(ref, "/")
	if !ok || typ == "" || id == "" || strings.ContainsAny(id, "/#?") || strings.Contains(typ, ":") {
		return "", "", false
	}
	return typ, id, true
}

// instant parses a FHIR instant or dateTime with a time.
func instant(m map[string]any, key string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339, str(m, key))
	return t, err == nil
}

// belongsTo reports whether resource m is about Patient patientID: it is
// that Patient, or its subject, patient, for or beneficiary refers to it.
func belongsTo(m map[string]any, patientID string) bool {
	if str(m, "resourceType") == "Patient" {
		return str(m, "id") == patientID
	}
	for _, key := range []string{"subject", "patient", "for", "beneficiary"} {
		for _, r := range refs(m, key) {
			if r == "Patient/"+patientID {
				return true
			}
		}
	}
	// An Appointment names its patient among its participants.
	for _, p := range list(m, "participant") {
		pm, _ := p.(map[string]any)
		if refOf(pm["actor"]) == "Patient/"+patientID {
			return true
		}
	}
	return false
}

// codingsOf returns the codings of a CodeableConcept element.
func codingsOf(m map[string]any, key string) []map[string]any {
	cc, _ := m[key].(map[string]any)
	var out []map[string]any
	for _, c := range list(cc, "coding") {
		if cm, ok := c.(map[string]any); ok {
			out = append(out, cm)
		}
	}
	return out
}
