package locfmt

import (
	"errors"
	"strings"
	"time"
)

// ErrDateEntry is a typed date that is neither in the locale's numeric
// form (DateEntry) nor year-month-day.
var ErrDateEntry = errors.New("locfmt: not a date")

// dateEntryLayout is the locale's numeric date as a time layout:
// month/day/year in the US style, day.month.year in German, day/month/year
// elsewhere.
func (l Locale) dateEntryLayout() string {
	switch {
	case l.usStyle():
		return "01/02/2006"
	case l.norm().lang == "de":
		return "02.01.2006"
	}
	return "02/01/2006"
}

// DateEntry writes a day as a person types it in a date field:
// "03/15/2026" (en-US), "15/03/2026" (en-GB, es), "15.03.2026" (de).
func (l Locale) DateEntry(t time.Time) string { return t.Format(l.dateEntryLayout()) }

// DateEntryPattern is the form DateEntry writes, for a field's hint:
// "MM/DD/YYYY", "DD/MM/YYYY", "DD/MM/AAAA" (es), "TT.MM.JJJJ" (de).
func (l Locale) DateEntryPattern() string {
	day, month, year := "DD", "MM", "YYYY"
	switch l.norm().lang {
	case "es":
		year = "AAAA"
	case "de":
		day, year = "TT", "JJJJ"
	}
	switch {
	case l.usStyle():
		return month + "/" + day + "/" + year
	case l.norm().lang == "de":
		return day + "." + month + "." + year
	}
	return day + "/" + month + "/" + year
}

// ParseDateEntry reads a day typed in a date field, in loc: the locale's
// numeric form (DateEntry; one-digit days and months, and "-", "/" or "."
// between the parts, are accepted), or year-month-day ("2026-03-15"),
// which every locale reads the same way.
func (l Locale) ParseDateEntry(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.ParseInLocation(time.DateOnly, s, loc); err == nil {
		return t, nil
	}
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == '/' || r == '.' || r == '-' })
	if len(parts) != 3 || len(parts[2]) != 4 {
		return time.Time{}, ErrDateEntry
	}
	day, month := parts[0], parts[1]
	if l.usStyle() {
		day, month = month, day
	}
	t, err := time.ParseInLocation("2/1/2006", day+"/"+month+"/"+parts[2], loc)
	if err != nil {
		return time.Time{}, ErrDateEntry
	}
	return t, nil
}
