package ui

import (
	"sort"
	"strconv"
	"strings"

	"github.com/carebook/carebook/app"
	"github.com/carebook/carebook/app/record"

	"fyne.io/fyne/v2/lang"
)

// The simple sections: a list of one kind of entry, maybe in groups, each
// with its details. Every builder here is pure and runs on any goroutine.

// medicationsSection lists active prescriptions (by name), then past ones
// (newest first).
func medicationsSection(c *record.Chart) sectionModel {
	var active, past []record.MedicationRequest
	for _, m := range c.Medications {
		switch {
		case m.Status == "entered-in-error":
		case m.Active():
			active = append(active, m)
		default:
			past = append(past, m)
		}
	}
	sort.SliceStable(active, func(i, j int) bool {
		return strings.ToLower(medName(active[i])) < strings.ToLower(medName(active[j]))
	})
	sort.SliceStable(past, func(i, j int) bool { return past[i].AuthoredOn.After(past[j].AuthoredOn) })

	var items []listItem
	var meds []*record.MedicationRequest // parallel to items; nil for headings
	addGroup := func(heading string, ms []record.MedicationRequest) {
		if len(ms) == 0 {
			return
		}
		items = append(items, listItem{header: true, title: heading})
		meds = append(meds, nil)
		for i := range ms {
			m := &ms[i]
			items = append(items, listItem{
				title:   medName(*m),
				detail:  medLine(*m),
				partial: m.Incomplete,
				key:     m.Key(),
			})
			meds = append(meds, m)
		}
	}
	addGroup(lang.L("Active medications"), active)
	addGroup(lang.L("Past medications"), past)
	return sectionModel{
		items:  items,
		empty:  lang.L("No medications on record at this practice."),
		detail: func(i int) detailModel { return medicationDetail(c, *meds[i]) },
	}
}

// medLine is a medication's second line: how to take it and when it was
// prescribed, and for a past one why it is no longer taken ("Stopped").
func medLine(m record.MedicationRequest) string {
	status := ""
	if !m.Active() {
		status = statusText(m.Status)
	}
	return joinNonEmpty(" · ", status, strings.Join(m.Dosage, "; "), sinceText(m.AuthoredOn))
}

func medName(m record.MedicationRequest) string {
	return firstText(m.Medication, lang.L("Medication (name not given)"))
}

func sinceText(d record.Date) string {
	if d.IsZero() {
		return ""
	}
	return lang.L("prescribed {{.Date}}", map[string]any{"Date": dayText(d)})
}

func medicationDetail(c *record.Chart, m record.MedicationRequest) detailModel {
	d := detailModel{title: medName(m), partial: m.Incomplete}
	if m.Active() {
		d.subtitle = lang.L("Active")
	} else {
		d.subtitle = firstText(statusText(m.Status), lang.L("Not active"))
	}
	d.addField(lang.L("How to take it"), strings.Join(m.Dosage, "\n"))
	d.addField(lang.L("Prescribed by"), refName(c, m.Requester))
	d.addField(lang.L("Prescribed on"), dayText(m.AuthoredOn))
	if m.HasRefills {
		d.addField(lang.L("Refills allowed"), strconv.Itoa(m.Refills))
	}
	d.addField(lang.L("Why"), strings.Join(m.Reasons, ", "))
	for _, n := range m.Notes {
		d.addText(lang.L("Note"), n)
	}
	if m.Active() {
		d.addRequest(lang.L("Request a refill"), app.RequestRefill, m.Key())
	}
	d.technical, d.learn = m.Code.Technical(), record.LearnMore(m.Code, learnLang())
	d.addRequest(lang.L("Report an error"), app.RequestCorrection, m.Key())
	return d
}

// allergiesSection lists allergies and intolerances, current ones first.
func allergiesSection(c *record.Chart) sectionModel {
	var current, past []record.AllergyIntolerance
	for _, a := range c.Allergies {
		switch a.ClinicalStatus {
		case "inactive", "resolved":
			past = append(past, a)
		default:
			if a.VerificationStatus != "entered-in-error" {
				current = append(current, a)
			}
		}
	}
	var items []listItem
	var all []*record.AllergyIntolerance
	add := func(heading string, as []record.AllergyIntolerance, withHeading bool) {
		if len(as) == 0 {
			return
		}
		if withHeading {
			items = append(items, listItem{header: true, title: heading})
			all = append(all, nil)
		}
		for i := range as {
			a := &as[i]
			it := listItem{
				title:   allergyName(*a),
				detail:  joinNonEmpty(" · ", reactionsText(a.Reactions), categoriesText(a.Categories)),
				partial: a.Incomplete,
				key:     a.Key(),
			}
			if a.Criticality == "high" {
				it.flag = lang.L("High risk")
			}
			items = append(items, it)
			all = append(all, a)
		}
	}
	add(lang.L("Current"), current, len(past) > 0)
	add(lang.L("No longer active"), past, true)
	return sectionModel{
		items:  items,
		empty:  lang.L("No allergies on record at this practice."),
		detail: func(i int) detailModel { return allergyDetail(*all[i]) },
	}
}

func allergyName(a record.AllergyIntolerance) string {
	return firstText(a.Substance, a.Code.String(), lang.L("Allergy (substance not given)"))
}

// categoriesText lists an allergy's categories in words: "Food, Medication".
func categoriesText(codes []string) string {
	words := make([]string, len(codes))
	for i, c := range codes {
		words[i] = statusText(c)
	}
	return strings.Join(words, ", ")
}

// reactionsText lists the reactions' manifestations: "Hives, Wheezing".
func reactionsText(rs []record.Reaction) string {
	var ms []string
	for _, r := range rs {
		ms = append(ms, r.Manifestations...)
	}
	return strings.Join(ms, ", ")
}

func allergyDetail(a record.AllergyIntolerance) detailModel {
	d := detailModel{title: allergyName(a), partial: a.Incomplete}
	d.subtitle = joinNonEmpty(" · ", statusText(a.Type), categoriesText(a.Categories))
	switch a.Criticality {
	case "high":
		d.flag = lang.L("High risk: a reaction could be serious.")
	case "low":
		d.addField(lang.L("Risk"), lang.L("Low"))
	case "unable-to-assess":
		d.addField(lang.L("Risk"), lang.L("Not assessed"))
	}
	d.addField(lang.L("Status"), statusText(a.ClinicalStatus))
	d.addField(lang.L("Since"), dayText(a.Onset))
	d.addField(lang.L("Recorded"), dayText(a.Recorded))
	for _, r := range a.Reactions {
		d.addField(lang.L("Reaction"), joinNonEmpty(" — ", strings.Join(r.Manifestations, ", "),
			statusText(r.Severity), r.Description))
	}
	for _, n := range a.Notes {
		d.addText(lang.L("Note"), n)
	}
	d.addRequest(lang.L("Report an error"), app.RequestCorrection, a.Key())
	return d
}

// conditionsSection lists current conditions, then resolved ones, newest
// onset first.
func conditionsSection(c *record.Chart) sectionModel {
	var active, resolved []record.Condition
	for _, cd := range c.Conditions {
		switch {
		case cd.VerificationStatus == "entered-in-error" || cd.VerificationStatus == "refuted":
		case cd.Active():
			active = append(active, cd)
		default:
			resolved = append(resolved, cd)
		}
	}
	for _, list := range [][]record.Condition{active, resolved} {
		sort.SliceStable(list, func(i, j int) bool { return list[i].Onset.After(list[j].Onset) })
	}
	var items []listItem
	var all []*record.Condition
	add := func(heading string, cs []record.Condition) {
		if len(cs) == 0 {
			return
		}
		items = append(items, listItem{header: true, title: heading})
		all = append(all, nil)
		for i := range cs {
			cd := &cs[i]
			items = append(items, listItem{title: conditionName(*cd), detail: conditionDates(*cd), partial: cd.Incomplete, key: cd.Key()})
			all = append(all, cd)
		}
	}
	add(lang.L("Current conditions"), active)
	add(lang.L("Resolved conditions"), resolved)
	return sectionModel{
		items:  items,
		empty:  lang.L("No conditions on record at this practice."),
		detail: func(i int) detailModel { return conditionDetail(*all[i]) },
	}
}

func conditionName(cd record.Condition) string {
	return firstText(cd.Name, cd.Code.String(), lang.L("Condition (name not given)"))
}

func conditionDates(cd record.Condition) string {
	onset := firstText(dayText(cd.Onset), cd.OnsetText)
	end := firstText(dayText(cd.Abatement), cd.AbatementText)
	switch {
	case onset != "" && end != "":
		return onset + " – " + end
	case onset != "":
		return lang.L("since {{.Date}}", map[string]any{"Date": onset})
	case end != "":
		return lang.L("until {{.Date}}", map[string]any{"Date": end})
	}
	return ""
}

func conditionDetail(cd record.Condition) detailModel {
	d := detailModel{title: conditionName(cd), partial: cd.Incomplete}
	if cd.Active() {
		d.subtitle = lang.L("Current")
	} else {
		d.subtitle = firstText(statusText(cd.ClinicalStatus), lang.L("Resolved"))
	}
	d.addField(lang.L("Began"), firstText(dayText(cd.Onset), cd.OnsetText))
	d.addField(lang.L("Ended"), firstText(dayText(cd.Abatement), cd.AbatementText))
	d.addField(lang.L("Recorded"), dayText(cd.Recorded))
	if cd.VerificationStatus != "" && cd.VerificationStatus != "confirmed" {
		d.addField(lang.L("Diagnosis"), statusText(cd.VerificationStatus))
	}
	for _, n := range cd.Notes {
		d.addText(lang.L("Note"), n)
	}
	d.technical, d.learn = cd.Code.Technical(), record.LearnMore(cd.Code, learnLang())
	if cd.Active() {
		d.addRequest(lang.L("Ask for a referral"), app.RequestReferral, cd.Key())
	}
	d.addRequest(lang.L("Report an error"), app.RequestCorrection, cd.Key())
	return d
}

// immunizationsSection lists vaccines, newest first.
func immunizationsSection(c *record.Chart) sectionModel {
	var ims []record.Immunization
	for _, im := range c.Immunizations {
		if im.Status != "entered-in-error" {
			ims = append(ims, im)
		}
	}
	sort.SliceStable(ims, func(i, j int) bool { return ims[i].Date.After(ims[j].Date) })
	items := make([]listItem, len(ims))
	for i, im := range ims {
		it := listItem{title: vaccineName(im), detail: firstText(dayText(im.Date), im.DateText), partial: im.Incomplete, key: im.Key()}
		if im.Status == "not-done" {
			it.detail = joinNonEmpty(" · ", it.detail, lang.L("not given"))
		}
		items[i] = it
	}
	return sectionModel{
		items:  items,
		empty:  lang.L("No immunizations on record at this practice."),
		detail: func(i int) detailModel { return immunizationDetail(c, ims[i]) },
	}
}

func vaccineName(im record.Immunization) string {
	return firstText(im.Vaccine, im.VaccineCode.String(), lang.L("Vaccine (name not given)"))
}

func immunizationDetail(c *record.Chart, im record.Immunization) detailModel {
	d := detailModel{title: vaccineName(im), partial: im.Incomplete}
	d.subtitle = firstText(dayText(im.Date), im.DateText)
	if im.Status == "not-done" {
		d.addField(lang.L("Status"), lang.L("Not given"))
	}
	d.addField(lang.L("Given by"), refNames(c, im.Performers))
	d.addField(lang.L("Where"), refName(c, im.Location))
	d.addField(lang.L("Lot number"), im.Lot)
	d.technical = im.VaccineCode.Technical()
	for _, n := range im.Notes {
		d.addText(lang.L("Note"), n)
	}
	d.addRequest(lang.L("Report an error"), app.RequestCorrection, im.Key())
	return d
}
