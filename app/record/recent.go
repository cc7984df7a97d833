package record

import (
	"bytes"
	"time"
)

// MayBeNewSince reports whether a raw Observation may count as a result
// that is new after since. It reads the bytes only, without decoding the
// resource, so that the dashboard can pass over thousands of old results
// quickly. It answers false only when the resource gives its issued and/or
// effectiveDateTime (or effectiveInstant) once each, and every one of them
// ends before since; whatever it cannot tell for sure is kept.
func MayBeNewSince(raw []byte, since time.Time) bool {
	latest, ok := LatestOwnDate(raw)
	return !ok || !latest.Before(since)
}

// LatestOwnDate reads, without decoding, the own dates of a plain
// Observation's or DiagnosticReport's JSON (issued, effectiveDateTime,
// effectiveInstant): the
// latest end of them, and false when it has none or one that a single
// date would misstate (an effectivePeriod, contained resources, a key
// named twice, a value that does not parse). MayBeNewSince is true
// exactly when it is false or its date is not before since.
//
// Every write of a result calls it (the month of its date is kept in
// clear), so it reads the JSON once: each name it looks for starts with a
// quote, and it looks at what follows each quote.
func LatestOwnDate(raw []byte) (time.Time, bool) {
	// Where the value of each date's first name starts (0: not named).
	var at [len(ownDateKeys)]int
	for i := 0; ; i++ {
		j := bytes.IndexByte(raw[i:], '"')
		if j < 0 {
			break
		}
		i += j
		rest := raw[i:]
		if len(rest) < 2 {
			break
		}
		switch rest[1] {
		case 'c':
			if bytes.HasPrefix(rest, containedKey) {
				return time.Time{}, false
			}
		case 'e':
			if bytes.HasPrefix(rest, effectivePeriodKey) {
				return time.Time{}, false
			}
		case 'i':
		default:
			continue
		}
		for k, key := range ownDateKeys {
			if !bytes.HasPrefix(rest, key) {
				continue
			}
			switch {
			case at[k] == 0:
				at[k] = i + len(key)
			case i >= at[k]:
				return time.Time{}, false // named twice: not a plain Observation
			}
		}
	}
	var latest time.Time
	dated := false
	for _, start := range at {
		if start == 0 {
			continue
		}
		s, ok := stringValue(raw[start:])
		if !ok {
			return time.Time{}, false
		}
		d, err := ParseDate(s)
		if err != nil {
			return time.Time{}, false
		}
		if end := d.End(); !dated || end.After(latest) {
			latest = end
		}
		dated = true
	}
	return latest, dated
}

// The names LatestOwnDate looks for, quoted: those of the dates it reads,
// and those that make a single date misleading.
var (
	ownDateKeys        = [...][]byte{[]byte(`"issued"`), []byte(`"effectiveDateTime"`), []byte(`"effectiveInstant"`)}
	containedKey       = []byte(`"contained"`)
	effectivePeriodKey = []byte(`"effectivePeriod"`)
)

// stringValue reads `: "value"` at the start of b (JSON whitespace
// allowed), for values without escapes.
func stringValue(b []byte) (string, bool) {
	b = bytes.TrimLeft(b, " \t\r\n")
	if len(b) == 0 || b[0] != ':' {
		return "", false
	}
	b = bytes.TrimLeft(b[1:], " \t\r\n")
	if len(b) == 0 || b[0] != '"' {
		return "", false
	}
	end := bytes.IndexByte(b[1:], '"')
	if end < 0 || bytes.IndexByte(b[1:1+end], '\\') >= 0 {
		return "", false
	}
	return string(b[1 : 1+end]), true
}

// ResultsOfReportsSince returns the ids of the Observations grouped by the
// reports among rs issued (or, with no issue time, taken) on or after
// since, or not dated at all: results a dashboard counts as new whatever
// their own dates say. Resources of other types are ignored.
func ResultsOfReportsSince(rs []Resource, since time.Time) map[string]bool {
	ids := map[string]bool{}
	for _, r := range rs {
		if r.Type != "DiagnosticReport" {
			continue
		}
		if latest, ok := LatestOwnDate(r.JSON); ok && latest.Before(since) {
			continue // issued and effective before since: no need to decode it
		}
		rep := decodeDiagnosticReport(r, true)
		if when := firstDate(rep.Issued, rep.Date()); when.IsZero() || !when.End().Before(since) {
			for _, ref := range rep.Results {
				ids[refID(ref.Reference)] = true
			}
		}
	}
	return ids
}

// UnreportedNewResults returns the ids of the results c lists as new
// (NewResults after since) outside any report, and of the Observations
// among c's that group them (panels, through hasMember): a report missing
// from c that lists one of these would take them out of the new results.
// A dashboard that reads only the reports that may be new checks the
// others for these ids (ReportMentions) before trusting its list.
func UnreportedNewResults(c *Chart, since time.Time) map[string]bool {
	ids := map[string]bool{}
	for _, g := range NewResults(LabResults(c), since) {
		if g.Report != nil {
			continue
		}
		for _, o := range g.Results {
			ids[o.ID] = true
		}
	}
	if len(ids) == 0 {
		return ids
	}
	parents := map[string][]string{}
	for _, o := range c.Observations {
		for _, m := range o.Members {
			id := refID(m.Reference)
			parents[id] = append(parents[id], o.ID)
		}
	}
	queue := make([]string, 0, len(ids))
	for id := range ids {
		queue = append(queue, id)
	}
	for len(queue) > 0 {
		id := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		for _, p := range parents[id] {
			if !ids[p] {
				ids[p] = true
				queue = append(queue, p)
			}
		}
	}
	return ids
}

// ReportMentions reports whether the raw resource may refer to one of the
// ids: false only when none of them appears in its bytes. It is a cheap
// test, meant to pass over reports that cannot list any of them.
func ReportMentions(raw []byte, ids map[string]bool) bool {
	for id := range ids {
		if bytes.Contains(raw, []byte(id)) {
			return true
		}
	}
	return false
}
