package record

import (
	"encoding/json"
	"strings"
)

// Other is a resource of a type this package does not display in detail
// (Claim, ImagingStudy, …). It keeps what every resource has, so nothing
// the server sent disappears from the record.
type Other struct {
	Entry
	Title string // the resource's name, title or code, when it has one
	Date  Date   // the first date found among the usual date fields
}

type wOther struct {
	wBase
	Name              json.RawMessage `json:"name"`
	Title             string          `json:"title"`
	Code              wConcept        `json:"code"`
	Date              string          `json:"date"`
	EffectiveDateTime string          `json:"effectiveDateTime"`
	OccurrenceDate    string          `json:"occurrenceDateTime"`
	Created           string          `json:"created"`
	AuthoredOn        string          `json:"authoredOn"`
	Issued            string          `json:"issued"`
	Recorded          string          `json:"recordedDate"`
	Started           string          `json:"started"`
	Period            wPeriod         `json:"period"`
}

// DecodeOther decodes any resource into an Other; it never fails.
func DecodeOther(r Resource) Other {
	var w wOther
	d := begin(r, &w)
	o := Other{Title: wNamed{Name: w.Name, Title: w.Title, Code: w.Code}.display()}
	for _, s := range []string{w.Date, w.EffectiveDateTime, w.OccurrenceDate, w.Created, w.AuthoredOn, w.Issued, w.Recorded, w.Started, w.Period.Start} {
		if o.Date = d.date(s); !o.Date.IsZero() {
			break
		}
	}
	if o.Date.IsZero() {
		o.Date = d.fallbackDate("date", "effectiveDateTime", "occurrenceDateTime", "created", "authoredOn", "issued", "recordedDate", "started", "start")
	}
	o.Entry = d.entry()
	// Of a type we do not display, only unparseable JSON counts as
	// unreadable: fields we never look at may have any shape.
	o.Incomplete = d.broken
	return o
}

// Chart is one patient's record decoded for display: every resource lands
// in exactly one slice, in input order. Build it with Load; it is read-only
// afterwards and safe for concurrent reads.
type Chart struct {
	Patients        []Patient
	Observations    []Observation
	Reports         []DiagnosticReport
	Medications     []MedicationRequest
	Allergies       []AllergyIntolerance
	Conditions      []Condition
	Immunizations   []Immunization
	Procedures      []Procedure
	Encounters      []Encounter
	Documents       []DocumentReference
	CarePlans       []CarePlan
	Goals           []Goal
	CareTeams       []CareTeam
	Appointments    []Appointment
	Communications  []Communication
	Tasks           []Task
	Accounts        []Account
	Invoices        []Invoice
	Coverages       []Coverage
	Benefits        []ExplanationOfBenefit
	Parties         []Party // Practitioner, PractitionerRole, Organization, Location, RelatedPerson
	Others          []Other // every other type, including Medication
	Refs            *Refs
	IncompleteCount int // how many entries are Incomplete
}

// partyTypes are decoded as Party.
var partyTypes = map[string]bool{
	"Practitioner": true, "PractitionerRole": true, "Organization": true,
	"Location": true, "RelatedPerson": true, "HealthcareService": true,
}

// Load decodes every resource into a Chart and resolves medication names
// given by reference to a Medication resource. It never fails: resources
// that cannot be read completely are kept and marked Incomplete.
func Load(resources []Resource) *Chart {
	c := &Chart{Refs: &Refs{byKey: map[string]string{}, byID: map[string]string{}}}
	for _, r := range resources {
		c.add(r)
	}
	for i := range c.Medications {
		m := &c.Medications[i]
		if m.Medication == "" {
			m.Medication = c.Refs.Lookup(m.MedicationRef.Reference)
		}
	}
	return c
}

// Len is the number of entries in the chart; it equals the number of
// resources given to Load.
func (c *Chart) Len() int {
	return len(c.Patients) + len(c.Observations) + len(c.Reports) + len(c.Medications) +
		len(c.Allergies) + len(c.Conditions) + len(c.Immunizations) + len(c.Procedures) +
		len(c.Encounters) + len(c.Documents) + len(c.CarePlans) + len(c.Goals) +
		len(c.CareTeams) + len(c.Appointments) + len(c.Communications) + len(c.Tasks) +
		len(c.Accounts) + len(c.Invoices) + len(c.Coverages) + len(c.Benefits) +
		len(c.Parties) + len(c.Others)
}

// add decodes r into its slice and indexes its display name for Refs.
func (c *Chart) add(r Resource) {
	var e Entry
	var name string
	switch r.Type {
	case "Patient":
		v := DecodePatient(r)
		c.Patients, e, name = append(c.Patients, v), v.Entry, v.Name
	case "Observation":
		v := DecodeObservation(r)
		c.Observations, e, name = append(c.Observations, v), v.Entry, v.Name
	case "DiagnosticReport":
		v := DecodeDiagnosticReport(r)
		c.Reports, e, name = append(c.Reports, v), v.Entry, v.Name
	case "MedicationRequest":
		v := DecodeMedicationRequest(r)
		c.Medications, e, name = append(c.Medications, v), v.Entry, v.Medication
	case "AllergyIntolerance":
		v := DecodeAllergyIntolerance(r)
		c.Allergies, e, name = append(c.Allergies, v), v.Entry, v.Substance
	case "Condition":
		v := DecodeCondition(r)
		c.Conditions, e, name = append(c.Conditions, v), v.Entry, v.Name
	case "Immunization":
		v := DecodeImmunization(r)
		c.Immunizations, e, name = append(c.Immunizations, v), v.Entry, v.Vaccine
	case "Procedure":
		v := DecodeProcedure(r)
		c.Procedures, e, name = append(c.Procedures, v), v.Entry, v.Name
	case "Encounter":
		v := DecodeEncounter(r)
		c.Encounters, e, name = append(c.Encounters, v), v.Entry, v.Type
	case "DocumentReference":
		v := DecodeDocumentReference(r)
		c.Documents, e, name = append(c.Documents, v), v.Entry, v.Title
	case "CarePlan":
		v := DecodeCarePlan(r)
		c.CarePlans, e, name = append(c.CarePlans, v), v.Entry, v.Title
	case "Goal":
		v := DecodeGoal(r)
		c.Goals, e, name = append(c.Goals, v), v.Entry, v.Description
	case "CareTeam":
		v := DecodeCareTeam(r)
		c.CareTeams, e, name = append(c.CareTeams, v), v.Entry, v.Name
	case "Appointment":
		v := DecodeAppointment(r)
		c.Appointments, e, name = append(c.Appointments, v), v.Entry, strings.Join(v.ServiceTypes, ", ")
	case "Communication":
		v := DecodeCommunication(r)
		c.Communications, e, name = append(c.Communications, v), v.Entry, v.Topic
	case "Task":
		v := DecodeTask(r)
		c.Tasks, e, name = append(c.Tasks, v), v.Entry, v.Code
	case "Account":
		v := DecodeAccount(r)
		c.Accounts, e, name = append(c.Accounts, v), v.Entry, v.Name
	case "Invoice":
		v := DecodeInvoice(r)
		c.Invoices, e, name = append(c.Invoices, v), v.Entry, v.Type
	case "Coverage":
		v := DecodeCoverage(r)
		c.Coverages, e, name = append(c.Coverages, v), v.Entry, v.Type
	case "ExplanationOfBenefit":
		v := DecodeExplanationOfBenefit(r)
		c.Benefits, e, name = append(c.Benefits, v), v.Entry, v.Type
	default:
		if partyTypes[r.Type] {
			v := DecodeParty(r)
			c.Parties, e, name = append(c.Parties, v), v.Entry, v.Name
		} else {
			v := DecodeOther(r)
			c.Others, e, name = append(c.Others, v), v.Entry, v.Title
		}
	}
	if e.Incomplete {
		c.IncompleteCount++
	}
	c.Refs.add(e.Type, e.ID, name)
}

// Patient returns the chart's patient: the first Patient resource, or a
// zero Patient and false when there is none.
func (c *Chart) Patient() (Patient, bool) {
	if len(c.Patients) == 0 {
		return Patient{}, false
	}
	return c.Patients[0], true
}

// Name resolves a reference to a display name (see Refs.Name).
func (c *Chart) Name(ref Ref) string { return c.Refs.Name(ref) }

// isFromPatientSide reports whether a reference points to the patient or
// someone acting for them (a proxy), as opposed to the practice.
func isFromPatientSide(ref Ref, patientIDs map[string]bool) bool {
	switch ref.TargetType() {
	case "Patient", "RelatedPerson":
		return true
	}
	return patientIDs[refID(ref.Reference)]
}
