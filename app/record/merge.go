package record

import (
	"math"
	"sort"
	"strings"
	"time"
)

// Merged views: one person's records at several practices (each a profile
// of its own, linked as one person by the user) shown together. Every item
// says where it comes from; the same medication, allergy, vaccine or
// condition from two practices (same code and dates) is one item with both
// sources; results of the same measurement (same code, compatible units)
// chart together.

// Source is where an item comes from: one profile, named by its practice.
type Source struct {
	ProfileID string
	Practice  string // the practice's name, as the patient reads it
}

// Part is one practice's record of the person.
type Part struct {
	Source Source
	Chart  *Chart
}

// Sourced is one item of a merged view and every practice it comes from.
// Item and Chart are the first source's (Chart resolves its references);
// Keys holds the item's "Type/id" at each source, parallel to Sources.
type Sourced[T any] struct {
	Item    T
	Chart   *Chart
	Sources []Source
	Keys    []string
}

// Practices is the names of the item's sources, joined with " · ".
func (s Sourced[T]) Practices() string { return SourceNames(s.Sources) }

// SourceNames joins the practices' names with " · ".
func SourceNames(srcs []Source) string {
	names := make([]string, len(srcs))
	for i, s := range srcs {
		names[i] = s.Practice
	}
	return strings.Join(names, " · ")
}

// merger collects items of one kind from several parts, folding items with
// the same identity (key) into one.
type merger[T any] struct {
	out   []Sourced[T]
	index map[string]int
}

// add adds item ("Type/id" itemKey) from part p; key "" means the item
// is never folded.
func (m *merger[T]) add(p Part, item T, itemKey, key string) {
	if key != "" {
		if m.index == nil {
			m.index = map[string]int{}
		}
		if i, ok := m.index[key]; ok && !hasSource(m.out[i].Sources, p.Source) {
			m.out[i].Sources = append(m.out[i].Sources, p.Source)
			m.out[i].Keys = append(m.out[i].Keys, itemKey)
			return
		}
		// Two copies at one practice stay two items: folding is for the
		// same thing told by two practices.
		if _, ok := m.index[key]; !ok {
			m.index[key] = len(m.out)
		}
	}
	m.out = append(m.out, Sourced[T]{Item: item, Chart: p.Chart, Sources: []Source{p.Source}, Keys: []string{itemKey}})
}

func hasSource(srcs []Source, s Source) bool {
	for _, have := range srcs {
		if have.ProfileID == s.ProfileID {
			return true
		}
	}
	return false
}

// conceptKey identifies a coded concept: its first coding with a code
// ("system|code", system lower-cased), else its lower-cased text.
func conceptKey(c Concept, name string) string {
	for _, cd := range c.Codings {
		if cd.Code != "" {
			return strings.ToLower(strings.TrimSpace(cd.System)) + "|" + strings.TrimSpace(cd.Code)
		}
	}
	if t := lower(firstNonEmpty(c.Text, name)); t != "" {
		return "text:" + t
	}
	return ""
}

// dayKey is a date to the day (or the precision it was given in), "" when
// there is none.
func dayKey(d Date) string {
	switch {
	case d.IsZero():
		return "-"
	case d.Precision >= PrecisionDay:
		return d.Time.Format(time.DateOnly)
	}
	return d.String()
}

// sameKey joins a concept key and dates into a folding key; "" (never
// folded) when the item has no code or name.
func sameKey(kind, concept string, dates ...Date) string {
	if concept == "" {
		return ""
	}
	k := kind + "|" + concept
	for _, d := range dates {
		k += "|" + dayKey(d)
	}
	return k
}

// MedicationKey is what makes two prescriptions the same one: the
// medication's code (else its name) and the day it was prescribed.
func MedicationKey(m MedicationRequest) string {
	return sameKey("med", conceptKey(m.Code, m.Medication), m.AuthoredOn)
}

// AllergyKey is what makes two allergies the same one: the substance's code
// and the onset (else recorded) date.
func AllergyKey(a AllergyIntolerance) string {
	return sameKey("allergy", conceptKey(a.Code, a.Substance), firstDate(a.Onset, a.Recorded))
}

// ConditionKey is what makes two conditions the same one: the code and the
// onset and abatement dates.
func ConditionKey(c Condition) string {
	return sameKey("condition", conceptKey(c.Code, c.Name), c.Onset, c.Abatement)
}

// ImmunizationKey is what makes two vaccinations the same one: the
// vaccine's code and the day it was given.
func ImmunizationKey(im Immunization) string {
	return sameKey("vaccine", conceptKey(im.VaccineCode, im.Vaccine), im.Date)
}

// MergeMedications merges the prescriptions of parts, in part order; the
// same prescription (MedicationKey) from two practices is one item.
// Entered-in-error ones are left out.
func MergeMedications(parts []Part) []Sourced[MedicationRequest] {
	var m merger[MedicationRequest]
	for _, p := range parts {
		for _, it := range p.Chart.Medications {
			if it.Status != "entered-in-error" {
				m.add(p, it, it.Key(), MedicationKey(it))
			}
		}
	}
	return m.out
}

// MergeAllergies merges the allergies of parts (AllergyKey folds).
func MergeAllergies(parts []Part) []Sourced[AllergyIntolerance] {
	var m merger[AllergyIntolerance]
	for _, p := range parts {
		for _, it := range p.Chart.Allergies {
			if it.VerificationStatus != "entered-in-error" {
				m.add(p, it, it.Key(), AllergyKey(it))
			}
		}
	}
	return m.out
}

// MergeConditions merges the conditions of parts (ConditionKey folds).
func MergeConditions(parts []Part) []Sourced[Condition] {
	var m merger[Condition]
	for _, p := range parts {
		for _, it := range p.Chart.Conditions {
			if it.VerificationStatus != "entered-in-error" {
				m.add(p, it, it.Key(), ConditionKey(it))
			}
		}
	}
	return m.out
}

// MergeImmunizations merges the vaccinations of parts (ImmunizationKey
// folds).
func MergeImmunizations(parts []Part) []Sourced[Immunization] {
	var m merger[Immunization]
	for _, p := range parts {
		for _, it := range p.Chart.Immunizations {
			if it.Status != "entered-in-error" {
				m.add(p, it, it.Key(), ImmunizationKey(it))
			}
		}
	}
	return m.out
}

// MergeResults lists the result groups of every part (LabResults), newest
// first. Results are never folded: each practice's test is its own.
func MergeResults(parts []Part) []Sourced[LabGroup] {
	var m merger[LabGroup]
	for _, p := range parts {
		for _, g := range LabResults(p.Chart) {
			m.add(p, g, g.Key(), "")
		}
	}
	sort.SliceStable(m.out, func(i, j int) bool { return m.out[i].Item.Date.After(m.out[j].Item.Date) })
	return m.out
}

// MergeAppointments lists the appointments of every part, soonest first.
func MergeAppointments(parts []Part) []Sourced[Appointment] {
	var m merger[Appointment]
	for _, p := range parts {
		for _, a := range p.Chart.Appointments {
			m.add(p, a, a.Key(), "")
		}
	}
	sort.SliceStable(m.out, func(i, j int) bool { return m.out[i].Item.Start.Before(m.out[j].Item.Start) })
	return m.out
}

// SourcedSeries is a measurement charted from several practices: the
// series (in one unit) and, parallel to its points, where each comes from.
type SourcedSeries struct {
	Series
	From []Source
}

// Practices is the names of the practices the points come from, in order
// of first appearance.
func (s SourcedSeries) Practices() string {
	var uniq []Source
	seen := map[string]bool{}
	for _, f := range s.From {
		if !seen[f.ProfileID] {
			seen[f.ProfileID] = true
			uniq = append(uniq, f)
		}
	}
	return SourceNames(uniq)
}

// MergeTrends charts the measurements of every part together: series with
// the same code whose units are compatible (the same unit written another
// way, or one convertible to the other: kg and lb, cm and in) become one,
// in the unit of the first part that has it, points oldest first.
func MergeTrends(parts []Part) []SourcedSeries {
	series := make([]SeriesPart, len(parts))
	for i, p := range parts {
		series[i] = SeriesPart{Source: p.Source, Series: Trends(p.Chart.Observations)}
	}
	return MergeSeries(series)
}

// SeriesPart is the trends of one practice's record of the person.
type SeriesPart struct {
	Source Source
	Series []Series // Trends of the record's Observations
}

// MergeSeries is MergeTrends of the parts' trends, computed already (see
// TrendBuilder): the series given are not changed.
func MergeSeries(parts []SeriesPart) []SourcedSeries {
	var out []SourcedSeries
	byCode := map[string][]int{} // series code key → indexes into out
	for _, p := range parts {
		for _, s := range p.Series {
			codeKey := s.Key
			if i := strings.LastIndex(codeKey, "|"); i >= 0 {
				codeKey = codeKey[:i]
			}
			target := -1
			var factor, offset float64
			for _, i := range byCode[codeKey] {
				if f, ok := unitFactor(s.Unit, out[i].Unit); ok {
					target, factor, offset = i, f, 0
					break
				}
			}
			from := make([]Source, len(s.Points))
			for j := range from {
				from[j] = p.Source
			}
			if target < 0 {
				byCode[codeKey] = append(byCode[codeKey], len(out))
				s.Points = append([]Point(nil), s.Points...)
				out = append(out, SourcedSeries{Series: s, From: from})
				continue
			}
			t := &out[target]
			for _, pt := range s.Points {
				pt.Value = round3(pt.Value*factor + offset)
				pt.Unit = t.Unit
				t.Points = append(t.Points, pt)
			}
			t.From = append(t.From, from...)
			if t.Range == nil && factor == 1 {
				t.Range = s.Range
			}
		}
	}
	for i := range out {
		sortSeries(&out[i])
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// sortSeries orders a series' points (and their sources) oldest first.
func sortSeries(s *SourcedSeries) {
	idx := make([]int, len(s.Points))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return s.Points[idx[a]].Date.Before(s.Points[idx[b]].Date) })
	pts := make([]Point, len(idx))
	from := make([]Source, len(idx))
	for i, j := range idx {
		pts[i], from[i] = s.Points[j], s.From[j]
	}
	s.Points, s.From = pts, from
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

// unitDims gives units a dimension and a factor to that dimension's base
// unit, for the conversions a patient's charts need.
var unitDims = map[string]struct {
	dim    string
	factor float64
}{
	"kg": {"mass", 1}, "kilogram": {"mass", 1}, "kilograms": {"mass", 1},
	"g": {"mass", 0.001}, "gram": {"mass", 0.001},
	"lb": {"mass", 0.45359237}, "lbs": {"mass", 0.45359237}, "[lb_av]": {"mass", 0.45359237}, "pound": {"mass", 0.45359237},
	"m": {"length", 1}, "cm": {"length", 0.01}, "mm": {"length", 0.001},
	"in": {"length", 0.0254}, "[in_i]": {"length", 0.0254}, "inch": {"length", 0.0254},
	"mg/dl": {"mass/vol", 1}, "mg/l": {"mass/vol", 0.1}, "g/dl": {"mass/vol", 1000}, "g/l": {"mass/vol", 100},
}

// normUnit writes a unit the same way whatever its case, spacing or
// UCUM braces ("{beats}/min" and "/min" stay apart only by their words).
func normUnit(u string) string {
	u = strings.ToLower(strings.Join(strings.Fields(u), ""))
	switch u {
	case "percent":
		return "%"
	case "mmhg", "mm[hg]":
		return "mm[hg]"
	case "bpm", "/min", "{beats}/min", "beats/min", "{breaths}/min", "breaths/min":
		return "/min"
	}
	return u
}

// unitFactor returns the factor turning a value in unit from into one in
// unit to, and whether the two are compatible.
func unitFactor(from, to string) (float64, bool) {
	f, t := normUnit(from), normUnit(to)
	if f == t {
		return 1, true
	}
	df, okf := unitDims[f]
	dt, okt := unitDims[t]
	if !okf || !okt || df.dim != dt.dim {
		return 0, false
	}
	return df.factor / dt.factor, true
}
