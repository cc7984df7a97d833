package app

// Requests: a refill, a copy of a lab report, a referral, a correction of
// the record. Each is a FHIR R4 Task the patient creates through the
// outbox (status requested, intent order, for the patient, focus the
// item, requester the signed-in user, code from RequestTypeSystem, the
// patient's words as note); the practice's status, businessStatus and
// statusReason say where it stands (requests_state.go).

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/carebook/carebook/app/record"
	"github.com/carebook/carebook/internal/i18n"
)

// RequestTypeSystem is the CodeSystem of Task.code for patient requests,
// the one the reference practice defines (practice/rules).
const RequestTypeSystem = "http://carebook.app/fhir/CodeSystem/request-type"

// RequestInputSystem is the CodeSystem of Task.input.type for what goes
// with a request; InputPharmacy marks the pharmacy a refill is to be sent
// to (valueReference to an Organization). FHIR R4 Task has no element of
// its own for it; Task.input is "information needed to perform the task".
const (
	RequestInputSystem = "http://carebook.app/fhir/CodeSystem/request-input"
	InputPharmacy      = "pharmacy"
)

// RequestKind is what a request asks for: a code of RequestTypeSystem.
type RequestKind string

// The kinds of request.
const (
	RequestRefill        RequestKind = "refill"
	RequestLabReportCopy RequestKind = "lab-report-copy"
	RequestReferral      RequestKind = "referral"
	RequestCorrection    RequestKind = "record-correction"
)

// Label is the kind in words.
func (k RequestKind) Label() string {
	switch k {
	case RequestRefill:
		return i18n.L("Prescription refill")
	case RequestLabReportCopy:
		return i18n.L("Copy of a lab report")
	case RequestReferral:
		return i18n.L("Referral")
	case RequestCorrection:
		return i18n.L("Correction of the record")
	}
	return i18n.L("Request")
}

// MaxRequestText is the longest note (or correction text) accepted, in
// characters: enough for a few paragraphs, short enough for a request.
const MaxRequestText = 2000

// taskSpec is everything a request's Task says.
type taskSpec struct {
	Kind         RequestKind
	Patient      string // "Patient/id"
	Requester    string // "Patient/id", "RelatedPerson/id", …
	Focus        string // "Type/id", "" for none
	FocusName    string
	Description  string
	Note         string
	Pharmacy     string // "Organization/id", refills only
	PharmacyName string
	AuthoredOn   time.Time
}

// buildTask makes the FHIR R4 Task of a request. It uses nothing but
// standard Task elements, so any FHIR R4 server that accepts Task creates
// takes it; no identifier (the outbox adds the client identifier).
func buildTask(s taskSpec) ([]byte, error) {
	ref := func(reference, display string) map[string]any {
		m := map[string]any{"reference": reference}
		if display != "" {
			m["display"] = display
		}
		return m
	}
	task := map[string]any{
		"resourceType": "Task",
		"status":       "requested",
		"intent":       "order",
		"priority":     "routine",
		"code": map[string]any{
			"coding": []any{map[string]any{"system": RequestTypeSystem, "code": string(s.Kind), "display": s.Kind.Label()}},
			"text":   s.Kind.Label(),
		},
		"for":        ref(s.Patient, ""),
		"requester":  ref(s.Requester, ""),
		"authoredOn": s.AuthoredOn.UTC().Format(time.RFC3339),
	}
	if s.Description != "" {
		task["description"] = s.Description
	}
	if s.Focus != "" {
		task["focus"] = ref(s.Focus, s.FocusName)
	}
	if s.Note != "" {
		task["note"] = []any{map[string]any{"text": s.Note, "time": s.AuthoredOn.UTC().Format(time.RFC3339)}}
	}
	if s.Pharmacy != "" {
		task["input"] = []any{map[string]any{
			"type": map[string]any{
				"coding": []any{map[string]any{"system": RequestInputSystem, "code": InputPharmacy, "display": i18n.L("Pharmacy")}},
				"text":   i18n.L("Pharmacy"),
			},
			"valueReference": ref(s.Pharmacy, s.PharmacyName),
		}}
	}
	body, err := json.Marshal(task)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	return body, nil
}

// requesterRef is who makes a request or writes a message: the signed-in
// user the practice named (fhirUser, e.g. a parent's RelatedPerson), else
// the patient.
func requesterRef(settings map[string]string, patientID string) string {
	if u := strings.TrimSpace(settings[settingFHIRUser]); u != "" {
		if i := strings.Index(u, "/fhir/"); i >= 0 && strings.Contains(u, "://") {
			u = u[i+len("/fhir/"):] // an absolute fhirUser on the practice's own base
		}
		return u
	}
	return "Patient/" + patientID
}

// Renewable says whether the practice can renew a prescription online, and
// why not when it can't. The rule holds for any FHIR server: the
// prescription is active, an order (not a proposal or plan), written by a
// clinician or the practice (not reported by the patient), and no refill
// of it is open already.
func Renewable(c *record.Chart, m record.MedicationRequest, open []Request) (bool, string) {
	switch {
	case m.Status != "active":
		return false, i18n.L("Only a current prescription can be renewed. For this medicine, please send a message or book a visit.")
	case m.Intent == "proposal" || m.Intent == "plan" || m.Intent == "option":
		return false, i18n.L("This medicine is a plan, not a prescription the practice can renew.")
	}
	switch m.Requester.TargetType() {
	case "Patient", "RelatedPerson":
		return false, i18n.L("This medicine was reported by you, not prescribed by the practice.")
	}
	for _, r := range open {
		if r.Kind == RequestRefill && r.About == m.Key() && r.State.Open() {
			return false, i18n.L("A refill of this medicine is already requested: see Requests.")
		}
	}
	return true, ""
}

// Pharmacy is a pharmacy a refill can go to.
type Pharmacy struct {
	Ref       string // "Organization/id"
	Name      string
	Address   string
	Preferred bool // the patient's preferred pharmacy
}

// pharmacies lists the pharmacies the record knows: the patient's
// preferred ones first, then the one this prescription goes to, then those
// of other prescriptions and earlier refill requests. Without any, a refill
// goes where the practice has on file.
func pharmacies(c *record.Chart, med record.MedicationRequest) []Pharmacy {
	var out []Pharmacy
	seen := map[string]bool{}
	add := func(r record.Ref, preferred bool) {
		if r.TargetType() != "Organization" {
			return
		}
		key := relativeRef(r.Reference)
		if seen[key] {
			return
		}
		seen[key] = true
		p := Pharmacy{Ref: key, Name: firstNonBlank(c.Name(r), i18n.L("Pharmacy")), Preferred: preferred}
		for _, party := range c.Parties {
			if party.Key() == key {
				p.Name, p.Address = firstNonBlank(party.Name, p.Name), party.Address
			}
		}
		out = append(out, p)
	}
	if pt, ok := c.Patient(); ok {
		for _, r := range pt.PreferredPharmacies {
			add(r, true)
		}
	}
	add(med.Dispenser, false)
	for _, m := range c.Medications {
		add(m.Dispenser, false)
	}
	for _, t := range c.Tasks {
		for _, in := range t.Inputs {
			if in.Type.Has(RequestInputSystem, InputPharmacy) {
				add(in.Ref, false)
			}
		}
	}
	return out
}

// relativeRef turns "https://x/fhir/Organization/1/_history/2" into
// "Organization/1"; a relative reference is returned as is.
func relativeRef(ref string) string {
	if i := strings.Index(ref, "/_history/"); i >= 0 {
		ref = ref[:i]
	}
	parts := strings.Split(strings.TrimRight(ref, "/"), "/")
	if len(parts) < 2 {
		return ref
	}
	return parts[len(parts)-2] + "/" + parts[len(parts)-1]
}

// itemName is the name of the record entry ref points to, for a request's
// description ("Refill: Lisinopril 10 MG Oral Tablet").
func itemName(c *record.Chart, ref string) string {
	for _, m := range c.Medications {
		if m.Key() == ref {
			return firstNonBlank(m.Medication, i18n.L("a medication"))
		}
	}
	for _, r := range c.Reports {
		if r.Key() == ref {
			return firstNonBlank(r.Code.String(), i18n.L("a report"))
		}
	}
	for _, cd := range c.Conditions {
		if cd.Key() == ref {
			return firstNonBlank(cd.Name, cd.Code.String(), i18n.L("a condition"))
		}
	}
	for _, a := range c.Allergies {
		if a.Key() == ref {
			return firstNonBlank(a.Substance, a.Code.String(), i18n.L("an allergy"))
		}
	}
	for _, im := range c.Immunizations {
		if im.Key() == ref {
			return firstNonBlank(im.Vaccine, im.VaccineCode.String(), i18n.L("a vaccine"))
		}
	}
	for _, o := range c.Observations {
		if o.Key() == ref {
			return firstNonBlank(o.Code.String(), i18n.L("a result"))
		}
	}
	if n := c.Refs.Lookup(ref); n != "" {
		return n
	}
	typ, _, _ := strings.Cut(ref, "/")
	return i18n.L("an entry of type {{.Type}}", map[string]any{"Type": typ})
}

// Request is one request of the patient's and where it stands: from this
// device's outbox while the practice has not accepted it, then from the
// practice's copy of the Task.
type Request struct {
	ID      string // the Task's id at the practice, "" while not accepted
	LocalID string // "local-<seq>" when made on this device
	Seq     int64  // the outbox item's sequence number, 0 when not made here
	// MayHaveReached says a waiting request may already be at the
	// practice (OutboxEntry.MayHaveReached).
	MayHaveReached bool
	Kind           RequestKind
	Title          string // "Refill: Lisinopril 10 MG Oral Tablet"
	About          string // the item it is about, "Type/id"; "" for none
	AboutName      string
	Pharmacy       string // a refill's pharmacy, by name
	Note           string // what the patient wrote
	State          RequestState
	// Words are the practice's own: its reason for declining, why it
	// failed, where it stands (businessStatus), or the refusal of the
	// outbox item.
	Words    string
	Outcomes []RequestOutcome // what the practice did, when done
	Created  time.Time
	Updated  time.Time
}

// RequestOutcome is one thing the practice produced for a request: a
// renewed prescription, a document, a referral, or a note.
type RequestOutcome struct {
	Label string // "Renewed prescription"
	Ref   string // "MedicationRequest/id", "" for a text
	Name  string // what Ref is, or the text
}

// RequestForm is what the form of a new request offers: what it is about,
// whether it can be sent, and for a refill the pharmacies to choose from
// (the preferred one first).
type RequestForm struct {
	Kind      RequestKind
	About     string // "Type/id", "" for none
	AboutName string
	// CanSend is false when the request can't be made online (a refill
	// of a medicine the practice can't renew); Why says why.
	CanSend    bool
	Why        string
	Pharmacies []Pharmacy
	// Refills is how many refills the prescription still allows, when
	// known (a refill form says so: the pharmacy may fill it without
	// asking).
	Refills    int
	HasRefills bool
}

// RequestForm prepares the form of a new request of kind about the record
// entry about ("Type/id"; "" for a referral not about a condition). It
// reads the local cache only. An unknown kind or an entry not in the record
// is ErrInvalidInput.
func (a *App) RequestForm(ctx context.Context, profileID string, kind RequestKind, about string) (RequestForm, error) {
	c, err := a.requestChart(ctx, profileID, kind, about)
	if err != nil {
		return RequestForm{}, fmt.Errorf("request form: %w", err)
	}
	open, err := a.requestList(ctx, profileID)
	if err != nil {
		return RequestForm{}, fmt.Errorf("request form: %w", err)
	}
	return requestForm(c, kind, about, open)
}

// requestChart is what a request of kind about the entry about reads of
// the record: that entry alone, with SupportTypes (names, the patient's
// preferred pharmacies), and for a refill every prescription and request
// (the pharmacies they name, the refills already asked for). A long
// record's results and visits stay sealed: requestForm gives with it what
// it gives with the whole record.
func (a *App) requestChart(ctx context.Context, profileID string, kind RequestKind, about string) (*record.Chart, error) {
	types := []string{"Patient"} // SupportTypes alone
	if kind == RequestRefill {
		types = []string{"MedicationRequest", "Task"}
	}
	return a.chartWithRefs(ctx, profileID, types, func(*record.Chart) []string { return []string{about} })
}

func requestForm(c *record.Chart, kind RequestKind, about string, open []Request) (RequestForm, error) {
	f := RequestForm{Kind: kind, About: about, CanSend: true}
	if err := checkAbout(c, kind, about); err != nil {
		return RequestForm{}, err
	}
	if about != "" {
		f.AboutName = itemName(c, about)
	}
	if kind == RequestRefill {
		m, _ := medication(c, about)
		f.CanSend, f.Why = Renewable(c, m, open)
		f.Pharmacies = pharmacies(c, m)
		f.Refills, f.HasRefills = m.Refills, m.HasRefills
	}
	return f, nil
}

func medication(c *record.Chart, ref string) (record.MedicationRequest, bool) {
	for _, m := range c.Medications {
		if m.Key() == ref {
			return m, true
		}
	}
	return record.MedicationRequest{}, false
}

// checkAbout checks that a request of kind may be about the entry about.
func checkAbout(c *record.Chart, kind RequestKind, about string) error {
	typ, id, _ := strings.Cut(about, "/")
	switch kind {
	case RequestRefill:
		if typ != "MedicationRequest" || id == "" {
			return fmt.Errorf("%w: a refill is about a prescription (MedicationRequest/ID)", ErrInvalidInput)
		}
	case RequestLabReportCopy:
		if about != "" && typ != "DiagnosticReport" {
			return fmt.Errorf("%w: a copy is of a lab report (DiagnosticReport/ID)", ErrInvalidInput)
		}
	case RequestReferral:
		if about != "" && typ != "Condition" {
			return fmt.Errorf("%w: a referral is about a condition (Condition/ID), or described in words", ErrInvalidInput)
		}
	case RequestCorrection:
		if about == "" {
			return fmt.Errorf("%w: a correction names the entry that is wrong (Type/ID)", ErrInvalidInput)
		}
	default:
		return fmt.Errorf("%w: unknown kind of request %q", ErrInvalidInput, kind)
	}
	if about == "" {
		return nil
	}
	if id == "" || strings.ContainsAny(id, "/?#") {
		return fmt.Errorf("%w: %q is not a reference of the form Type/ID", ErrInvalidInput, about)
	}
	if !inChart(c, about) {
		return fmt.Errorf("%w: %s is not in this record (sync first if it is new)", ErrInvalidInput, about)
	}
	return nil
}

// inChart reports whether the record holds the entry ref ("Type/id").
func inChart(c *record.Chart, ref string) bool {
	typ, _, _ := strings.Cut(ref, "/")
	var entries []record.Entry
	switch typ {
	case "MedicationRequest":
		entries = entriesOf(c.Medications, func(m record.MedicationRequest) record.Entry { return m.Entry })
	case "DiagnosticReport":
		entries = entriesOf(c.Reports, func(r record.DiagnosticReport) record.Entry { return r.Entry })
	case "Condition":
		entries = entriesOf(c.Conditions, func(x record.Condition) record.Entry { return x.Entry })
	case "AllergyIntolerance":
		entries = entriesOf(c.Allergies, func(x record.AllergyIntolerance) record.Entry { return x.Entry })
	case "Immunization":
		entries = entriesOf(c.Immunizations, func(x record.Immunization) record.Entry { return x.Entry })
	case "Observation":
		entries = entriesOf(c.Observations, func(x record.Observation) record.Entry { return x.Entry })
	case "Procedure":
		entries = entriesOf(c.Procedures, func(x record.Procedure) record.Entry { return x.Entry })
	case "Encounter":
		entries = entriesOf(c.Encounters, func(x record.Encounter) record.Entry { return x.Entry })
	case "DocumentReference":
		entries = entriesOf(c.Documents, func(x record.DocumentReference) record.Entry { return x.Entry })
	case "Patient":
		entries = entriesOf(c.Patients, func(x record.Patient) record.Entry { return x.Entry })
	default:
		for _, o := range c.Others {
			entries = append(entries, o.Entry)
		}
	}
	for _, e := range entries {
		if e.Key() == ref {
			return true
		}
	}
	return false
}

func entriesOf[T any](xs []T, entry func(T) record.Entry) []record.Entry {
	out := make([]record.Entry, len(xs))
	for i, x := range xs {
		out[i] = entry(x)
	}
	return out
}
