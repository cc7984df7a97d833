package ui

import (
	"sort"
	"strings"

	"github.com/carebook/carebook/app/record"

	"fyne.io/fyne/v2/lang"
)

// careSection lists care plans (current first), goals and care teams.
// Any goroutine.
func careSection(c *record.Chart) sectionModel {
	plans := append([]record.CarePlan(nil), c.CarePlans...)
	sort.SliceStable(plans, func(i, j int) bool {
		ai, aj := plans[i].Status == "active", plans[j].Status == "active"
		if ai != aj {
			return ai
		}
		return plans[i].Period.Start.After(plans[j].Period.Start)
	})
	goals := append([]record.Goal(nil), c.Goals...)
	sort.SliceStable(goals, func(i, j int) bool { return goals[i].Start.After(goals[j].Start) })

	var items []listItem
	var details []func() detailModel // parallel to items; nil for headings
	heading := func(title string) {
		items = append(items, listItem{header: true, title: title})
		details = append(details, nil)
	}
	var keptPlans []record.CarePlan
	for _, p := range plans {
		if p.Status != "entered-in-error" {
			keptPlans = append(keptPlans, p)
		}
	}
	if len(keptPlans) > 0 {
		heading(lang.L("Care plans"))
		for _, p := range keptPlans {
			items = append(items, listItem{
				title:   planName(p),
				detail:  joinNonEmpty(" · ", statusText(p.Status), periodText(p.Period)),
				partial: p.Incomplete,
				key:     p.Key(),
			})
			details = append(details, func() detailModel { return carePlanDetail(c, p) })
		}
	}
	var keptGoals []record.Goal
	for _, g := range goals {
		if g.LifecycleStatus != "entered-in-error" {
			keptGoals = append(keptGoals, g)
		}
	}
	if len(keptGoals) > 0 {
		heading(lang.L("Goals"))
		for _, g := range keptGoals {
			items = append(items, listItem{
				title:   headline(goalName(g)),
				detail:  joinNonEmpty(" · ", statusText(firstText(g.AchievementStatus, g.LifecycleStatus)), sinceDate(g.Start)),
				partial: g.Incomplete,
				key:     g.Key(),
			})
			details = append(details, func() detailModel { return goalDetail(g) })
		}
	}
	if len(c.CareTeams) > 0 {
		heading(lang.L("Care teams"))
		for _, t := range c.CareTeams {
			items = append(items, listItem{
				title:   firstText(t.Name, strings.Join(t.Categories, ", "), lang.L("Care team")),
				detail:  joinNonEmpty(" · ", statusText(t.Status), lang.N("{{.Count}} members", len(t.Members), map[string]any{"Count": len(t.Members)})),
				partial: t.Incomplete,
				key:     t.Key(),
			})
			details = append(details, func() detailModel { return careTeamDetail(c, t) })
		}
	}
	return sectionModel{
		items:  items,
		empty:  lang.L("No care plans or goals on record at this practice."),
		detail: func(i int) detailModel { return details[i]() },
	}
}

func sinceDate(d record.Date) string {
	if d.IsZero() {
		return ""
	}
	return lang.L("since {{.Date}}", map[string]any{"Date": dayText(d)})
}

func planName(p record.CarePlan) string { return firstText(p.Title, lang.L("Care plan")) }

func goalName(g record.Goal) string { return firstText(g.Description, lang.L("Goal")) }

func carePlanDetail(c *record.Chart, p record.CarePlan) detailModel {
	d := detailModel{title: planName(p), subtitle: periodText(p.Period), partial: p.Incomplete}
	d.addField(lang.L("Status"), statusText(p.Status))
	if len(p.Categories) > 1 || (len(p.Categories) == 1 && p.Categories[0] != p.Title) {
		d.addField(lang.L("Kind"), strings.Join(p.Categories, ", "))
	}
	d.addField(lang.L("For"), refNames(c, p.Addresses))
	d.addText(lang.L("About this plan"), p.Description)
	for _, a := range p.Activities {
		v := firstText(a.Name, lang.L("Step"))
		if a.Status != "" {
			v += " (" + strings.ToLower(statusText(a.Status)) + ")"
		}
		d.addField(lang.L("Step"), v)
	}
	return d
}

func goalDetail(g record.Goal) detailModel {
	d := detailModel{title: goalName(g), subtitle: sinceDate(g.Start), partial: g.Incomplete}
	d.addField(lang.L("Status"), statusText(g.LifecycleStatus))
	d.addField(lang.L("Progress"), statusText(g.AchievementStatus))
	for _, t := range g.Targets {
		v := joinNonEmpty(": ", t.Measure, t.Detail)
		if !t.Due.IsZero() {
			v = joinNonEmpty(", ", v, lang.L("by {{.Date}}", map[string]any{"Date": dayText(t.Due)}))
		}
		d.addField(lang.L("Target"), v)
	}
	for _, n := range g.Notes {
		d.addText(lang.L("Note"), n)
	}
	return d
}

func careTeamDetail(c *record.Chart, t record.CareTeam) detailModel {
	d := detailModel{title: firstText(t.Name, lang.L("Care team")), subtitle: periodText(t.Period), partial: t.Incomplete}
	d.addField(lang.L("Status"), statusText(t.Status))
	for _, m := range t.Members {
		d.addField(firstText(m.Role, lang.L("Member")), firstText(refName(c, m.Member), lang.L("Name not given")))
	}
	return d
}
