package record

import (
	"slices"
	"sort"
	"strings"

	"github.com/carebook/carebook/app/record/plainnames"
)

// LOINC is the code system of most lab and vital-sign codes.
const LOINC = "http://loinc.org"

// Well-known LOINC codes.
const (
	LOINCBloodPressurePanel = "85354-9"
	LOINCSystolic           = "8480-6"
	LOINCDiastolic          = "8462-4"
	LOINCBodyWeight         = "29463-7"
)

// Point is one measurement in a Series.
type Point struct {
	Date          Date
	Value         float64
	Unit          string
	ObservationID string
}

// Series is the measurements of one thing over time, in one unit, oldest
// first: body weight in kg, HbA1c in %.
type Series struct {
	Key    string // stable identity: "system|code|unit", or "text:name|unit" when uncoded
	Code   Coding // the code the series is keyed by (empty when keyed by text)
	Name   string // friendly name ("Weight", "Blood pressure (systolic)") or the observation's own
	Unit   string
	Points []Point
	Range  *RefRange // the reference range given with the latest point, if any
}

// friendlyKinds says which measurement patients most often chart a LOINC
// code is; the order of chartOrder puts the usual ones first. Their names
// are the plain names the results bear (FriendlyName).
var friendlyKinds = map[string]string{
	"29463-7": "weight", "3141-9": "weight", "8302-2": "height", "8306-3": "height",
	"39156-5": "bmi", "59576-9": "bmiPercentile",
	LOINCSystolic: "systolic", LOINCDiastolic: "diastolic",
	"8867-4": "heartRate", "9279-1": "breathingRate", "8310-5": "temperature", "8331-1": "temperature",
	"2708-6": "oxygen", "59408-5": "oxygen",
	"4548-4": "a1c", "17856-6": "a1c",
	"18262-6": "ldl", "13457-7": "ldl", "2089-1": "ldl",
	"2085-9": "hdl", "2093-3": "cholesterol", "2571-8": "triglycerides",
	"2339-0": "glucose", "2345-7": "glucose", "1558-6": "fastingGlucose",
	"2160-0": "creatinine", "33914-3": "egfr", "72514-3": "pain",
	"8287-5": "head", "9843-4": "head",
	"718-7": "hemoglobin", "6690-2": "wbc", "777-3": "platelets",
}

var chartOrder = []string{
	"weight", "bmi", "systolic", "diastolic", "a1c", "ldl", "glucose", "fastingGlucose",
	"cholesterol", "hdl", "triglycerides", "heartRate", "height",
}

// FriendlyName returns the plain name of a LOINC code ("29463-7" →
// "Weight"), the one its results and every other screen give it
// (plainnames), in the current language, or "" when it has none.
func FriendlyName(loincCode string) string {
	name, _ := plainnames.Name(LOINC, loincCode)
	return name
}

// Trends builds a Series for every coded numeric measurement in obs: one per
// code and unit, points oldest first. Multi-part observations give one
// series per numeric component, so a blood pressure panel (LOINC 85354-9)
// yields the systolic (8480-6) and diastolic (8462-4) series. Observations
// without a date, without a number, or entered-in-error are skipped.
func Trends(obs []Observation) []Series {
	var t trends
	for _, o := range obs {
		eachTrendValue(o, t.add)
	}
	return t.series()
}

// TrendBuilder builds the trends of Observations given one at a time, in
// any order, keeping only their points: Series returns Trends of them
// sorted by id (the order of a chart's Observations), without the
// Observations themselves held at once. The zero value is ready to use.
type TrendBuilder struct {
	values []trendValue
	heads  map[trendHead]*trendHead // each series' identity, held once
}

// trendValue is one measurement kept by a TrendBuilder.
type trendValue struct {
	head  *trendHead
	point Point
	rng   *RefRange
}

// Add adds the measurements of o.
func (b *TrendBuilder) Add(o Observation) {
	eachTrendValue(o, func(h trendHead, p Point, r *RefRange) {
		hp := b.heads[h]
		if hp == nil {
			if b.heads == nil {
				b.heads = map[trendHead]*trendHead{}
			}
			hp = &h
			b.heads[h] = hp
		}
		b.values = append(b.values, trendValue{head: hp, point: p, rng: r})
	})
}

// Merge adds the Observations added to o (a builder of its own, filled by
// another goroutine): b's trends are then those of both. o must not be
// used afterwards.
func (b *TrendBuilder) Merge(o *TrendBuilder) {
	b.values = append(b.values, o.values...)
	o.values, o.heads = nil, nil
}

// Series returns the trends of the Observations added (see Trends).
func (b *TrendBuilder) Series() []Series {
	// Stable: an Observation's own value, then its components', as Trends
	// reads them.
	slices.SortStableFunc(b.values, func(x, y trendValue) int {
		return strings.Compare(x.point.ObservationID, y.point.ObservationID)
	})
	var t trends
	for _, v := range b.values {
		t.add(*v.head, v.point, v.rng)
	}
	return t.series()
}

// trendHead is what a measurement says of the series it belongs to.
type trendHead struct {
	key    string // Series.Key
	coding Coding
	name   string
}

// eachTrendValue calls fn with each numeric measurement of o (its own
// value, then its components'), none when o has no date or is
// entered-in-error or cancelled.
func eachTrendValue(o Observation, fn func(h trendHead, p Point, r *RefRange)) {
	if o.Date().IsZero() || o.Status == "entered-in-error" || o.Status == "cancelled" {
		return
	}
	add := func(code Concept, name string, v Value, r *RefRange) {
		n, ok := v.Number()
		if !ok {
			return
		}
		key, coding := seriesKey(code, name)
		if key == "" {
			return
		}
		unit := v.Quantity.unit()
		fn(trendHead{key: key + "|" + strings.ToLower(unit), coding: coding, name: name},
			Point{Date: o.Date(), Value: n, Unit: unit, ObservationID: o.ID}, r)
	}
	add(o.Code, o.Name, o.Value, o.Range)
	for _, c := range o.Components {
		add(c.Code, c.Name, c.Value, c.Range)
	}
}

// trends collects measurements into series, in the order given.
type trends struct {
	byKey     map[string]*Series
	rangeDate map[string]Date // date of the point whose range a series holds
	keys      []string
}

func (t *trends) add(h trendHead, p Point, r *RefRange) {
	if t.byKey == nil {
		t.byKey, t.rangeDate = map[string]*Series{}, map[string]Date{}
	}
	s, ok := t.byKey[h.key]
	if !ok {
		s = &Series{Key: h.key, Code: h.coding, Name: firstNonEmpty(FriendlyName(h.coding.Code), h.name), Unit: p.Unit}
		if h.coding.System != "" && !strings.EqualFold(h.coding.System, LOINC) {
			s.Name = h.name // friendly names are LOINC's
		}
		t.byKey[h.key] = s
		t.keys = append(t.keys, h.key)
	}
	s.Points = append(s.Points, p)
	if r != nil && (s.Range == nil || !p.Date.Before(t.rangeDate[h.key])) {
		s.Range, t.rangeDate[h.key] = r, p.Date
	}
}

func (t *trends) series() []Series {
	out := make([]Series, 0, len(t.keys))
	for _, k := range t.keys {
		s := t.byKey[k]
		sort.SliceStable(s.Points, func(i, j int) bool { return s.Points[i].Date.Before(s.Points[j].Date) })
		out = append(out, *s)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// seriesKey identifies a measurement: the LOINC coding first, then any
// coding, then the lower-cased text.
func seriesKey(c Concept, name string) (string, Coding) {
	for _, sys := range []string{LOINC, ""} {
		for _, cd := range c.Codings {
			if cd.Code != "" && (sys == "" || strings.EqualFold(cd.System, sys)) {
				cd.System = strings.ToLower(cd.System)
				return cd.System + "|" + cd.Code, cd
			}
		}
	}
	if t := lower(name); t != "" {
		return "text:" + t, Coding{}
	}
	return "", Coding{}
}

// ChartCandidates returns the series worth a chart (at least two points),
// the familiar ones first (weight, BMI, blood pressure, A1c, LDL, glucose…)
// and the rest by name.
func ChartCandidates(series []Series) []Series {
	rank := map[string]int{}
	for i, n := range chartOrder {
		rank[n] = i + 1
	}
	var out []Series
	for _, s := range series {
		if len(s.Points) >= 2 {
			out = append(out, s)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		ri, rj := rank[chartKind(out[i])], rank[chartKind(out[j])]
		switch {
		case ri != 0 && rj != 0:
			return ri < rj
		case ri != 0 || rj != 0:
			return ri != 0
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// chartKind is the kind of friendlyKinds a series measures, "" for none.
func chartKind(s Series) string {
	if s.Code.System != "" && !strings.EqualFold(s.Code.System, LOINC) {
		return ""
	}
	return friendlyKinds[s.Code.Code]
}

// Find returns the series for a LOINC code (any unit; the one with the most
// points when there are several) and whether there is one.
func Find(series []Series, loincCode string) (Series, bool) {
	best, found := Series{}, false
	for _, s := range series {
		if strings.EqualFold(s.Code.System, LOINC) && s.Code.Code == loincCode && (!found || len(s.Points) > len(best.Points)) {
			best, found = s, true
		}
	}
	return best, found
}
