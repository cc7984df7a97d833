package ui

import (
	"sort"
	"strconv"
	"strings"

	"github.com/carebook/carebook/app"
	"github.com/carebook/carebook/app/record"
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
	addGroup("Active medications", active)
	addGroup("Past medications", past)
	return sectionModel{
		items:  items,
		empty:  "No medications on record at this practice.",
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
	return firstText(m.Medication, "Medication (name not given)")
}

func sinceText(d record.Date) string {
	if d.IsZero() {
		return ""
	}
	return "prescribed " + dayText(d)
}

func medicationDetail(c *record.Chart, m record.MedicationRequest) detailModel {
	d := detailModel{title: medName(m), partial: m.Incomplete}
	if m.Active() {
		d.subtitle = "Active"
	} else {
		d.subtitle = firstText(statusText(m.Status), "Not active")
	}
	d.addField("How to take it", strings.Join(m.Dosage, "\n"))
	d.addField("Prescribed by", refName(c, m.Requester))
	d.addField("Prescribed on", dayText(m.AuthoredOn))
	if m.HasRefills {
		d.addField("Refills allowed", strconv.Itoa(m.Refills))
	}
	d.addField("Why", strings.Join(m.Reasons, ", "))
	for _, n := range m.Notes {
		d.addText("Note", n)
	}
	if m.Active() {
		d.addRequest("Request a refill", app.RequestRefill, m.Key())
	}
	d.technical, d.learn = m.Code.Technical(), record.LearnMore(m.Code, learnLang())
	d.addRequest("Report an error", app.RequestCorrection, m.Key())
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
				detail:  joinNonEmpty(" · ", reactionsText(a.Reactions), statusText(strings.Join(a.Categories, ", "))),
				partial: a.Incomplete,
				key:     a.Key(),
			}
			if a.Criticality == "high" {
				it.flag = "High risk"
			}
			items = append(items, it)
			all = append(all, a)
		}
	}
	add("Current", current, len(past) > 0)
	add("No longer active", past, true)
	return sectionModel{
		items:  items,
		empty:  "No allergies on record at this practice.",
		detail: func(i int) detailModel { return allergyDetail(*all[i]) },
	}
}

func allergyName(a record.AllergyIntolerance) string {
	return firstText(a.Substance, a.Code.String(), "Allergy (substance not given)")
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
	d.subtitle = joinNonEmpty(" · ", statusText(a.Type), statusText(strings.Join(a.Categories, ", ")))
	switch a.Criticality {
	case "high":
		d.flag = "High risk: a reaction could be serious."
	case "low":
		d.addField("Risk", "Low")
	case "unable-to-assess":
		d.addField("Risk", "Not assessed")
	}
	d.addField("Status", statusText(a.ClinicalStatus))
	d.addField("Since", dayText(a.Onset))
	d.addField("Recorded", dayText(a.Recorded))
	for _, r := range a.Reactions {
		d.addField("Reaction", joinNonEmpty(" — ", strings.Join(r.Manifestations, ", "),
			statusText(r.Severity), r.Description))
	}
	for _, n := range a.Notes {
		d.addText("Note", n)
	}
	d.addRequest("Report an error", app.RequestCorrection, a.Key())
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
	add("Current conditions", active)
	add("Resolved", resolved)
	return sectionModel{
		items:  items,
		empty:  "No conditions on record at this practice.",
		detail: func(i int) detailModel { return conditionDetail(*all[i]) },
	}
}

func conditionName(cd record.Condition) string {
	return firstText(cd.Name, cd.Code.String(), "Condition (name not given)")
}

func conditionDates(cd record.Condition) string {
	onset := firstText(dayText(cd.Onset), cd.OnsetText)
	end := firstText(dayText(cd.Abatement), cd.AbatementText)
	switch {
	case onset != "" && end != "":
		return onset + " – " + end
	case onset != "":
		return "since " + onset
	case end != "":
		return "until " + end
	}
	return ""
}

func conditionDetail(cd record.Condition) detailModel {
	d := detailModel{title: conditionName(cd), partial: cd.Incomplete}
	if cd.Active() {
		d.subtitle = "Current"
	} else {
		d.subtitle = firstText(statusText(cd.ClinicalStatus), "Resolved")
	}
	d.addField("Began", firstText(dayText(cd.Onset), cd.OnsetText))
	d.addField("Ended", firstText(dayText(cd.Abatement), cd.AbatementText))
	d.addField("Recorded", dayText(cd.Recorded))
	if cd.VerificationStatus != "" && cd.VerificationStatus != "confirmed" {
		d.addField("Diagnosis", statusText(cd.VerificationStatus))
	}
	for _, n := range cd.Notes {
		d.addText("Note", n)
	}
	d.technical, d.learn = cd.Code.Technical(), record.LearnMore(cd.Code, learnLang())
	if cd.Active() {
		d.addRequest("Ask for a referral", app.RequestReferral, cd.Key())
	}
	d.addRequest("Report an error", app.RequestCorrection, cd.Key())
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
			it.detail = joinNonEmpty(" · ", it.detail, "not given")
		}
		items[i] = it
	}
	return sectionModel{
		items:  items,
		empty:  "No immunizations on record at this practice.",
		detail: func(i int) detailModel { return immunizationDetail(c, ims[i]) },
	}
}

func vaccineName(im record.Immunization) string {
	return firstText(im.Vaccine, im.VaccineCode.String(), "Vaccine (name not given)")
}

func immunizationDetail(c *record.Chart, im record.Immunization) detailModel {
	d := detailModel{title: vaccineName(im), partial: im.Incomplete}
	d.subtitle = firstText(dayText(im.Date), im.DateText)
	if im.Status == "not-done" {
		d.addField("Status", "Not given")
	}
	d.addField("Given by", refNames(c, im.Performers))
	d.addField("Where", refName(c, im.Location))
	d.addField("Lot number", im.Lot)
	d.technical = im.VaccineCode.Technical()
	for _, n := range im.Notes {
		d.addText("Note", n)
	}
	d.addRequest("Report an error", app.RequestCorrection, im.Key())
	return d
}
