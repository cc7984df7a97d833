package ui

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/carebook/carebook/app/record"

	"fyne.io/fyne/v2/lang"
)

// visitsSection lists visits newest first, each with the documents
// (clinical summaries, discharge letters) and procedures of that visit;
// documents that belong to no visit follow under their own heading.
// Any goroutine.
func visitsSection(c *record.Chart) sectionModel {
	encs := make([]record.Encounter, 0, len(c.Encounters))
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
	// The results of each visit, by id: the section keeps its list, not
	// the results of a long record; a visit's are read when it is opened.
	obsOf := make([][]string, len(encs))
	encIndex := make(map[string]int, len(encs))
	for i, e := range encs {
		encIndex[e.ID] = i
	}
	for _, o := range c.Observations {
		if i, ok := encIndex[refTail(o.Encounter.Reference)]; ok && o.Status != "entered-in-error" && o.Encounter.Reference != "" {
			obsOf[i] = append(obsOf[i], o.ID)
		}
	}

	var items []listItem
	// loads are parallel to items; nil for headings. Each reads what its
	// details need (with what names people and places) and builds them.
	var loads []func(ctx context.Context, read entryReader) (detailModel, error)
	add := func(it listItem, load func(ctx context.Context, read entryReader) (detailModel, error)) {
		items = append(items, it)
		loads = append(loads, load)
	}
	upcoming := record.UpcomingAppointments(c.Appointments, sectionClock())
	if len(upcoming) > 0 {
		add(listItem{header: true, title: lang.L("Coming up")}, nil)
		for _, ap := range upcoming {
			add(listItem{title: appointmentTitle(ap), detail: joinNonEmpty(" · ", timeText(ap.Start), refNames(c, ap.Locations)),
				partial: ap.Incomplete, key: ap.Key()}, func(ctx context.Context, read entryReader) (detailModel, error) {
				ec, err := read(ctx)
				if err != nil {
					return detailModel{}, err
				}
				return appointmentDetail(ec, ap), nil
			})
		}
		if len(encs) > 0 {
			add(listItem{header: true, title: lang.L("Past visits")}, nil)
		}
	}
	// What each visit's details read when it is opened, by id: the
	// section keeps its list, not the visits of a long record.
	visits := make([]visitRow, len(encs))
	var k keptTexts
	for i, e := range encs {
		v := &visits[i]
		*v = visitRow{encounter: e.ID, docs: newIDList(idsOf(docsOf[i])), procs: newIDList(idsOf(procsOf[i])), results: newIDList(obsOf[i])}
		k.add(&v.encounter, v.docs.text(), v.procs.text(), v.results.text())
	}
	looseIDs := idsOf(loose)
	for i := range looseIDs {
		k.add(&looseIDs[i])
	}
	k.compact()
	for i, e := range encs {
		it := listItem{title: visitName(e), detail: joinNonEmpty(" · ", dayText(e.Period.Start), refName(c, e.Provider)), partial: e.Incomplete, key: e.Key()}
		if n := len(docsOf[i]); n > 0 {
			it.detail = joinNonEmpty(" · ", it.detail, lang.N("{{.Count}} documents", n, map[string]any{"Count": n}))
		}
		add(it, func(ctx context.Context, read entryReader) (detailModel, error) {
			v := visits[i]
			ec, err := read(ctx, v.keys()...)
			if err != nil {
				return detailModel{}, err
			}
			var e record.Encounter
			for _, x := range ec.Encounters {
				if x.ID == v.encounter {
					e = x
				}
			}
			return visitDetail(ec, e, byID(ec.Documents, v.docs.ids()), byID(ec.Procedures, v.procs.ids()), byID(ec.Observations, v.results.ids())), nil
		})
	}
	if len(loose) > 0 {
		add(listItem{header: true, title: lang.L("Other documents")}, nil)
		for i, d := range loose {
			title := docTitle(d)
			add(listItem{title: title, detail: dayText(d.Date), partial: d.Incomplete, key: d.Key()},
				func(ctx context.Context, read entryReader) (detailModel, error) {
					ec, err := read(ctx, "DocumentReference/"+looseIDs[i])
					if err != nil {
						return detailModel{}, err
					}
					if docs := byID(ec.Documents, looseIDs[i:i+1]); len(docs) > 0 {
						return documentDetail(ec, docs[0]), nil
					}
					return detailModel{title: title}, nil // gone meanwhile
				})
		}
	}
	return sectionModel{
		items: items,
		empty: lang.L("No visits on record at this practice."),
		load: func(ctx context.Context, read entryReader, i int) (detailModel, error) {
			return loads[i](ctx, read)
		},
	}
}

// visitRow is what the visits section keeps of a visit: the ids of what
// its details show, read when it is opened.
type visitRow struct {
	encounter string // its id
	docs      idList // DocumentReference ids
	procs     idList // Procedure ids
	results   idList // Observation ids
}

// keys are the entries the visit's details read.
func (v visitRow) keys() []string {
	keys := []string{"Encounter/" + v.encounter}
	for _, id := range v.docs.ids() {
		keys = append(keys, "DocumentReference/"+id)
	}
	for _, id := range v.procs.ids() {
		keys = append(keys, "Procedure/"+id)
	}
	for _, id := range v.results.ids() {
		keys = append(keys, "Observation/"+id)
	}
	return keys
}

// entry is any decoded record entry (its id).
type entry interface{ Key() string }

// idsOf are the ids of entries.
func idsOf[T entry](entries []T) []string {
	ids := make([]string, len(entries))
	for i, e := range entries {
		_, ids[i], _ = strings.Cut(e.Key(), "/")
	}
	return ids
}

// byID are the entries of all with ids, in the order of ids.
func byID[T entry](all []T, ids []string) []T {
	at := make(map[string]int, len(all))
	for i, e := range all {
		_, id, _ := strings.Cut(e.Key(), "/")
		at[id] = i
	}
	var out []T
	for _, id := range ids {
		if i, ok := at[id]; ok {
			out = append(out, all[i])
		}
	}
	return out
}

// sectionClock is "now" for what depends on it (which appointments are
// still to come); tests set it.
var sectionClock = time.Now

// appointmentTitle is what an appointment is for, with whom: "Follow-up
// visit with Dr. Elena Park, MD".
func appointmentTitle(ap record.Appointment) string {
	what := ap.Description
	if what == "" && len(ap.ServiceTypes) > 0 {
		what = ap.ServiceTypes[0]
	}
	if what == "" {
		what = lang.L("Appointment")
	}
	if len(ap.Practitioners) > 0 {
		if who := ap.Practitioners[0].Display; who != "" && !strings.Contains(what, who) {
			what = lang.L("{{.What}} with {{.Who}}", map[string]any{"What": what, "Who": who})
		}
	}
	return what
}

// appointmentDetail is a booked appointment: when, with whom, where, and
// what the practice wrote about it.
func appointmentDetail(c *record.Chart, ap record.Appointment) detailModel {
	d := detailModel{title: appointmentTitle(ap), subtitle: timeText(ap.Start), partial: ap.Incomplete}
	if !ap.End.IsZero() && ap.End.Time.After(ap.Start.Time) {
		d.addField(lang.L("Length"), durationText(ap.End.Time.Sub(ap.Start.Time)))
	}
	d.addField(lang.L("Status"), statusText(ap.Status))
	d.addField(lang.L("With"), refNames(c, ap.Practitioners))
	d.addField(lang.L("Where"), refNames(c, ap.Locations))
	d.addField(lang.L("Kind of visit"), strings.Join(ap.ServiceTypes, ", "))
	d.addField(lang.L("Reason"), strings.Join(ap.Reasons, ", "))
	d.addText(lang.L("From the practice"), ap.Comment)
	return d
}

// durationText is "30 minutes", "1 hour 30 minutes".
func durationText(dur time.Duration) string {
	h, m := int(dur.Hours()), int(dur.Minutes())%60
	hours := lang.N("{{.Count}} hours", h, map[string]any{"Count": h})
	minutes := lang.N("{{.Count}} minutes", m, map[string]any{"Count": m})
	switch {
	case h == 0:
		return minutes
	case m == 0:
		return hours
	}
	return hours + " " + minutes
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
		return e.Class
	}
	return lang.L("Visit")
}

func docTitle(d record.DocumentReference) string {
	return firstText(d.Title, d.Type, lang.L("Document"))
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
	if e.Class != d.title {
		d.addField(lang.L("Kind of visit"), e.Class)
	}
	d.technical = e.Technical
	if e.Status != "" && e.Status != "finished" {
		d.addField(lang.L("Status"), statusText(e.Status))
	}
	d.addField(lang.L("Reason"), strings.Join(e.Reasons, ", "))
	d.addField(lang.L("Seen by"), refNames(c, e.Participants))
	d.addField(lang.L("Where"), joinNonEmpty(", ", refNames(c, e.Locations), refName(c, e.Provider)))
	for _, p := range procs {
		d.addField(lang.L("Procedure"), firstText(p.Name, p.Code.String()))
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
		measured = append(measured[:maxVisitMeasurements], lang.N("and {{.Count}} more results under Results", extra, map[string]any{"Count": extra}))
	}
	d.addText(lang.L("Measured at this visit"), strings.Join(measured, "\n"))
	for _, doc := range docs {
		d.docs = append(d.docs, attachmentDocs("DocumentReference/"+doc.ID, dayText(doc.Date), docTitle(doc), doc.Attachments)...)
		d.partial = d.partial || doc.Incomplete
	}
	if len(docs) == 0 {
		d.addText(lang.L("Visit summary"), lang.L("The practice has not shared a summary of this visit."))
	}
	return d
}

func documentDetail(c *record.Chart, doc record.DocumentReference) detailModel {
	d := detailModel{title: docTitle(doc), subtitle: dayText(doc.Date), partial: doc.Incomplete}
	if doc.Type != d.title {
		d.addField(lang.L("Kind"), doc.Type)
	}
	d.addField(lang.L("Written by"), refNames(c, doc.Authors))
	d.addField(lang.L("From"), refName(c, doc.Custodian))
	if doc.DocStatus == "preliminary" {
		d.addField(lang.L("Status"), lang.L("Preliminary"))
	}
	d.docs = attachmentDocs("DocumentReference/"+doc.ID, dayText(doc.Date), docTitle(doc), doc.Attachments)
	if len(d.docs) == 0 {
		d.addText(lang.L("Content"), lang.L("This document has no content Carebook can show."))
	}
	return d
}
