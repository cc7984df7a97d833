package record

import (
	"encoding/json"
	"runtime"
	"slices"
	"strings"
	"sync"
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
	Recommendations []ImmunizationRecommendation
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

	// trends are Trends(Observations), computed once (see Chart.Trends).
	trendsOnce sync.Once
	trends     *TrendIndex
}

// TrendIndex is the trends of a chart's results and measurements, and
// which of them each result belongs to (Of).
type TrendIndex struct {
	Series []Series // Trends(Observations)
	// byKey maps Series.Key to the index of the series, for the series
	// of at least two points.
	byKey map[string]int32
}

// Of returns the indexes in Series of the series of at least two points
// that o is a point of (once for each of its values: its own and its
// components'), in order.
func (t *TrendIndex) Of(o Observation) []int32 {
	if o.Date().IsZero() || o.Status == "entered-in-error" || o.Status == "cancelled" {
		return nil
	}
	var out []int32
	add := func(code Concept, name string, v Value) {
		if _, ok := v.Number(); !ok {
			return
		}
		key, _ := seriesKey(code, name)
		if key == "" {
			return
		}
		if i, ok := t.byKey[key+"|"+strings.ToLower(v.Quantity.unit())]; ok {
			out = append(out, i)
		}
	}
	add(o.Code, o.Name, o.Value)
	for _, c := range o.Components {
		add(c.Code, c.Name, c.Value)
	}
	slices.Sort(out)
	return out
}

// UseTrends makes t the chart's trends (see Trends), when they were
// computed from the same Observations for another chart of the same
// record; it does nothing once the chart's trends are known.
func (c *Chart) UseTrends(t *TrendIndex) {
	c.trendsOnce.Do(func() { c.trends = t })
}

// Trends returns the trends of c's Observations (Trends(c.Observations)),
// computed on first use and shared by every caller afterwards: callers
// must not change them. Safe for concurrent use.
func (c *Chart) Trends() *TrendIndex {
	c.trendsOnce.Do(func() {
		t := &TrendIndex{Series: Trends(c.Observations), byKey: map[string]int32{}}
		for i, s := range t.Series {
			// Kept as long as a screen shows them: without the room
			// append left (up to as much again).
			t.Series[i].Points = slices.Clone(s.Points)
		}
		compactSeries(t.Series)
		for i, s := range t.Series {
			if len(s.Points) >= 2 { // else nothing to compare with
				t.byKey[s.Key] = int32(i)
			}
		}
		c.trends = t
	})
	return c.trends
}

// partyTypes are decoded as Party.
var partyTypes = map[string]bool{
	"Practitioner": true, "PractitionerRole": true, "Organization": true,
	"Location": true, "RelatedPerson": true, "HealthcareService": true,
}

// Load decodes every resource into a Chart and resolves medication names
// given by reference to a Medication resource. It never fails: resources
// that cannot be read completely are kept and marked Incomplete.
//
// Decoding is spread over the available cores (a big record has tens of
// thousands of resources and each decode is independent); the Chart is
// then filled in input order, so the result is the same as a sequential
// decode.
func Load(resources []Resource) *Chart {
	items := make([]decoded, len(resources))
	decodeAll(resources, items)
	n := map[string]int{}
	for _, r := range resources {
		n[r.Type]++
	}
	c := newChart(n)
	for _, it := range items {
		c.place(it)
	}
	c.finish()
	return c
}

// finish indexes the results' names and resolves medication names given
// by reference, once every resource is placed.
func (c *Chart) finish() {
	c.Refs.indexObservations(c.Observations)
	for i := range c.Medications {
		m := &c.Medications[i]
		if m.Medication == "" {
			m.Medication = c.Refs.Lookup(m.MedicationRef.Reference)
		}
	}
}

// newChart is an empty chart whose slices have room for exactly n[type]
// resources of each type: a long record's slices grown by append would
// keep up to twice the room they need for as long as the chart lives.
func newChart(n map[string]int) *Chart {
	named := 0
	for _, k := range n {
		named += k
	}
	party := 0
	for typ := range partyTypes {
		party += n[typ]
	}
	c := &Chart{
		Patients:        room[Patient](n["Patient"]),
		Observations:    room[Observation](n["Observation"]),
		Reports:         room[DiagnosticReport](n["DiagnosticReport"]),
		Medications:     room[MedicationRequest](n["MedicationRequest"]),
		Allergies:       room[AllergyIntolerance](n["AllergyIntolerance"]),
		Conditions:      room[Condition](n["Condition"]),
		Immunizations:   room[Immunization](n["Immunization"]),
		Recommendations: room[ImmunizationRecommendation](n["ImmunizationRecommendation"]),
		Procedures:      room[Procedure](n["Procedure"]),
		Encounters:      room[Encounter](n["Encounter"]),
		Documents:       room[DocumentReference](n["DocumentReference"]),
		CarePlans:       room[CarePlan](n["CarePlan"]),
		Goals:           room[Goal](n["Goal"]),
		CareTeams:       room[CareTeam](n["CareTeam"]),
		Appointments:    room[Appointment](n["Appointment"]),
		Communications:  room[Communication](n["Communication"]),
		Tasks:           room[Task](n["Task"]),
		Accounts:        room[Account](n["Account"]),
		Invoices:        room[Invoice](n["Invoice"]),
		Coverages:       room[Coverage](n["Coverage"]),
		Benefits:        room[ExplanationOfBenefit](n["ExplanationOfBenefit"]),
		Parties:         room[Party](party),
		Refs:            &Refs{byKey: map[string]string{}, byID: map[string]string{}},
	}
	shown := 0
	for _, k := range []int{cap(c.Patients), cap(c.Observations), cap(c.Reports), cap(c.Medications), cap(c.Allergies),
		cap(c.Conditions), cap(c.Immunizations), cap(c.Recommendations), cap(c.Procedures), cap(c.Encounters),
		cap(c.Documents), cap(c.CarePlans), cap(c.Goals), cap(c.CareTeams), cap(c.Appointments), cap(c.Communications),
		cap(c.Tasks), cap(c.Accounts), cap(c.Invoices), cap(c.Coverages), cap(c.Benefits), cap(c.Parties)} {
		shown += k
	}
	c.Others = room[Other](named - shown)
	return c
}

// room is an empty slice with room for n elements, nil for none (as an
// empty slice filled by append would be).
func room[T any](n int) []T {
	if n <= 0 {
		return nil
	}
	return make([]T, 0, n)
}

// parallelMin is the record size from which Load decodes in parallel.
const parallelMin = 256

// decodeAll fills items[i] with the decoding of resources[i].
func decodeAll(resources []Resource, items []decoded) {
	workers := runtime.GOMAXPROCS(0)
	if len(resources) < parallelMin || workers < 2 {
		for i, r := range resources {
			items[i] = decode(r)
		}
		return
	}
	var wg sync.WaitGroup
	chunk := (len(resources) + workers - 1) / workers
	for start := 0; start < len(resources); start += chunk {
		end := min(start+chunk, len(resources))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := start; i < end; i++ {
				items[i] = decode(resources[i])
			}
		}()
	}
	wg.Wait()
}

// Len is the number of entries in the chart; it equals the number of
// resources given to Load.
func (c *Chart) Len() int {
	return len(c.Patients) + len(c.Observations) + len(c.Reports) + len(c.Medications) +
		len(c.Allergies) + len(c.Conditions) + len(c.Immunizations) + len(c.Recommendations) + len(c.Procedures) +
		len(c.Encounters) + len(c.Documents) + len(c.CarePlans) + len(c.Goals) +
		len(c.CareTeams) + len(c.Appointments) + len(c.Communications) + len(c.Tasks) +
		len(c.Accounts) + len(c.Invoices) + len(c.Coverages) + len(c.Benefits) +
		len(c.Parties) + len(c.Others)
}

// decoded is one resource decoded: its display value (Patient,
// Observation, ...), its Entry and the name other records show for it.
type decoded struct {
	value any
	entry Entry
	name  string
}

// decode decodes r with the decoder of its type, for a chart: large
// files stay in the cache (see Attachment.Cached). Safe for concurrent
// use.
func decode(r Resource) decoded {
	switch r.Type {
	case "Patient":
		v := DecodePatient(r)
		return decoded{v, v.Entry, v.Name}
	case "Observation":
		v := DecodeObservation(r)
		return decoded{v, v.Entry, v.Name}
	case "DiagnosticReport":
		v := decodeDiagnosticReport(r, true)
		return decoded{v, v.Entry, v.Name}
	case "MedicationRequest":
		v := DecodeMedicationRequest(r)
		return decoded{v, v.Entry, v.Medication}
	case "AllergyIntolerance":
		v := DecodeAllergyIntolerance(r)
		return decoded{v, v.Entry, v.Substance}
	case "Condition":
		v := DecodeCondition(r)
		return decoded{v, v.Entry, v.Name}
	case "Immunization":
		v := DecodeImmunization(r)
		return decoded{v, v.Entry, v.Vaccine}
	case "ImmunizationRecommendation":
		v := DecodeImmunizationRecommendation(r)
		return decoded{v, v.Entry, ""}
	case "Procedure":
		v := DecodeProcedure(r)
		return decoded{v, v.Entry, v.Name}
	case "Encounter":
		v := DecodeEncounter(r)
		return decoded{v, v.Entry, v.Type}
	case "DocumentReference":
		v := decodeDocumentReference(r, true)
		return decoded{v, v.Entry, v.Title}
	case "CarePlan":
		v := DecodeCarePlan(r)
		return decoded{v, v.Entry, v.Title}
	case "Goal":
		v := DecodeGoal(r)
		return decoded{v, v.Entry, v.Description}
	case "CareTeam":
		v := DecodeCareTeam(r)
		return decoded{v, v.Entry, v.Name}
	case "Appointment":
		v := DecodeAppointment(r)
		return decoded{v, v.Entry, strings.Join(v.ServiceTypes, ", ")}
	case "Communication":
		v := decodeCommunication(r, true)
		return decoded{v, v.Entry, v.Topic}
	case "Task":
		v := DecodeTask(r)
		return decoded{v, v.Entry, v.Code}
	case "Account":
		v := DecodeAccount(r)
		return decoded{v, v.Entry, v.Name}
	case "Invoice":
		v := DecodeInvoice(r)
		return decoded{v, v.Entry, v.Type}
	case "Coverage":
		v := DecodeCoverage(r)
		return decoded{v, v.Entry, v.Type}
	case "ExplanationOfBenefit":
		v := DecodeExplanationOfBenefit(r)
		return decoded{v, v.Entry, v.Type}
	}
	if partyTypes[r.Type] {
		v := DecodeParty(r)
		return decoded{v, v.Entry, v.Name}
	}
	v := DecodeOther(r)
	return decoded{v, v.Entry, v.Title}
}

// place appends a decoded resource to its slice (slotOf) and indexes its
// name.
func (c *Chart) place(it decoded) {
	c.slotOf(it.entry.Type).add(it.value)
	if it.entry.Incomplete {
		c.IncompleteCount++
	}
	if _, ok := it.value.(Observation); ok {
		return // named through Refs.indexObservations
	}
	c.Refs.add(it.entry.Type, it.entry.ID, it.name)
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

// compactSeries copies the texts of series into one string: kept long
// after the chart they come from (the trends outlive it), each would
// otherwise keep a small allocation of the decoded record, scattered
// among what the chart freed. Observation ids are copied as they are
// (each is one point's); units and the series' own texts once for each
// distinct text (a long weight series is "kg" thousands of times). The
// reference range is copied out of the decoded record too.
func compactSeries(series []Series) {
	at := map[string]int{}
	n := 0
	var texts []*string
	once := func(p *string) {
		if _, ok := at[*p]; !ok && *p != "" {
			at[*p] = -1 // placed below, after the ids
		}
		texts = append(texts, p)
	}
	for i := range series {
		s := &series[i]
		once(&s.Key)
		once(&s.Code.System)
		once(&s.Code.Code)
		once(&s.Code.Display)
		once(&s.Name)
		once(&s.Unit)
		if s.Range != nil {
			r := *s.Range
			s.Range = &r
		}
		for j := range s.Points {
			n += len(s.Points[j].ObservationID)
			once(&s.Points[j].Unit)
		}
	}
	for _, p := range texts {
		if at[*p] == -1 {
			at[*p] = n
			n += len(*p)
		}
	}
	var b strings.Builder
	b.Grow(n)
	for _, s := range series {
		for _, p := range s.Points {
			b.WriteString(p.ObservationID)
		}
	}
	for _, p := range texts {
		if s := *p; s != "" && at[s] == b.Len() {
			b.WriteString(s)
		}
	}
	all, pos := b.String(), 0
	for _, s := range series {
		for i := range s.Points {
			n := len(s.Points[i].ObservationID)
			s.Points[i].ObservationID = all[pos : pos+n]
			pos += n
		}
	}
	for _, p := range texts {
		if s := *p; s != "" {
			*p = all[at[s] : at[s]+len(s)]
		}
	}
}
