package record

import (
	"fmt"
	"strings"
	"time"

	"github.com/carebook/carebook/app/locfmt"
)

// Precision says how much of a FHIR date was given: "2019" is a year,
// "2019-03" a month, "2019-03-04" a day, and a dateTime or instant carries a
// time of day.
type Precision uint8

// The precisions of a Date, from none (no date) to a time of day.
const (
	PrecisionNone Precision = iota
	PrecisionYear
	PrecisionMonth
	PrecisionDay
	PrecisionTime
)

// Date is a FHIR date, dateTime or instant with the precision it was given
// in. Time is the start of the period the date names (1 January for a bare
// year), in UTC when the source had no time zone.
type Date struct {
	Time      time.Time
	Precision Precision
}

// ParseDate reads a FHIR date, dateTime or instant tolerantly: partial dates
// ("2019", "2019-03"), a time without seconds or without a zone (read as UTC),
// fractional seconds of any length, and a space instead of the "T".
func ParseDate(s string) (Date, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Date{}, fmt.Errorf("parse date: empty")
	}
	switch len(s) {
	case 4:
		t, err := time.Parse("2006", s)
		if err != nil {
			return Date{}, fmt.Errorf("parse date: not a year")
		}
		return Date{Time: t, Precision: PrecisionYear}, nil
	case 7:
		t, err := time.Parse("2006-01", s)
		if err != nil {
			return Date{}, fmt.Errorf("parse date: not a year and month")
		}
		return Date{Time: t, Precision: PrecisionMonth}, nil
	case 10:
		t, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return Date{}, fmt.Errorf("parse date: not a calendar date")
		}
		return Date{Time: t, Precision: PrecisionDay}, nil
	}
	if len(s) > 10 && (s[10] == ' ' || s[10] == 't') {
		s = s[:10] + "T" + s[11:]
	}
	s = strings.Replace(s, "z", "Z", 1)
	// Layouts with a zone first; the fractional seconds are optional in
	// time.Parse when the layout has none and the input has some.
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return Date{Time: t, Precision: PrecisionTime}, nil
		}
	}
	for _, layout := range []string{"2006-01-02T15:04:05.999999999", "2006-01-02T15:04"} {
		if t, err := time.Parse(layout, s); err == nil {
			return Date{Time: t, Precision: PrecisionTime}, nil
		}
	}
	return Date{}, fmt.Errorf("parse date: unrecognised format")
}

// IsZero reports whether d holds no date.
func (d Date) IsZero() bool { return d.Precision == PrecisionNone }

// String formats d at its own precision in the current locale
// (locfmt.Current): "2019", "Mar 2019", "Mar 4, 2019", or "Mar 4, 2019,
// 10:30 AM" in en-US (in the zone the source gave). A zero Date is "".
func (d Date) String() string { return d.Format(locfmt.Current()) }

// Format formats d at its own precision in locale l.
func (d Date) Format(l locfmt.Locale) string {
	switch d.Precision {
	case PrecisionYear:
		return l.Year(d.Time)
	case PrecisionMonth:
		return l.MonthYear(d.Time)
	case PrecisionDay:
		return l.Date(d.Time)
	case PrecisionTime:
		return l.DateTime(d.Time)
	}
	return ""
}

// Before reports whether d is earlier than e. A zero Date is earlier than any
// other, so undated items sort first in ascending order and last when newest
// comes first.
func (d Date) Before(e Date) bool {
	if d.IsZero() || e.IsZero() {
		return d.IsZero() && !e.IsZero()
	}
	return d.Time.Before(e.Time)
}

// After reports whether d is later than e (see Before for zero Dates).
func (d Date) After(e Date) bool { return e.Before(d) }

// End is the last instant of the period d names: the end of the year for
// "2019", of the day for "2019-03-04", and Time itself for a dateTime.
func (d Date) End() time.Time {
	switch d.Precision {
	case PrecisionYear:
		return d.Time.AddDate(1, 0, 0).Add(-time.Nanosecond)
	case PrecisionMonth:
		return d.Time.AddDate(0, 1, 0).Add(-time.Nanosecond)
	case PrecisionDay:
		return d.Time.AddDate(0, 0, 1).Add(-time.Nanosecond)
	}
	return d.Time
}

// In returns d with its time of day shown in loc (for example time.Local).
// Dates without a time of day are left alone: "4 Mar 2019" is the same
// calendar day everywhere.
func (d Date) In(loc *time.Location) Date {
	if d.Precision == PrecisionTime {
		d.Time = d.Time.In(loc)
	}
	return d
}

// firstDate returns the first non-zero date of ds.
func firstDate(ds ...Date) Date {
	for _, d := range ds {
		if !d.IsZero() {
			return d
		}
	}
	return Date{}
}
