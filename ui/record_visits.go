package ui

import (
	"sort"
	"strings"
	"time"

	"github.com/carebook/carebook/app/record"
)

// visitsSection lists visits newest first, each with the documents
// (clinical summaries, discharge letters) and procedures of that visit;
// documents that belong to no visit follow under their own heading.
// Any goroutine.
func visitsSection(c *record.Chart) sectionModel {
	var encs []record.Encounter
	for _, e := range c.Encounters {
		if e.Status != "entered-in-error" {
			encs = append(encs, e)
		}
	}
	sort.SliceStable(encs, func(i, j int) bool { return encs[i].Period.Start.After(encs[j].Period.Start) })

	m := newVisitMatcher(encs)
	docsOf := make([][]record.DocumentReference, len(encs))
	procsOf := make([][]record.Procedure, len(encs))
	var loose []record.DocumentReference
	for _, d := range c.Documents {
		if d.Status == "entered-in-error" {
			continue
		}
		if i, ok := m.match(d.Date); ok {
			docsOf[i] = append(docsOf[i], d)
		} else {
			loose = append(loose, d)
		}
	}
	for _, p := range c.Procedures {
		if i, ok := m.match(p.Performed); ok && p.Status != "entered-in-error" {
			procsOf[i] = append(procsOf[i], p)
		}
	}
	sort.SliceStable(loose, func(i, j int) bool { return loose[i].Date.After(loose[j].Date) })
	obsOf := make([][]record.Observation, len(encs))
	encIndex := make(map[string]int, len(encs))
	for i, e := range encs {
		encIndex[e.ID] = i
	}
	for _, o := range c.Observations {
		if i, ok := encIndex[refTail(o.Encounter.Reference)]; ok && o.Status != "entered-in-error" && o.Encounter.Reference != "" {
			obsOf[i] = append(obsOf[i], o)
		}
	}

	items := make([]listItem, 0, len(encs)+len(loose)+1)
	for i, e := range encs {
		it := listItem{title: visitName(e), detail: joinNonEmpty(" · ", dayText(e.Period.Start), refName(c, e.Provider)), partial: e.Incomplete, key: e.Key()}
		if n := len(docsOf[i]); n > 0 {
			it.detail = joinNonEmpty(" · ", it.detail, plural(n, "document", "documents"))
		}
		items = append(items, it)
	}
	firstLoose := len(items) + 1
	if len(loose) > 0 {
		items = append(items, listItem{header: true, title: "Other documents"})
		for _, d := range loose {
			items = append(items, listItem{title: docTitle(d), detail: dayText(d.Date), partial: d.Incomplete, key: d.Key()})
		}
	}
	return sectionModel{
		items: items,
		empty: "No visits on record at this practice.",
		detail: func(i int) detailModel {
			if i < len(encs) {
				return visitDetail(c, encs[i], docsOf[i], procsOf[i], obsOf[i])
			}
			return documentDetail(c, loose[i-firstLoose])
		},
	}
}

// visitMatcher finds the visit a dated document or procedure belongs to:
// the visit whose period holds the date, else one that began that day.
type visitMatcher struct {
	encs  []record.Encounter
	byDay map[string][]int
}

func newVisitMatcher(encs []record.Encounter) *visitMatcher {
	m := &visitMatcher{encs: encs, byDay: map[string][]int{}}
	for i, e := range encs {
		if e.Period.Start.IsZero() {
			continue
		}
		for day := e.Period.Start.Time.UTC(); ; day = day.AddDate(0, 0, 1) {
			key := day.Format(time.DateOnly)
			m.byDay[key] = append(m.byDay[key], i)
			// Long stays are indexed on each day, up to a month.
			if e.Period.End.IsZero() || !day.AddDate(0, 0, 1).Before(e.Period.End.End().UTC()) || day.Sub(e.Period.Start.Time) > 31*24*time.Hour {
				break
			}
		}
	}
	return m
}

func (m *visitMatcher) match(d record.Date) (int, bool) {
	if d.IsZero() || d.Precision < record.PrecisionDay {
		return 0, false
	}
	candidates := m.byDay[d.Time.UTC().Format(time.DateOnly)]
	for _, i := range candidates {
		p := m.encs[i].Period
		if !d.Time.Before(p.Start.Time) && (p.End.IsZero() || !d.Time.After(p.End.End())) {
			return i, true
		}
	}
	if len(candidates) > 0 {
		return candidates[0], true
	}
	return 0, false
}

func visitName(e record.Encounter) string {
	switch {
	case e.Type != "":
		return e.Type
	case e.Class != "":
		return e.Class + " visit"
	}
	return "Visit"
}

func docTitle(d record.DocumentReference) string {
	return firstText(d.Title, d.Type, "Document")
}

// refTail is the id a reference ends with: "Encounter/123" → "123",
// "urn:uuid:abc" → "abc".
func refTail(ref string) string {
	if id, ok := strings.CutPrefix(ref, "urn:uuid:"); ok {
		return id
	}
	if i := strings.Index(ref, "/_history/"); i >= 0 {
		ref = ref[:i]
	}
	return ref[strings.LastIndexByte(ref, '/')+1:]
}

// componentsText formats a multi-part value: a blood pressure as
// "125.8/82.3 mmHg" (systolic first, whatever order the lab sent), other
// parts one after the other.
func componentsText(comps []record.Component) string {
	var sys, dia *record.Component
	for i := range comps {
		switch {
		case comps[i].Code.Has(record.LOINC, record.LOINCSystolic):
			sys = &comps[i]
		case comps[i].Code.Has(record.LOINC, record.LOINCDiastolic):
			dia = &comps[i]
		}
	}
	if sys != nil && dia != nil && sys.Value.Kind == record.ValueQuantity && dia.Value.Kind == record.ValueQuantity {
		return joinNonEmpty(" ", numberText(sys.Value.Quantity.Value)+"/"+numberText(dia.Value.Quantity.Value),
			unitText(firstText(sys.Value.Quantity.Unit, sys.Value.Quantity.Code)))
	}
	parts := make([]string, 0, len(comps))
	for _, c := range comps {
		parts = append(parts, joinNonEmpty(" ", c.Name, valueText(c.Value)))
	}
	return strings.Join(parts, ", ")
}

// maxVisitMeasurements caps what a visit's details list of its
// measurements; the Results and Trends sections hold them all.
const maxVisitMeasurements = 40

func visitDetail(c *record.Chart, e record.Encounter, docs []record.DocumentReference, procs []record.Procedure, obs []record.Observation) detailModel {
	d := detailModel{title: visitName(e), partial: e.Incomplete}
	d.subtitle = timeText(e.Period.Start)
	if !e.Period.End.IsZero() && !sameDay(e.Period.Start.Time, e.Period.End.Time) {
		d.subtitle = periodText(e.Period)
	}
	d.addField("Kind of visit", e.Class)
	if e.Status != "" && e.Status != "finished" {
		d.addField("Status", statusText(e.Status))
	}
	d.addField("Reason", strings.Join(e.Reasons, ", "))
	d.addField("Seen by", refNames(c, e.Participants))
	d.addField("Where", joinNonEmpty(", ", refNames(c, e.Locations), refName(c, e.Provider)))
	for _, p := range procs {
		d.addField("Procedure", firstText(p.Name, p.Code.String()))
	}
	var measured []string
	for _, o := range obs {
		v := valueText(o.Value)
		if len(o.Components) > 0 {
			v = componentsText(o.Components)
		}
		if v == "" {
			continue
		}
		line := firstText(o.Name, o.Code.String()) + ": " + v
		if f := flagText(o.Flag); f != "" {
			line += " (" + strings.ToLower(f) + ")"
		}
		measured = append(measured, line)
	}
	if len(measured) > maxVisitMeasurements {
		extra := len(measured) - maxVisitMeasurements
		measured = append(measured[:maxVisitMeasurements], "and "+plural(extra, "more result", "more results")+" under Results")
	}
	d.addText("Measured at this visit", strings.Join(measured, "\n"))
	for _, doc := range docs {
		d.docs = append(d.docs, attachmentDocs("DocumentReference/"+doc.ID, dayText(doc.Date), docTitle(doc), doc.Attachments)...)
		d.partial = d.partial || doc.Incomplete
	}
	if len(docs) == 0 {
		d.addText("Visit summary", "The practice has not shared a summary of this visit.")
	}
	return d
}

func documentDetail(c *record.Chart, doc record.DocumentReference) detailModel {
	d := detailModel{title: docTitle(doc), subtitle: dayText(doc.Date), partial: doc.Incomplete}
	if doc.Type != d.title {
		d.addField("Kind", doc.Type)
	}
	d.addField("Written by", refNames(c, doc.Authors))
	d.addField("From", refName(c, doc.Custodian))
	if doc.DocStatus == "preliminary" {
		d.addField("Status", "Preliminary")
	}
	d.docs = attachmentDocs("DocumentReference/"+doc.ID, dayText(doc.Date), docTitle(doc), doc.Attachments)
	if len(d.docs) == 0 {
		d.addText("Content", "This document has no content Carebook can show.")
	}
	return d
}
