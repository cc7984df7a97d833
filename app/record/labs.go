package record

import (
	"sort"
	"time"

	"github.com/carebook/carebook/internal/i18n"
)

// LabGroup is a set of results shown together: the Observations of one
// DiagnosticReport (a panel), or the standalone laboratory results of one
// day that no report groups.
type LabGroup struct {
	Report *DiagnosticReport // nil for a day of standalone results
	Title  string            // the panel name, or "Lab results" for a day of standalone ones
	Date   Date
	Issued Date // when the report was issued (zero when unknown)
	// Results point into the chart's Observations (a long record's
	// results copied into their groups would be a second copy of most of
	// it): read them, never change them.
	Results []*Observation
	// Abnormal counts the results (or their components) flagged abnormal.
	Abnormal int
}

// LabResults groups c's results for the results screen, newest first:
// every DiagnosticReport with the Observations it lists (members of panel
// Observations included), then the laboratory Observations that no report
// lists, one group per day. Records marked entered-in-error are left out.
func LabResults(c *Chart) []LabGroup {
	byID := make(map[string]int, len(c.Observations))
	for i, o := range c.Observations {
		byID[o.ID] = i
	}
	used := make([]bool, len(c.Observations))
	var groups []LabGroup
	for i := range c.Reports {
		rep := &c.Reports[i]
		if rep.Status == "entered-in-error" {
			continue
		}
		g := LabGroup{Report: rep, Title: rep.Name, Date: rep.Date(), Issued: rep.Issued}
		for _, ref := range rep.Results {
			g.Results = appendResult(g.Results, c.Observations, byID, used, refID(ref.Reference), 0)
		}
		groups = append(groups, finishGroup(g))
	}
	byDay := map[string]*LabGroup{}
	var days []string
	for i := range c.Observations {
		o := &c.Observations[i]
		if used[i] || o.Status == "entered-in-error" || !o.HasCategory("laboratory") {
			continue
		}
		day := o.Date().Time.Format(time.DateOnly)
		if o.Date().IsZero() {
			day = "undated"
		}
		g, ok := byDay[day]
		if !ok {
			d := o.Date()
			if d.Precision > PrecisionDay {
				d.Precision = PrecisionDay
			}
			g = &LabGroup{Title: i18n.L("Lab results"), Date: d}
			byDay[day] = g
			days = append(days, day)
		}
		g.Results = append(g.Results, o)
		if o.Issued.After(g.Issued) {
			g.Issued = o.Issued
		}
		used[i] = true
	}
	for _, day := range days {
		groups = append(groups, finishGroup(*byDay[day]))
	}
	sort.SliceStable(groups, func(i, j int) bool { return groups[i].Date.After(groups[j].Date) })
	return groups
}

// appendResult adds the Observation with id (and, for a panel, its members)
// to results. depth stops reference cycles in malformed data.
func appendResult(results []*Observation, all []Observation, byID map[string]int, used []bool, id string, depth int) []*Observation {
	i, ok := byID[id]
	if !ok || depth > 4 {
		return results
	}
	o := &all[i]
	used[i] = true
	if o.Status == "entered-in-error" {
		return results
	}
	if o.Value.Kind != ValueNone || len(o.Components) > 0 || len(o.Members) == 0 {
		results = append(results, o)
	}
	for _, m := range o.Members {
		results = appendResult(results, all, byID, used, refID(m.Reference), depth+1)
	}
	return results
}

func finishGroup(g LabGroup) LabGroup {
	for _, o := range g.Results {
		if o.Flag.Abnormal {
			g.Abnormal++
			continue
		}
		for _, c := range o.Components {
			if c.Flag.Abnormal {
				g.Abnormal++
				break
			}
		}
	}
	return g
}

// Abnormal reports whether o or one of its components is flagged abnormal.
func (o Observation) Abnormal() bool {
	if o.Flag.Abnormal {
		return true
	}
	for _, c := range o.Components {
		if c.Flag.Abnormal {
			return true
		}
	}
	return false
}

// Key names the group for what the patient has seen: the report's
// "DiagnosticReport/id", or "Observation-day/YYYY-MM-DD" for a day of
// results no report lists.
func (g LabGroup) Key() string {
	if g.Report != nil {
		return g.Report.Key()
	}
	return "Observation-day/" + g.Date.Time.UTC().Format("2006-01-02")
}

// NotReviewedNote is what a result released before the practice reviewed it
// says, until the practice marks it reviewed or comments.
func NotReviewedNote() string { return i18n.L("Your doctor may not have reviewed this result yet.") }

// releasedStatus reports whether a result or report status says the
// result was released before it was final: "preliminary" (US practices
// release results at once, before the clinician has seen them) or
// "partial" (a report still waiting for some of its results).
func releasedStatus(status string) bool {
	return status == "preliminary" || status == "partial"
}

// Reviewed reports whether the practice has reviewed o, by the rule that
// works with any FHIR R4 server (R4 has no "reviewed" element): a result
// released before review has status "preliminary" (or "partial"); the
// practice marks it reviewed by making it "final" (or "amended",
// "corrected"), or comments on it with a note. Other statuses
// (registered, cancelled, …) are not a released result and count as
// reviewed: there is nothing to warn about.
func (o Observation) Reviewed() bool {
	return !releasedStatus(o.Status) || len(o.Notes) > 0
}

// Reviewed reports whether the practice has reviewed the report: it is
// not preliminary or partial, or it carries the practice's conclusion.
func (r DiagnosticReport) Reviewed() bool {
	return !releasedStatus(r.Status) || r.Conclusion != "" || len(r.Codes) > 0
}

// Reviewed reports whether the practice has reviewed every result of g:
// a report's conclusion covers all of its results; otherwise the report
// (when there is one) and each result must be reviewed on its own terms.
func (g LabGroup) Reviewed() bool {
	if g.Report != nil {
		if g.Report.Conclusion != "" || len(g.Report.Codes) > 0 {
			return true
		}
		if !g.Report.Reviewed() {
			return false
		}
	}
	for _, o := range g.Results {
		if !o.Reviewed() {
			return false
		}
	}
	return true
}
