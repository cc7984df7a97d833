package rules

import (
	"context"
	"strings"
)

// RequestTypeSystem is the CodeSystem of Task.code for patient requests.
// Its codes: RequestRefill (focus: the MedicationRequest to renew),
// RequestLabReportCopy (focus: optionally the DiagnosticReport),
// RequestReferral and RequestRecordCorrection (description or note says
// what is wrong; focus: optionally the record in error).
const RequestTypeSystem = "http://carebook.app/fhir/CodeSystem/request-type"

// The request types of RequestTypeSystem.
const (
	RequestRefill           = "refill"
	RequestLabReportCopy    = "lab-report-copy"
	RequestReferral         = "referral"
	RequestRecordCorrection = "record-correction"
)

// RequestInputSystem is the CodeSystem of Task.input.type for what goes
// with a request. InputPharmacy is the pharmacy a refill is to be sent to:
// its valueReference is an Organization. (Plain FHIR has no Task element
// for it; an input is what Task offers for "information needed to do the
// task".)
const (
	RequestInputSystem = "http://carebook.app/fhir/CodeSystem/request-input"
	InputPharmacy      = "pharmacy"
)

// Pharmacy returns the pharmacy reference of a refill Task's inputs, ""
// when it names none.
func Pharmacy(task map[string]any) string {
	for _, in := range list(task, "input") {
		im, _ := in.(map[string]any)
		for _, c := range codingsOf(im, "type") {
			if str(c, "system") == RequestInputSystem && str(c, "code") == InputPharmacy {
				return refOf(im["valueReference"])
			}
		}
	}
	return ""
}

var requestTypes = []string{RequestRefill, RequestLabReportCopy, RequestReferral, RequestRecordCorrection}

// RequestType returns the request-type code of a Task, "" when it has none.
func RequestType(task map[string]any) string {
	for _, c := range codingsOf(task, "code") {
		if str(c, "system") == RequestTypeSystem {
			return str(c, "code")
		}
	}
	return ""
}

// createTask checks a new patient request.
func (w *write) createTask(ctx context.Context) error {
	t := w.newRes
	if str(t, "status") != "requested" {
		return invalid(`A new request must have the status "requested".`)
	}
	if in := str(t, "intent"); in != "order" && in != "proposal" && in != "plan" {
		return invalid(`A request needs an intent ("order").`)
	}
	kind := RequestType(t)
	if !contains(requestTypes, kind) {
		return invalid("The practice accepts requests for a refill, a copy of a lab report, a referral or a record correction.")
	}
	if f := refs(t, "for"); len(f) != 1 || f[0] != w.patientRef() {
		return businessRule("A request must be for your own record (for).")
	}
	if r := refs(t, "requester"); len(r) != 1 || (r[0] != w.userRef() && r[0] != w.patientRef()) {
		return businessRule("A request must come from you (requester).")
	}
	focus := refs(t, "focus")
	switch {
	case kind == RequestRefill && len(focus) != 1:
		return invalid("A refill request must name the prescription (focus).")
	case kind == RequestRefill:
		if err := w.checkSamePatient(ctx, focus[0], "MedicationRequest", "The prescription to refill does not exist or is not yours."); err != nil {
			return err
		}
	case len(focus) == 1:
		if err := w.checkSamePatient(ctx, focus[0], "", "The record this request is about does not exist or is not yours."); err != nil {
			return err
		}
	}
	if ph := Pharmacy(t); ph != "" {
		if kind != RequestRefill {
			return invalid("Only a refill request names a pharmacy.")
		}
		typ, id, ok := splitRef(ph)
		if !ok || typ != "Organization" {
			return invalid("The pharmacy must be one of the pharmacies the practice knows.")
		}
		if _, found, err := w.read(ctx, typ, id); err != nil {
			return err
		} else if !found {
			return businessRule("The practice does not know this pharmacy. Please choose another one or send a message to the office.")
		}
	}
	if kind == RequestRecordCorrection && !hasText(t) {
		return invalid("Please describe what is wrong in the record.")
	}
	for _, key := range []string{"output", "executionPeriod"} {
		if _, set := t[key]; set {
			return invalid("The outcome of a request is set by the practice.")
		}
	}
	return nil
}

// hasText reports whether a Task has a description or a note.
func hasText(t map[string]any) bool {
	if strings.TrimSpace(str(t, "description")) != "" {
		return true
	}
	for _, n := range list(t, "note") {
		nm, _ := n.(map[string]any)
		if strings.TrimSpace(str(nm, "text")) != "" {
			return true
		}
	}
	return false
}

// cancellable are the statuses from which a patient may withdraw a request.
var cancellable = []string{"draft", "requested", "received", "accepted", "ready"}

// updateTask lets the patient withdraw a request that is not under way yet;
// nothing else about a request changes once it is made.
func (w *write) updateTask() error {
	if str(w.newRes, "status") != "cancelled" {
		return businessRule("A request can't be changed once it is made; you can cancel it while it waits.")
	}
	if !contains(cancellable, str(w.oldRes, "status")) {
		return businessRule("This request is already being handled and can't be cancelled online. Please send a message to the office.")
	}
	for _, key := range []string{"code", "for", "focus", "requester"} {
		if !sameJSON(w.oldRes[key], w.newRes[key]) {
			return businessRule("Cancelling a request can't change what it is for.")
		}
	}
	return nil
}
