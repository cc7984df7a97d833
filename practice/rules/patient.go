package rules

import (
	"encoding/json"
	"reflect"
	"slices"
)

// patientEditable are the Patient elements a patient may change online.
var patientEditable = []string{"telecom", "address", "communication", "contact", "maritalStatus"}

// patientIgnored are elements the server manages or regenerates.
var patientIgnored = []string{"resourceType", "id", "meta", "text"}

// patientAskOffice are identity elements only the office changes (they need
// proof of identity).
var patientAskOffice = []string{"name", "birthDate", "identifier", "gender"}

// updatePatient allows changes to contact details only.
func (w *write) updatePatient() error {
	if w.ID != w.Grant.PatientID {
		return forbidden("You can only update the details of the person you signed in for.")
	}
	keys := map[string]bool{}
	for k := range w.oldRes {
		keys[k] = true
	}
	for k := range w.newRes {
		keys[k] = true
	}
	var changed []string
	for k := range keys {
		if slices.Contains(patientEditable, k) || slices.Contains(patientIgnored, k) {
			continue
		}
		if !sameJSON(w.oldRes[k], w.newRes[k]) {
			changed = append(changed, k)
		}
	}
	for _, k := range changed {
		if slices.Contains(patientAskOffice, k) {
			return businessRule("Your name, birth date, sex and identifiers can't be changed online; please ask the office.")
		}
	}
	if len(changed) > 0 {
		return businessRule("Only your phone numbers, email, address, language and contacts can be changed online; please ask the office for other changes.")
	}
	return nil
}

// sameJSON compares two decoded JSON values; numbers compare by value.
func sameJSON(a, b any) bool {
	return reflect.DeepEqual(normalize(a), normalize(b))
}

func normalize(v any) any {
	switch v := v.(type) {
	case json.Number:
		f, err := v.Float64()
		if err != nil {
			return v.String()
		}
		return f
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = normalize(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = normalize(x)
		}
		return out
	}
	return v
}
