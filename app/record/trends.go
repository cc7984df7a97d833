package record

import (
	"sort"
	"strings"
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

// friendlyNames names the measurements patients most often chart, by LOINC
// code; the order of chartOrder puts the usual ones first.
var friendlyNames = map[string]string{
	"29463-7": "Weight", "3141-9": "Weight", "8302-2": "Height", "8306-3": "Height",
	"39156-5": "BMI", "59576-9": "BMI percentile",
	LOINCSystolic: "Blood pressure (systolic)", LOINCDiastolic: "Blood pressure (diastolic)",
	"8867-4": "Heart rate", "9279-1": "Breathing rate", "8310-5": "Temperature", "8331-1": "Temperature",
	"2708-6": "Oxygen saturation", "59408-5": "Oxygen saturation",
	"4548-4": "A1c", "17856-6": "A1c",
	"18262-6": "LDL cholesterol", "13457-7": "LDL cholesterol", "2089-1": "LDL cholesterol",
	"2085-9": "HDL cholesterol", "2093-3": "Total cholesterol", "2571-8": "Triglycerides",
	"2339-0": "Glucose", "2345-7": "Glucose", "1558-6": "Fasting glucose",
	"2160-0": "Creatinine", "33914-3": "eGFR", "72514-3": "Pain score",
	"8287-5": "Head circumference", "9843-4": "Head circumference",
	"718-7": "Hemoglobin", "6690-2": "White blood cells", "777-3": "Platelets",
}

var chartOrder = []string{
	"Weight", "BMI", "Blood pressure (systolic)", "Blood pressure (diastolic)", "A1c",
	"LDL cholesterol", "Glucose", "Fasting glucose", "Total cholesterol", "HDL cholesterol",
	"Triglycerides", "Heart rate", "Height",
}

// FriendlyName returns the everyday name of a LOINC code ("29463-7" →
// "Weight"), or "" when it has none.
func FriendlyName(loincCode string) string { return friendlyNames[loincCode] }

// Trends builds a Series for every coded numeric measurement in obs: one per
// code and unit, points oldest first. Multi-part observations give one
// series per numeric component, so a blood pressure panel (LOINC 85354-9)
// yields the systolic (8480-6) and diastolic (8462-4) series. Observations
// without a date, without a number, or entered-in-error are skipped.
func Trends(obs []Observation) []Series {
	byKey := map[string]*Series{}
	rangeDate := map[string]Date{} // date of the point whose range a series holds
	var keys []string
	add := func(code Concept, name string, v Value, r *RefRange, o Observation) {
		n, ok := v.Number()
		if !ok {
			return
		}
		key, coding := seriesKey(code, name)
		if key == "" {
			return
		}
		unit := v.Quantity.unit()
		key += "|" + strings.ToLower(unit)
		s, ok := byKey[key]
		if !ok {
			s = &Series{Key: key, Code: coding, Name: firstNonEmpty(friendlyNames[coding.Code], name), Unit: unit}
			if coding.System != "" && !strings.EqualFold(coding.System, LOINC) {
				s.Name = name // friendly names are LOINC's
			}
			byKey[key] = s
			keys = append(keys, key)
		}
		s.Points = append(s.Points, Point{Date: o.Date(), Value: n, Unit: unit, ObservationID: o.ID})
		if r != nil && (s.Range == nil || !o.Date().Before(rangeDate[key])) {
			s.Range, rangeDate[key] = r, o.Date()
		}
	}
	for _, o := range obs {
		if o.Date().IsZero() || o.Status == "entered-in-error" || o.Status == "cancelled" {
			continue
		}
		add(o.Code, o.Name, o.Value, o.Range, o)
		for _, c := range o.Components {
			add(c.Code, c.Name, c.Value, c.Range, o)
		}
	}
	out := make([]Series, 0, len(keys))
	for _, k := range keys {
		s := byKey[k]
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
		ri, rj := rank[out[i].Name], rank[out[j].Name]
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
