package record

import "strings"

// Other is a resource of a type this package does not display in detail
// (Claim, ImagingStudy, …). It keeps what every resource has, so nothing
// the server sent disappears from the record.
type Other struct {
	Entry
	Title string // the resource's name, title or code, when it has one
	Date  Date   // the first date found among the usual date fields
}

type wOther struct {
	wNamed
	Date              string  `json:"date"`
	EffectiveDateTime string  `json:"effectiveDateTime"`
	OccurrenceDate    string  `json:"occurrenceDateTime"`
	Created           string  `json:"created"`
	AuthoredOn        string  `json:"authoredOn"`
	Issued            string  `json:"issued"`
	Recorded          string  `json:"recordedDate"`
	Started           string  `json:"started"`
	Period            wPeriod `json:"period"`
}

// DecodeOther decodes any resource into an Other; it never fails.
func DecodeOther(r Resource) Other {
	var w wOther
	d := begin(r, &w)
	o := Other{Title: w.display()}
	for _, s := range []string{w.Date, w.EffectiveDateTime, w.OccurrenceDate, w.Created, w.AuthoredOn, w.Issued, w.Recorded, w.Started, w.Period.Start} {
		if o.Date = d.date(s); !o.Date.IsZero() {
			break
		}
	}
	if o.Date.IsZero() {
		o.Date = d.fallbackDate("date", "effectiveDateTime", "occurrenceDateTime", "created", "authoredOn", "issued", "start")
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
	c := &Chart{Refs: NewRefs(resources)}
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

func (c *Chart) add(r Resource) {
	var e Entry
	switch r.Type {
	case "Patient":
		v := DecodePatient(r)
		c.Patients, e = append(c.Patients, v), v.Entry
	case "Observation":
		v := DecodeObservation(r)
		c.Observations, e = append(c.Observations, v), v.Entry
	case "DiagnosticReport":
		v := DecodeDiagnosticReport(r)
		c.Reports, e = append(c.Reports, v), v.Entry
	case "MedicationRequest":
		v := DecodeMedicationRequest(r)
		c.Medications, e = append(c.Medications, v), v.Entry
	case "AllergyIntolerance":
		v := DecodeAllergyIntolerance(r)
		c.Allergies, e = append(c.Allergies, v), v.Entry
	case "Condition":
		v := DecodeCondition(r)
		c.Conditions, e = append(c.Conditions, v), v.Entry
	case "Immunization":
		v := DecodeImmunization(r)
		c.Immunizations, e = append(c.Immunizations, v), v.Entry
	case "Procedure":
		v := DecodeProcedure(r)
		c.Procedures, e = append(c.Procedures, v), v.Entry
	case "Encounter":
		v := DecodeEncounter(r)
		c.Encounters, e = append(c.Encounters, v), v.Entry
	case "DocumentReference":
		v := DecodeDocumentReference(r)
		c.Documents, e = append(c.Documents, v), v.Entry
	case "CarePlan":
		v := DecodeCarePlan(r)
		c.CarePlans, e = append(c.CarePlans, v), v.Entry
	case "Goal":
		v := DecodeGoal(r)
		c.Goals, e = append(c.Goals, v), v.Entry
	case "CareTeam":
		v := DecodeCareTeam(r)
		c.CareTeams, e = append(c.CareTeams, v), v.Entry
	case "Appointment":
		v := DecodeAppointment(r)
		c.Appointments, e = append(c.Appointments, v), v.Entry
	case "Communication":
		v := DecodeCommunication(r)
		c.Communications, e = append(c.Communications, v), v.Entry
	case "Task":
		v := DecodeTask(r)
		c.Tasks, e = append(c.Tasks, v), v.Entry
	case "Account":
		v := DecodeAccount(r)
		c.Accounts, e = append(c.Accounts, v), v.Entry
	case "Invoice":
		v := DecodeInvoice(r)
		c.Invoices, e = append(c.Invoices, v), v.Entry
	case "Coverage":
		v := DecodeCoverage(r)
		c.Coverages, e = append(c.Coverages, v), v.Entry
	case "ExplanationOfBenefit":
		v := DecodeExplanationOfBenefit(r)
		c.Benefits, e = append(c.Benefits, v), v.Entry
	default:
		if partyTypes[r.Type] {
			v := DecodeParty(r)
			c.Parties, e = append(c.Parties, v), v.Entry
		} else {
			v := DecodeOther(r)
			c.Others, e = append(c.Others, v), v.Entry
		}
	}
	if e.Incomplete {
		c.IncompleteCount++
	}
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
	return patientIDs[refID(ref.Reference)] && !strings.HasPrefix(ref.Reference, "#")
}
