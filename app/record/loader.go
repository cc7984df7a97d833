package record

import (
	"slices"
	"strings"
)

// loaderBatch is how many resources a Loader decodes at once: enough to
// keep every core busy, few enough that their JSON stays small next to
// the chart (a thousand results are about 1.5 MB of JSON).
const loaderBatch = 1024

// loaderBatchBytes bounds the JSON of a batch as well: a few messages
// with photos weigh more than a thousand results.
const loaderBatchBytes = 4 << 20

// Loader builds a Chart from resources handed to it one at a time, as the
// cache reads them, decoding them in batches: a long record's JSON (tens
// of thousands of results, several times the size of what the chart
// keeps) is never in memory all at once, as Load's input is.
//
// Hand it each type's resources together, types in the order the chart
// should keep them; within a type they may come in any order, and the
// type's entries are sorted by id. Fed the types in ascending order, the
// Loader builds the chart Load builds from the same resources sorted by
// type, then id (the cache's List order). Not safe for concurrent use.
type Loader struct {
	c     *Chart
	batch []Resource
	items []decoded
	typ   string // the type being read
	from  int    // where its entries start in their slice
	any   bool   // whether a type is being read
	size  int    // resources per batch: loaderBatch (tests change it)
	bytes int    // the batch's JSON, up to loaderBatchBytes
}

// NewLoader returns a Loader for about n[type] resources of each type:
// the chart's slices are made that size (more only costs them a growth).
func NewLoader(n map[string]int) *Loader {
	return &Loader{c: newChart(n), size: loaderBatch}
}

// Add decodes r into the chart (in a batch, so r.JSON must not change
// until the next call to Chart).
func (l *Loader) Add(r Resource) {
	if !l.any || r.Type != l.typ {
		l.endType()
		l.typ, l.any = r.Type, true
		l.from = l.c.slotOf(r.Type).len()
	}
	l.batch = append(l.batch, r)
	l.bytes += len(r.JSON)
	if len(l.batch) >= l.size || l.bytes >= loaderBatchBytes {
		l.flush()
	}
}

// Chart finishes and returns the chart; the Loader must not be used
// afterwards.
func (l *Loader) Chart() *Chart {
	l.endType()
	c := l.c
	l.c, l.batch, l.items = nil, nil, nil
	c.finish()
	return c
}

// flush decodes the batch (in parallel) and places it in the chart.
func (l *Loader) flush() {
	if len(l.batch) == 0 {
		return
	}
	if cap(l.items) < len(l.batch) {
		l.items = make([]decoded, l.size)
	}
	items := l.items[:len(l.batch)]
	decodeAll(l.batch, items)
	for _, it := range items {
		l.c.place(it)
	}
	clear(items) // the decoded values now live in the chart's slices
	clear(l.batch)
	l.batch, l.bytes = l.batch[:0], 0
}

// endType places what is left of the type being read and sorts its
// entries by id.
func (l *Loader) endType() {
	l.flush()
	if l.any {
		l.c.slotOf(l.typ).sortFrom(l.from)
	}
}

// slot is one of a chart's slices, seen from a Loader.
type slot interface {
	len() int
	add(v any)      // appends v, a value of the slice's type (decode's)
	sortFrom(i int) // sorts the entries from the i-th on by id
}

// slotOf is the slice that entries of typ go into, as decode chooses
// their type.
func (c *Chart) slotOf(typ string) slot {
	switch typ {
	case "Patient":
		return slotOfType[Patient, *Patient]{&c.Patients}
	case "Observation":
		return slotOfType[Observation, *Observation]{&c.Observations}
	case "DiagnosticReport":
		return slotOfType[DiagnosticReport, *DiagnosticReport]{&c.Reports}
	case "MedicationRequest":
		return slotOfType[MedicationRequest, *MedicationRequest]{&c.Medications}
	case "AllergyIntolerance":
		return slotOfType[AllergyIntolerance, *AllergyIntolerance]{&c.Allergies}
	case "Condition":
		return slotOfType[Condition, *Condition]{&c.Conditions}
	case "Immunization":
		return slotOfType[Immunization, *Immunization]{&c.Immunizations}
	case "ImmunizationRecommendation":
		return slotOfType[ImmunizationRecommendation, *ImmunizationRecommendation]{&c.Recommendations}
	case "Procedure":
		return slotOfType[Procedure, *Procedure]{&c.Procedures}
	case "Encounter":
		return slotOfType[Encounter, *Encounter]{&c.Encounters}
	case "DocumentReference":
		return slotOfType[DocumentReference, *DocumentReference]{&c.Documents}
	case "CarePlan":
		return slotOfType[CarePlan, *CarePlan]{&c.CarePlans}
	case "Goal":
		return slotOfType[Goal, *Goal]{&c.Goals}
	case "CareTeam":
		return slotOfType[CareTeam, *CareTeam]{&c.CareTeams}
	case "Appointment":
		return slotOfType[Appointment, *Appointment]{&c.Appointments}
	case "Communication":
		return slotOfType[Communication, *Communication]{&c.Communications}
	case "Task":
		return slotOfType[Task, *Task]{&c.Tasks}
	case "Account":
		return slotOfType[Account, *Account]{&c.Accounts}
	case "Invoice":
		return slotOfType[Invoice, *Invoice]{&c.Invoices}
	case "Coverage":
		return slotOfType[Coverage, *Coverage]{&c.Coverages}
	case "ExplanationOfBenefit":
		return slotOfType[ExplanationOfBenefit, *ExplanationOfBenefit]{&c.Benefits}
	}
	if partyTypes[typ] {
		return slotOfType[Party, *Party]{&c.Parties}
	}
	return slotOfType[Other, *Other]{&c.Others}
}

// slotOfType is a slot of decoded values of type T, which embed Entry.
type slotOfType[T any, P interface {
	*T
	entryID() string
}] struct{ s *[]T }

func (e slotOfType[T, P]) len() int { return len(*e.s) }

func (e slotOfType[T, P]) add(v any) { *e.s = append(*e.s, v.(T)) }

func (e slotOfType[T, P]) sortFrom(i int) {
	s := (*e.s)[i:]
	id := func(i int32) string { return P(&s[i]).entryID() }
	perm := make([]int32, len(s))
	sorted := true
	for i := range perm {
		perm[i] = int32(i)
		if i > 0 && id(int32(i-1)) > id(int32(i)) {
			sorted = false
		}
	}
	if sorted {
		return
	}
	slices.SortStableFunc(perm, func(a, b int32) int { return strings.Compare(id(a), id(b)) })
	// s[i] takes what is at s[perm[i]]: each cycle of the permutation is
	// followed once, so every (large) value moves once.
	for i := range perm {
		if perm[i] == int32(i) {
			continue
		}
		tmp := s[i]
		j := i
		for {
			k := int(perm[j])
			perm[j] = int32(j)
			if k == i {
				s[j] = tmp
				break
			}
			s[j] = s[k]
			j = k
		}
	}
}

// entryID is the entry's id, for sorting a chart's slices.
func (e *Entry) entryID() string { return e.ID }
