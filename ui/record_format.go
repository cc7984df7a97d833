package ui

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/carebook/carebook/app/record"
	"github.com/carebook/carebook/app/record/plainnames"

	"fyne.io/fyne/v2/lang"
)

// partialNote is what an entry marked Incomplete says about itself, in the
// list and in its details, instead of disappearing.
func partialNote() string { return lang.L("Part of this entry could not be read") }

// partialDetailText is what an Incomplete entry says about itself where it
// is read in full (its details, a message in its conversation).
func partialDetailText() string {
	return lang.L("Part of this entry could not be read. The practice's record may say more.")
}

// dayText formats d for people at its own precision, but never finer than
// a day ("2019", "Mar 2019", "12 Mar 2024"). A zero date is "".
func dayText(d record.Date) string {
	d = local(d)
	if d.Precision > record.PrecisionDay {
		d.Precision = record.PrecisionDay
	}
	return d.String()
}

// local moves a point in time (a dateTime with its zone) to this device's
// time zone, so that every screen gives the same clock time for it; dates
// without a time of day stay as written.
func local(d record.Date) record.Date {
	if d.Precision == record.PrecisionTime {
		d.Time = d.Time.Local()
	}
	return d
}

// periodText formats a period as "12 Mar 2024 – 15 Mar 2024", or one date
// when both ends fall on the same day or one end is missing.
func periodText(p record.Period) string {
	start, end := dayText(p.Start), dayText(p.End)
	switch {
	case start == "":
		return end
	case end == "" || end == start:
		return start
	}
	return start + " – " + end
}

// timeText is when a point in time happened: the day, with the time of day
// when the record gives one.
func timeText(d record.Date) string { return local(d).String() }

// numberText formats a measured number as people read it: exact when it
// has at most two decimals (5.45, 120), otherwise rounded to the precision
// a lab would print (114.7668… → "114.8", 5.3861 → "5.39", 0.012345 →
// "0.0123").
//
// The digits and separators follow the device's locale (appLocale):
// "1,234.5" in en-US, "1.234,5" in de-DE.
func numberText(v float64) string {
	s := strconv.FormatFloat(v, 'f', -1, 64)
	decimals := 0
	if dot := strings.IndexByte(s, '.'); dot >= 0 {
		decimals = len(s) - dot - 1
		if decimals > 2 {
			switch a := math.Abs(v); {
			case a >= 10:
				decimals = 1
			case a >= 1:
				decimals = 2
			default:
				decimals = record.SignificantDecimals(v, 3)
			}
		}
	}
	return appLocale().Number(v, decimals)
}

// unitText turns the UCUM units labs send into what people read, from
// app/record/plainnames' units.tsv: "mm[Hg]" → "mmHg", "10*3/uL" →
// "thousand per µL", "{score}" → "".
func unitText(u string) string {
	p, _ := plainnames.Unit(u)
	return p
}

// quantityText formats a quantity with a readable unit: "< 5.4 mg/dL".
// A body weight, height or temperature is given in the units of the
// device's locale ("176.4 lb" for 80 kg in en-US); originalText keeps the
// value as the practice recorded it.
func quantityText(q record.Quantity) string {
	if !q.HasValue {
		return ""
	}
	if m, ok := appLocale().BodyMeasure(q.Value, firstText(q.Code, q.Unit)); ok && q.Comparator == "" {
		return m.Text
	}
	return plainQuantityText(q)
}

// originalText is a quantity as the practice recorded it, when
// quantityText converted it for the locale ("80 kg" shown as "176.4 lb"),
// else "".
func originalText(v record.Value) string {
	q := v.Quantity
	if v.Kind != record.ValueQuantity || !q.HasValue || q.Comparator != "" {
		return ""
	}
	if m, ok := appLocale().BodyMeasure(q.Value, firstText(q.Code, q.Unit)); ok && m.Converted {
		return plainQuantityText(q)
	}
	return ""
}

// plainQuantityText formats a quantity in the unit it was recorded in.
func plainQuantityText(q record.Quantity) string {
	s := numberText(q.Value)
	if q.Comparator != "" {
		s = q.Comparator + " " + s
	}
	if u := unitText(firstText(q.Unit, q.Code)); u != "" {
		s += " " + u
	}
	return s
}

// valueText formats an observed value for display.
func valueText(v record.Value) string {
	if v.Kind == record.ValueQuantity {
		return quantityText(v.Quantity)
	}
	return v.Text
}

// rangeText formats a reference range with readable units.
func rangeText(r *record.RefRange) string {
	if r == nil {
		return ""
	}
	low, high := quantityText(r.Low), quantityText(r.High)
	switch {
	case r.Low.HasValue && r.High.HasValue:
		unit := unitText(firstText(r.High.Unit, r.High.Code))
		s := numberText(r.Low.Value) + "–" + numberText(r.High.Value)
		if unit != "" {
			s += " " + unit
		}
		return s
	case r.High.HasValue:
		return lang.L("up to {{.Value}}", map[string]any{"Value": high})
	case r.Low.HasValue:
		return lang.L("{{.Value}} or more", map[string]any{"Value": low})
	}
	return r.Text
}

// flagText says in words what a result's flag means, so abnormal results
// are marked by text and not by colour alone. It is "" for a normal or
// unflagged result.
func flagText(f record.Flag) string {
	if !f.Abnormal {
		return ""
	}
	var s string
	switch strings.ToUpper(f.Code) {
	case "H", ">":
		s = lang.L("High")
	case "L", "<":
		s = lang.L("Low")
	case "HH", "HU":
		s = lang.L("Critically high")
	case "LL", "LU":
		s = lang.L("Critically low")
	case "AA":
		s = lang.L("Critically abnormal")
	case "POS":
		s = lang.L("Positive")
	case "DET":
		s = lang.L("Detected")
	case "R":
		s = lang.L("Resistant")
	default:
		s = firstText(f.Text, lang.L("Abnormal"))
	}
	if f.Source == record.FlagComputed {
		s = lang.L("{{.Flag}} (outside the normal range)", map[string]any{"Flag": s})
	}
	return s
}

// statusText turns a lower-cased FHIR status code into words
// ("in-progress" → "In progress"), in the current language for the usual
// codes. It is "" for "".
func statusText(code string) string {
	switch code {
	case "":
		return ""
	case "active":
		return lang.L("Active")
	case "inactive":
		return lang.L("Inactive")
	case "completed":
		return lang.L("Completed")
	case "stopped":
		return lang.L("Stopped")
	case "on-hold":
		return lang.L("On hold")
	case "cancelled":
		return lang.L("Cancelled")
	case "entered-in-error":
		return lang.L("Entered in error")
	case "draft":
		return lang.L("Draft")
	case "unknown":
		return lang.L("Unknown")
	case "final":
		return lang.L("Final")
	case "preliminary":
		return lang.L("Preliminary")
	case "partial":
		return lang.L("Partial")
	case "amended":
		return lang.L("Amended")
	case "corrected":
		return lang.L("Corrected")
	case "registered":
		return lang.L("Registered")
	case "in-progress":
		return lang.L("In progress")
	case "finished":
		return lang.L("Finished")
	case "planned":
		return lang.L("Planned")
	case "arrived":
		return lang.L("Arrived")
	case "booked":
		return lang.L("Booked")
	case "fulfilled":
		return lang.L("Fulfilled")
	case "noshow":
		return lang.L("Missed")
	case "proposed":
		return lang.L("Proposed")
	case "pending":
		return lang.L("Pending")
	case "resolved":
		return lang.L("Resolved")
	case "remission":
		return lang.L("Remission")
	case "recurrence":
		return lang.L("Recurrence")
	case "relapse":
		return lang.L("Relapse")
	case "not-done":
		return lang.L("Not done")
	case "accepted":
		return lang.L("Accepted")
	case "rejected":
		return lang.L("Rejected")
	case "revoked":
		return lang.L("Revoked")
	case "issued":
		return lang.L("Issued")
	case "achieved":
		return lang.L("Achieved")
	case "not-achieved":
		return lang.L("Not achieved")
	case "improving":
		return lang.L("Improving")
	case "worsening":
		return lang.L("Worsening")
	case "no-change":
		return lang.L("No change")
	case "sustaining":
		return lang.L("Sustaining")
	case "ongoing":
		return lang.L("Ongoing")
	case "current":
		return lang.L("Current")
	case "superseded":
		return lang.L("Superseded")
	case "confirmed":
		return lang.L("Confirmed")
	case "unconfirmed":
		return lang.L("Unconfirmed")
	case "provisional":
		return lang.L("Provisional")
	case "refuted":
		return lang.L("Refuted")
	case "allergy":
		return lang.L("Allergy")
	case "intolerance":
		return lang.L("Intolerance")
	case "food":
		return lang.L("Food")
	case "medication":
		return lang.L("Medication")
	case "environment":
		return lang.L("Environment")
	case "biologic":
		return lang.L("Biologic")
	case "mild":
		return lang.L("Mild")
	case "moderate":
		return lang.L("Moderate")
	case "severe":
		return lang.L("Severe")
	}
	s := strings.ReplaceAll(code, "-", " ")
	return strings.ToUpper(s[:1]) + s[1:]
}

// headline is what a list row shows of a long text (a goal written as a
// paragraph): up to its first colon, semicolon or full stop when the text
// would not fit two lines of a phone's list; its page gives all of it.
func headline(s string) string {
	s = strings.TrimSpace(s)
	if len([]rune(s)) <= 70 {
		return s
	}
	for _, sep := range []string{": ", "; ", ". "} {
		if i := strings.Index(s, sep); i >= 10 {
			return s[:i]
		}
	}
	return s
}

// joinNonEmpty joins the non-empty parts with sep.
func joinNonEmpty(sep string, parts ...string) string {
	kept := parts[:0:0]
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, sep)
}

// firstText returns the first non-blank string, trimmed.
func firstText(ss ...string) string {
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return ""
}

// plural formats a count with its noun: "1 result", "3 results".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// refName is the display name of a reference, or "" when the chart cannot
// tell.
func refName(c *record.Chart, r record.Ref) string {
	if r.IsZero() {
		return ""
	}
	return strings.TrimSpace(c.Name(r))
}

// refNames lists the display names of refs that have one.
func refNames(c *record.Chart, refs []record.Ref) string {
	names := make([]string, 0, len(refs))
	for _, r := range refs {
		names = append(names, refName(c, r))
	}
	return joinNonEmpty(", ", names...)
}

// sameDay reports whether t falls on the day that starts at day (both in
// day's location).
func sameDay(day, t time.Time) bool {
	y1, m1, d1 := day.Date()
	y2, m2, d2 := t.In(day.Location()).Date()
	return y1 == y2 && m1 == m2 && d1 == d2
}
