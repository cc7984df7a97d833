package store

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// indexRow is one extracted search parameter value.
type indexRow struct {
	name   string
	sys    string
	val    string
	lo, hi int64 // date range [lo, hi) in µs; only for dates
}

// Open-ended date ranges use these bounds.
const (
	minTime = math.MinInt64 / 2
	maxTime = math.MaxInt64 / 2
)

// extract returns the search index rows of resource m of type typ.
func extract(typ string, m map[string]any) []indexRow {
	var rows []indexRow
	add := func(name string, d paramDef) {
		for _, p := range d.Paths {
			for _, v := range pathValues(m, p) {
				rows = append(rows, valueRows(name, d, v)...)
			}
		}
	}
	for name, d := range typeParams[typ] {
		add(name, d)
	}
	for name, d := range commonParams {
		if _, overridden := typeParams[typ][name]; !overridden {
			add(name, d)
		}
	}
	// Shared practice resources referred to from anywhere in the resource,
	// for Patient/$everything. The name cannot be a search parameter.
	for _, ref := range References(m) {
		t, id, _ := strings.Cut(ref, "/")
		if SharedType(t) {
			rows = append(rows, indexRow{name: sharedRefsParam, sys: t, val: id})
		}
	}
	return rows
}

// sharedRefsParam indexes references to shared resources.
const sharedRefsParam = "_shared"

// valueRows turns one element value into index rows for parameter name.
func valueRows(name string, d paramDef, v any) []indexRow {
	switch d.Kind {
	case KindToken:
		var rows []indexRow
		for _, t := range tokens(v) {
			rows = append(rows, indexRow{name: name, sys: t[0], val: t[1]})
		}
		return rows
	case KindReference:
		obj, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		r, _ := obj["reference"].(string)
		typ, id, ok := splitRef(r)
		if !ok || (d.Target != "" && typ != d.Target) {
			return nil
		}
		return []indexRow{{name: name, sys: typ, val: id}}
	case KindDate:
		lo, hi, ok := dateValue(v)
		if !ok {
			return nil
		}
		return []indexRow{{name: name, lo: lo, hi: hi}}
	}
	return nil
}

// tokens returns the (system, code) pairs of a code, boolean, Coding,
// CodeableConcept or Identifier value.
func tokens(v any) [][2]string {
	switch x := v.(type) {
	case string:
		return [][2]string{{"", x}}
	case bool:
		return [][2]string{{"", strconv.FormatBool(x)}}
	case map[string]any:
		sys, _ := x["system"].(string)
		if codings, ok := x["coding"].([]any); ok {
			var out [][2]string
			for _, c := range codings {
				out = append(out, tokens(c)...)
			}
			return out
		}
		if code, ok := x["code"].(string); ok {
			return [][2]string{{sys, code}}
		}
		if val, ok := x["value"].(string); ok {
			return [][2]string{{sys, val}}
		}
	}
	return nil
}

// dateValue returns the range covered by a date, dateTime, instant or Period.
func dateValue(v any) (lo, hi int64, ok bool) {
	switch x := v.(type) {
	case string:
		return ParseDateRange(x)
	case map[string]any:
		lo, hi = minTime, maxTime
		s, hasStart := x["start"].(string)
		e, hasEnd := x["end"].(string)
		if !hasStart && !hasEnd {
			return 0, 0, false
		}
		if hasStart {
			l, _, ok := ParseDateRange(s)
			if !ok {
				return 0, 0, false
			}
			lo = l
		}
		if hasEnd {
			_, h, ok := ParseDateRange(e)
			if !ok {
				return 0, 0, false
			}
			hi = h
		}
		return lo, hi, true
	}
	return 0, 0, false
}

// pathValues returns the values at a dot-separated path in m, walking
// through arrays at every step.
func pathValues(m map[string]any, path string) []any {
	cur := []any{m}
	for _, step := range strings.Split(path, ".") {
		var next []any
		for _, c := range cur {
			obj, ok := c.(map[string]any)
			if !ok {
				continue
			}
			switch v := obj[step].(type) {
			case nil:
			case []any:
				next = append(next, v...)
			default:
				next = append(next, v)
			}
		}
		cur = next
	}
	return cur
}

// compartment returns the ids of the patients whose compartment resource m
// (of type typ, id id) belongs to.
func compartment(typ, id string, m map[string]any) []string {
	var out []string
	seen := map[string]bool{}
	if typ == "Patient" {
		out = append(out, id)
		seen[id] = true
	}
	for _, p := range compartmentPaths {
		for _, v := range pathValues(m, p) {
			obj, ok := v.(map[string]any)
			if !ok {
				continue
			}
			r, _ := obj["reference"].(string)
			if t, pid, ok := splitRef(r); ok && t == "Patient" && !seen[pid] {
				seen[pid] = true
				out = append(out, pid)
			}
		}
	}
	return out
}

// ParseDateRange parses a FHIR date, dateTime or instant (any precision from
// the year to fractions of a second; no time zone means UTC) and returns the
// range [lo, hi) it covers, in µs since the Unix epoch.
func ParseDateRange(s string) (lo, hi int64, ok bool) {
	if len(s) < 4 || len(s) > 40 {
		return 0, 0, false
	}
	var (
		t    time.Time
		err  error
		next func(time.Time) time.Time
	)
	switch {
	case len(s) == 4:
		t, err = time.Parse("2006", s)
		next = func(t time.Time) time.Time { return t.AddDate(1, 0, 0) }
	case len(s) == 7:
		t, err = time.Parse("2006-01", s)
		next = func(t time.Time) time.Time { return t.AddDate(0, 1, 0) }
	case len(s) == 10:
		t, err = time.Parse("2006-01-02", s)
		next = func(t time.Time) time.Time { return t.AddDate(0, 0, 1) }
	default:
		t, next, err = parseDateTime(s)
	}
	if err != nil || t.Year() < 1 || t.Year() > 9999 {
		return 0, 0, false
	}
	return t.UnixMicro(), next(t).UnixMicro(), true
}

// parseDateTime parses "YYYY-MM-DDThh:mm[:ss[.f+]][Z|±hh:mm]".
func parseDateTime(s string) (time.Time, func(time.Time) time.Time, error) {
	date, clock, found := strings.Cut(s, "T")
	if !found || len(date) != 10 {
		return time.Time{}, nil, fmt.Errorf("not a dateTime")
	}
	zone := ""
	if i := strings.IndexAny(clock, "Z+-"); i >= 0 {
		clock, zone = clock[:i], clock[i:]
	}
	if zone == "" {
		zone = "Z"
	}
	var step time.Duration
	layout := "2006-01-02T15:04"
	switch {
	case len(clock) == 5:
		step = time.Minute
	case len(clock) == 8:
		layout += ":05"
		step = time.Second
	case len(clock) > 9 && clock[8] == '.':
		digits := len(clock) - 9
		layout += ":05." + strings.Repeat("0", digits)
		step = time.Microsecond
		if digits < 6 {
			step = time.Duration(math.Pow10(6-digits)) * time.Microsecond
		}
	default:
		return time.Time{}, nil, fmt.Errorf("not a dateTime")
	}
	t, err := time.Parse(layout+"Z07:00", date+"T"+clock+zone)
	if err != nil {
		return time.Time{}, nil, err
	}
	return t, func(t time.Time) time.Time { return t.Add(step) }, nil
}

// Compartment returns the ids of the patients whose compartment the
// resource m (of type typ, with id id) belongs to.
func Compartment(typ, id string, m map[string]any) []string { return compartment(typ, id, m) }
