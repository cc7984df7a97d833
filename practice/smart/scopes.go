package smart

import (
	"strings"

	"github.com/carebook/carebook/practice/access"
)

// Non-resource scopes this server understands.
const (
	scopeOpenID        = "openid"
	scopeFHIRUser      = "fhirUser"
	scopeLaunchPatient = "launch/patient"
	scopeOffline       = "offline_access"
)

// writePolicy lists the write interactions a patient-facing app may be
// granted, per resource type. Reads ("r", "s") are allowed on every type.
var writePolicy = map[string]string{
	"Communication": "c",  // send messages
	"Appointment":   "cu", // book, reschedule and cancel
	"Task":          "c",  // refills and other requests
	"Patient":       "u",  // update contact details
	"RelatedPerson": "u",  // end a caregiver's access (active = false)
	// answer the questions asked before a visit
	"QuestionnaireResponse": "c",
}

// supportedScopes is the scopes_supported list of the configuration.
func supportedScopes() []string {
	return []string{
		scopeOpenID, scopeFHIRUser, scopeLaunchPatient, scopeOffline,
		"patient/*.rs", "patient/*.read",
		"patient/Communication.c", "patient/Appointment.cu", "patient/RelatedPerson.u",
		"patient/Task.c", "patient/Patient.u", "patient/QuestionnaireResponse.c",
		"patient/AuditEvent.rs",
	}
}

// grantScopes returns the scopes granted for a space-separated request:
// known non-resource scopes, and patient/ resource scopes narrowed to what
// the policy allows. A scope granted in full keeps its original spelling
// (v1 or v2); a narrowed one is written in v2. Unknown, user/ and system/
// scopes are dropped.
func grantScopes(requested string) []string {
	var granted []string
	seen := map[string]bool{}
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			granted = append(granted, s)
		}
	}
	for _, raw := range strings.Fields(requested) {
		switch raw {
		case scopeOpenID, scopeFHIRUser, scopeLaunchPatient, scopeOffline:
			add(raw)
			continue
		}
		sc, ok := access.ParseScope(raw)
		if !ok || sc.Context != "patient" {
			continue
		}
		allowed := "rs" + writePolicy[sc.ResourceType]
		var kept strings.Builder
		for _, r := range "cruds" { // keep SMART's letter order
			if strings.ContainsRune(sc.Interactions, r) && strings.ContainsRune(allowed, r) {
				kept.WriteRune(r)
			}
		}
		switch {
		case kept.Len() == 0:
			continue
		case kept.String() == sc.Interactions:
			add(raw)
		default:
			add("patient/" + sc.ResourceType + "." + kept.String())
		}
	}
	return granted
}

// resourceScopes parses the resource scopes of a granted scope string.
func resourceScopes(scope string) []access.Scope {
	var out []access.Scope
	for _, raw := range strings.Fields(scope) {
		if sc, ok := access.ParseScope(raw); ok {
			out = append(out, sc)
		}
	}
	return out
}

// hasScope reports whether the space-separated scope list contains want.
func hasScope(scope, want string) bool {
	for _, s := range strings.Fields(scope) {
		if s == want {
			return true
		}
	}
	return false
}

// consentItems describes granted scopes in plain words for the consent
// page, in a fixed order, each once.
func consentItems(scope string) []string {
	var reads bool
	writes := map[string]bool{}
	for _, sc := range resourceScopes(scope) {
		if strings.ContainsAny(sc.Interactions, "rs") {
			reads = true
		}
		if strings.ContainsAny(sc.Interactions, "cud") {
			writes[sc.ResourceType] = true
		}
	}
	var items []string
	if hasScope(scope, scopeOpenID) || hasScope(scope, scopeFHIRUser) {
		items = append(items, "know who you are")
	}
	if reads {
		items = append(items, "read your health record")
	}
	for _, sc := range resourceScopes(scope) {
		if sc.ResourceType == "AuditEvent" && strings.ContainsRune(sc.Interactions, 's') {
			items = append(items, "see who looked at your record")
			break
		}
	}
	if writes["Communication"] {
		items = append(items, "send messages")
	}
	if writes["Appointment"] {
		items = append(items, "book and cancel appointments")
	}
	if writes["Task"] {
		items = append(items, "request refills")
	}
	if writes["Patient"] {
		items = append(items, "update your contact details")
	}
	if hasScope(scope, scopeOffline) {
		items = append(items, "stay signed in")
	}
	return items
}

// subsetScopes reports whether every scope of narrower is in wider.
func subsetScopes(narrower, wider string) bool {
	for _, s := range strings.Fields(narrower) {
		if !hasScope(wider, s) {
			return false
		}
	}
	return true
}
