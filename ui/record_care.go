package ui

import (
	"sort"
	"strings"

	"github.com/carebook/carebook/app/record"
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
		heading("Care plans")
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
		heading("Goals")
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
		heading("Care teams")
		for _, t := range c.CareTeams {
			items = append(items, listItem{
				title:   firstText(t.Name, strings.Join(t.Categories, ", "), "Care team"),
				detail:  joinNonEmpty(" · ", statusText(t.Status), plural(len(t.Members), "member", "members")),
				partial: t.Incomplete,
				key:     t.Key(),
			})
			details = append(details, func() detailModel { return careTeamDetail(c, t) })
		}
	}
	return sectionModel{
		items:  items,
		empty:  "No care plans or goals on record at this practice.",
		detail: func(i int) detailModel { return details[i]() },
	}
}

func sinceDate(d record.Date) string {
	if d.IsZero() {
		return ""
	}
	return "since " + dayText(d)
}

func planName(p record.CarePlan) string { return firstText(p.Title, "Care plan") }

func goalName(g record.Goal) string { return firstText(g.Description, "Goal") }

func carePlanDetail(c *record.Chart, p record.CarePlan) detailModel {
	d := detailModel{title: planName(p), subtitle: periodText(p.Period), partial: p.Incomplete}
	d.addField("Status", statusText(p.Status))
	if len(p.Categories) > 1 || (len(p.Categories) == 1 && p.Categories[0] != p.Title) {
		d.addField("Kind", strings.Join(p.Categories, ", "))
	}
	d.addField("For", refNames(c, p.Addresses))
	d.addText("About this plan", p.Description)
	for _, a := range p.Activities {
		v := firstText(a.Name, "Step")
		if a.Status != "" {
			v += " (" + strings.ToLower(statusText(a.Status)) + ")"
		}
		d.addField("Step", v)
	}
	return d
}

func goalDetail(g record.Goal) detailModel {
	d := detailModel{title: goalName(g), subtitle: sinceDate(g.Start), partial: g.Incomplete}
	d.addField("Status", statusText(g.LifecycleStatus))
	d.addField("Progress", statusText(g.AchievementStatus))
	for _, t := range g.Targets {
		v := joinNonEmpty(": ", t.Measure, t.Detail)
		if !t.Due.IsZero() {
			v = joinNonEmpty(", ", v, "by "+dayText(t.Due))
		}
		d.addField("Target", v)
	}
	for _, n := range g.Notes {
		d.addText("Note", n)
	}
	return d
}

func careTeamDetail(c *record.Chart, t record.CareTeam) detailModel {
	d := detailModel{title: firstText(t.Name, "Care team"), subtitle: periodText(t.Period), partial: t.Incomplete}
	d.addField("Status", statusText(t.Status))
	for _, m := range t.Members {
		d.addField(firstText(m.Role, "Member"), firstText(refName(c, m.Member), "Name not given"))
	}
	return d
}
