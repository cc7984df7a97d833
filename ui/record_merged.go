package ui

import (
	"sort"
	"strings"

	"github.com/carebook/carebook/app"
	"github.com/carebook/carebook/app/record"

	"fyne.io/fyne/v2/lang"
)

// The merged views of one person's records at several practices (linked
// by the user): each section lists the items of every practice, each
// saying where it comes from ("from Riverside Family Practice · Lakeside
// Health Center" when both have it). The record package does the merging
// (record.Merge*); the builders here are pure and run on any goroutine.
// An entry's requests go to the practice it comes from (the first one
// when several have it).

// mergedEmpty is said by an empty merged section (by its name).
func mergedEmpty(section string) string {
	switch section {
	case "medications":
		return lang.L("No medications on record at any of these practices.")
	case "allergies":
		return lang.L("No allergies on record at any of these practices.")
	case "conditions":
		return lang.L("No conditions on record at any of these practices.")
	case "immunizations":
		return lang.L("No immunizations on record at any of these practices.")
	case "results":
		return lang.L("No test results on record at any of these practices.")
	}
	return lang.L("No appointments on record at any of these practices.")
}

// fromText is a list line's "from …" part, "" when there is no source.
func fromText(practices string) string {
	if practices == "" {
		return ""
	}
	return lang.L("from {{.Practices}}", map[string]any{"Practices": practices})
}

// sourcedDetail adds where an entry comes from to its details, and sends
// its requests and documents to the practice it comes from.
func sourcedDetail(d detailModel, srcs []record.Source, own string) detailModel {
	label := lang.L("From")
	if len(srcs) > 1 {
		label = lang.L("From (the same at each)")
	}
	d.fields = append([]field{{label, record.SourceNames(srcs)}}, d.fields...)
	if len(srcs) > 0 {
		d.profileID = srcs[0].ProfileID
		if d.profileID != own {
			// Messages are written to the practice of the record on
			// screen; this entry is another practice's.
			d.askRef = ""
		}
	}
	return d
}

// mergedMedications lists the active prescriptions of every practice (by
// name), then the past ones (newest first); the same prescription from two
// practices is one row.
func mergedMedications(m app.MergedRecord) sectionModel {
	var active, past []record.Sourced[record.MedicationRequest]
	for _, it := range record.MergeMedications(m.Parts) {
		if it.Item.Active() {
			active = append(active, it)
		} else {
			past = append(past, it)
		}
	}
	sort.SliceStable(active, func(i, j int) bool {
		return strings.ToLower(medName(active[i].Item)) < strings.ToLower(medName(active[j].Item))
	})
	sort.SliceStable(past, func(i, j int) bool { return past[i].Item.AuthoredOn.After(past[j].Item.AuthoredOn) })
	var items []listItem
	var meds []*record.Sourced[record.MedicationRequest]
	add := func(heading string, list []record.Sourced[record.MedicationRequest]) {
		if len(list) == 0 {
			return
		}
		items = append(items, listItem{header: true, title: heading})
		meds = append(meds, nil)
		for i := range list {
			it := &list[i]
			items = append(items, listItem{title: medName(it.Item), detail: medLine(it.Item), source: fromText(it.Practices()),
				partial: it.Item.Incomplete, key: it.Keys[0]})
			meds = append(meds, it)
		}
	}
	add(lang.L("Active medications"), active)
	add(lang.L("Past medications"), past)
	own := ownProfile(m)
	return sectionModel{
		items: items,
		empty: mergedEmpty("medications"),
		detail: func(i int) detailModel {
			it := meds[i]
			return sourcedDetail(medicationDetail(it.Chart, it.Item), it.Sources, own)
		},
	}
}

// mergedAllergies lists every practice's allergies, current ones first.
func mergedAllergies(m app.MergedRecord) sectionModel {
	var current, past []record.Sourced[record.AllergyIntolerance]
	for _, it := range record.MergeAllergies(m.Parts) {
		switch it.Item.ClinicalStatus {
		case "inactive", "resolved":
			past = append(past, it)
		default:
			current = append(current, it)
		}
	}
	var items []listItem
	var all []*record.Sourced[record.AllergyIntolerance]
	add := func(heading string, list []record.Sourced[record.AllergyIntolerance], withHeading bool) {
		if len(list) == 0 {
			return
		}
		if withHeading {
			items = append(items, listItem{header: true, title: heading})
			all = append(all, nil)
		}
		for i := range list {
			it := &list[i]
			a := it.Item
			row := listItem{title: allergyName(a), partial: a.Incomplete, key: it.Keys[0],
				detail: reactionsText(a.Reactions), source: fromText(it.Practices())}
			if a.Criticality == "high" {
				row.flag = lang.L("High risk")
			}
			items = append(items, row)
			all = append(all, it)
		}
	}
	add(lang.L("Current"), current, len(past) > 0)
	add(lang.L("No longer active"), past, true)
	own := ownProfile(m)
	return sectionModel{
		items:  items,
		empty:  mergedEmpty("allergies"),
		detail: func(i int) detailModel { return sourcedDetail(allergyDetail(all[i].Item), all[i].Sources, own) },
	}
}

// mergedConditions lists every practice's current conditions, then the
// resolved ones, newest onset first.
func mergedConditions(m app.MergedRecord) sectionModel {
	var active, resolved []record.Sourced[record.Condition]
	for _, it := range record.MergeConditions(m.Parts) {
		switch {
		case it.Item.VerificationStatus == "refuted":
		case it.Item.Active():
			active = append(active, it)
		default:
			resolved = append(resolved, it)
		}
	}
	for _, list := range [][]record.Sourced[record.Condition]{active, resolved} {
		sort.SliceStable(list, func(i, j int) bool { return list[i].Item.Onset.After(list[j].Item.Onset) })
	}
	var items []listItem
	var all []*record.Sourced[record.Condition]
	add := func(heading string, list []record.Sourced[record.Condition]) {
		if len(list) == 0 {
			return
		}
		items = append(items, listItem{header: true, title: heading})
		all = append(all, nil)
		for i := range list {
			it := &list[i]
			items = append(items, listItem{title: conditionName(it.Item), partial: it.Item.Incomplete, key: it.Keys[0],
				detail: conditionDates(it.Item), source: fromText(it.Practices())})
			all = append(all, it)
		}
	}
	add(lang.L("Current conditions"), active)
	add(lang.L("Resolved conditions"), resolved)
	own := ownProfile(m)
	return sectionModel{
		items:  items,
		empty:  mergedEmpty("conditions"),
		detail: func(i int) detailModel { return sourcedDetail(conditionDetail(all[i].Item), all[i].Sources, own) },
	}
}

// mergedImmunizations lists every practice's vaccines, newest first; the
// same shot recorded by two practices is one row.
func mergedImmunizations(m app.MergedRecord) sectionModel {
	ims := record.MergeImmunizations(m.Parts)
	sort.SliceStable(ims, func(i, j int) bool { return ims[i].Item.Date.After(ims[j].Item.Date) })
	items := make([]listItem, len(ims))
	for i, it := range ims {
		im := it.Item
		row := listItem{title: vaccineName(im), partial: im.Incomplete, key: it.Keys[0],
			detail: firstText(dayText(im.Date), im.DateText), source: fromText(it.Practices())}
		if im.Status == "not-done" {
			row.detail = joinNonEmpty(" · ", row.detail, lang.L("not given"))
		}
		items[i] = row
	}
	own := ownProfile(m)
	return sectionModel{
		items: items,
		empty: mergedEmpty("immunizations"),
		detail: func(i int) detailModel {
			return sourcedDetail(immunizationDetail(ims[i].Chart, ims[i].Item), ims[i].Sources, own)
		},
	}
}

// mergedResults lists every practice's lab panels, newest first; a
// result's trend charts the measurements of every practice together.
func mergedResults(m app.MergedRecord) sectionModel {
	var groups []record.Sourced[record.LabGroup]
	for _, g := range record.MergeResults(m.Parts) {
		if len(g.Item.Results) > 0 || (g.Item.Report != nil && (g.Item.Report.Conclusion != "" || len(g.Item.Report.PresentedForm) > 0)) {
			groups = append(groups, g)
		}
	}
	tr := mergedTrendIndex(record.MergeTrends(m.Parts))
	items := make([]listItem, len(groups))
	for i, g := range groups {
		items[i] = groupItem(g.Item)
		items[i].source = fromText(g.Practices())
	}
	own := ownProfile(m)
	return sectionModel{
		items: items,
		empty: mergedEmpty("results"),
		detail: func(i int) detailModel {
			return sourcedDetail(groupDetail(groups[i].Chart, groups[i].Item, tr), groups[i].Sources, own)
		},
		seenKey: func(i int) string {
			// Only the record on screen marks what was seen.
			if groups[i].Sources[0].ProfileID != own {
				return ""
			}
			return groups[i].Item.Key()
		},
	}
}

// mergedTrendIndex indexes merged series by the results they chart.
func mergedTrendIndex(series []record.SourcedSeries) *trendIndex {
	t := &trendIndex{byObs: map[string][]int32{}}
	for _, s := range series {
		t.series = append(t.series, s.Series)
		if len(s.Points) < 2 {
			continue
		}
		for _, p := range s.Points {
			t.byObs[p.ObservationID] = append(t.byObs[p.ObservationID], int32(len(t.series)-1))
		}
	}
	return t
}

// mergedVitals charts the measurements of every practice together.
func mergedVitals(m app.MergedRecord) sectionModel {
	merged := record.MergeTrends(m.Parts)
	series := make([]record.Series, len(merged))
	from := map[string]string{}
	pointsFrom := map[string][]string{}
	for i, s := range merged {
		series[i] = s.Series
		from[s.Key] = s.Practices()
		names := make([]string, len(s.From))
		for j, f := range s.From {
			names[j] = f.Practice
		}
		pointsFrom[s.Key] = names
	}
	return vitalsOf(series, from, pointsFrom, lang.L("No measurements taken more than once are on record at these practices yet."))
}

// mergedVisits lists the appointments of every practice: those to come
// (soonest first), then past ones (newest first). Booking, moving and
// cancelling are done per practice.
func mergedVisits(m app.MergedRecord) sectionModel {
	now := sectionClock()
	var upcoming, past []record.Sourced[record.Appointment]
	for _, ap := range record.MergeAppointments(m.Parts) {
		if len(record.UpcomingAppointments([]record.Appointment{ap.Item}, now)) == 1 {
			upcoming = append(upcoming, ap)
		} else if ap.Item.Status != "entered-in-error" {
			past = append(past, ap)
		}
	}
	sort.SliceStable(past, func(i, j int) bool { return past[i].Item.Start.After(past[j].Item.Start) })
	var items []listItem
	var all []*record.Sourced[record.Appointment]
	add := func(heading string, list []record.Sourced[record.Appointment]) {
		if len(list) == 0 {
			return
		}
		items = append(items, listItem{header: true, title: heading})
		all = append(all, nil)
		for i := range list {
			it := &list[i]
			items = append(items, listItem{title: appointmentTitle(it.Item), partial: it.Item.Incomplete, key: it.Keys[0],
				detail: joinNonEmpty(" · ", timeText(it.Item.Start), statusText(pastStatus(it.Item))), source: fromText(it.Practices())})
			all = append(all, it)
		}
	}
	add(lang.L("Coming up"), upcoming)
	add(lang.L("Past appointments"), past)
	own := ownProfile(m)
	return sectionModel{
		items: items,
		empty: mergedEmpty("visits"),
		detail: func(i int) detailModel {
			d := sourcedDetail(appointmentDetail(all[i].Chart, all[i].Item), all[i].Sources, own)
			d.addText(lang.L("To change it"), lang.L("Choose {{.Practice}} above to book, move or cancel its appointments.",
				map[string]any{"Practice": all[i].Sources[0].Practice}))
			return d
		},
	}
}

// pastStatus is an appointment's status worth saying in a merged list
// ("cancelled"), "" for one that is simply booked.
func pastStatus(ap record.Appointment) string {
	switch ap.Status {
	case "booked", "arrived", "checked-in", "fulfilled", "":
		return ""
	}
	return ap.Status
}

// ownProfile is the profile whose record is on screen.
func ownProfile(m app.MergedRecord) string {
	if len(m.Profiles) == 0 {
		return ""
	}
	return m.Profiles[0].ID
}
