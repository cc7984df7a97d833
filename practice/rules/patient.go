package rules

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
)

// PatientEditable are the Patient elements a patient may change online;
// of "extension", only the preferred pharmacy (PreferredPharmacyURL). The
// CapabilityStatement publishes this list (see fhirserver.Config).
var PatientEditable = []string{"telecom", "address", "communication", "contact", "maritalStatus", "extension"}

// PatientAsk is who to ask for any other change of a patient's details.
const PatientAsk = "the front desk (in person, with an ID, or at (555) 201-4400)"

// PreferredPharmacyURL is the HL7 extension naming a patient's preferred
// pharmacies, the only extension a patient may change.
const PreferredPharmacyURL = "http://hl7.org/fhir/StructureDefinition/patient-preferredPharmacy"

// patientIgnored are elements the server manages or regenerates.
var patientIgnored = []string{"resourceType", "id", "meta", "text"}

// patientAskOffice are identity elements only the office changes (they need
// proof of identity).
var patientAskOffice = []string{"name", "birthDate", "identifier", "gender"}

// updatePatient allows changes to contact details only.
func (w *write) updatePatient(ctx context.Context) error {
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
		if slices.Contains(patientIgnored, k) {
			continue
		}
		if k == "extension" {
			if !sameJSON(otherExtensions(w.oldRes[k]), otherExtensions(w.newRes[k])) {
				changed = append(changed, k)
			}
			continue
		}
		if slices.Contains(PatientEditable, k) {
			continue
		}
		if !sameJSON(w.oldRes[k], w.newRes[k]) {
			changed = append(changed, k)
		}
	}
	for _, k := range changed {
		if slices.Contains(patientAskOffice, k) {
			return businessRule("Your name, birth date, sex and identifiers can't be changed online; please ask " + PatientAsk + ".")
		}
	}
	if len(changed) == 0 {
		return w.checkPharmacies(ctx)
	}
	if len(changed) > 0 {
		return businessRule("Only your phone numbers, email, address, language, contacts and preferred pharmacy can be changed online; please ask " + PatientAsk + " for other changes.")
	}
	return nil
}

// checkPharmacies refuses a preferred pharmacy the practice does not know.
func (w *write) checkPharmacies(ctx context.Context) error {
	for _, e := range objsOf(w.newRes["extension"]) {
		if e["url"] != PreferredPharmacyURL {
			continue
		}
		for _, sub := range objsOf(e["extension"]) {
			if sub["url"] != "pharmacy" {
				continue
			}
			typ, id, ok := splitRef(refOf(sub["valueReference"]))
			if !ok || typ != "Organization" {
				return invalid("A preferred pharmacy must be given as a reference to an Organization.")
			}
			if _, found, err := w.read(ctx, typ, id); err != nil {
				return err
			} else if !found {
				return businessRule("We don't know this pharmacy. Please choose one of the pharmacies we work with, or call the front desk to add yours.")
			}
		}
	}
	return nil
}

func objsOf(v any) []map[string]any {
	var out []map[string]any
	for _, x := range objs0(v) {
		if m, ok := x.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func objs0(v any) []any { l, _ := v.([]any); return l }

// otherExtensions are the extensions of a Patient other than the preferred
// pharmacy, which only the office changes.
func otherExtensions(v any) []any {
	list, _ := v.([]any)
	var out []any
	for _, e := range list {
		if m, ok := e.(map[string]any); ok && m["url"] == PreferredPharmacyURL {
			continue
		}
		out = append(out, e)
	}
	return out
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
