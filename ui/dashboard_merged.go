package ui

import (
	"context"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/carebook/carebook/app"
	"github.com/carebook/carebook/app/record"
)

// One person at several practices on the home screen: the offer to link
// two profiles that look like the same person (the user confirms or
// declines), and once linked every practice's appointments, results,
// medications and reminders together, each with where it comes from, or
// one practice's own home screen, as the user chooses.

// linkSource is what the dashboard needs for linking and merged views
// (*app.App has it). Its methods read the cache: off the UI goroutine.
type linkSource interface {
	MergedDashboard(ctx context.Context, profileID string) (app.MergedDashboard, error)
	LinkSuggestions(ctx context.Context) ([]app.LinkSuggestion, error)
	LinkProfiles(ctx context.Context, idA, idB string) error
	DeclineLink(ctx context.Context, idA, idB string) error
	UnlinkProfiles(ctx context.Context, id string) error
}

// dashExtra is what the dashboard shows besides the profile's own
// dashboard: its merged dashboard and the link offers about it.
type dashExtra struct {
	merged app.MergedDashboard
	offers []app.LinkSuggestion
}

// dashVM is a dashboard's whole view model.
type dashVM struct {
	own   app.Dashboard
	extra *dashExtra // nil when the source has no merged views
}

// loadAll reads the dashboard, and the merged dashboard and link offers
// where the source has them. Any goroutine.
func (d *dashboardView) loadAll(ctx context.Context) (dashVM, error) {
	ls, ok := d.src.(linkSource)
	if !ok {
		vm, err := d.load(ctx)
		return dashVM{own: vm}, err
	}
	merged, err := ls.MergedDashboard(ctx, d.profileID)
	if err != nil {
		return dashVM{}, err
	}
	offers, err := ls.LinkSuggestions(ctx)
	if err != nil {
		return dashVM{}, err
	}
	var mine []app.LinkSuggestion
	for _, o := range offers {
		if o.A.ID == d.profileID || o.B.ID == d.profileID {
			mine = append(mine, o)
		}
	}
	return dashVM{own: merged.Dashboards[0], extra: &dashExtra{merged: merged, offers: mine}}, nil
}

// applyAll shows vm: the practice chosen alone, or every practice
// together (the default for a linked person). UI goroutine.
func (d *dashboardView) applyAll(vm dashVM) {
	d.extra = vm.extra
	shown := vm.own
	if vm.extra != nil && vm.extra.merged.Linked() {
		found := false
		for i, p := range vm.extra.merged.Profiles {
			if p.ID == d.view {
				shown, found = vm.extra.merged.Dashboards[i], true
			}
		}
		if !found {
			d.view = ""
		}
	} else {
		d.view = ""
	}
	d.apply(shown)
}

// mergedOn is the merged dashboard when the person is linked and every
// practice is shown together, else nil. UI goroutine.
func (d *dashboardView) mergedOn() *app.MergedDashboard {
	if d.extra == nil || !d.extra.merged.Linked() || d.view != "" {
		return nil
	}
	return &d.extra.merged
}

// linkObjects are the link offers and, for a linked person, the choice of
// practice and the way to undo the link. UI goroutine.
func (d *dashboardView) linkObjects() []fyne.CanvasObject {
	if d.extra == nil {
		return nil
	}
	ls, _ := d.src.(linkSource)
	var objs []fyne.CanvasObject
	for _, o := range d.extra.offers {
		text := lang.L("{{.Name}}, born {{.Born}}, has a record at {{.First}} and at {{.Second}}. If this is the same person, Carebook shows the two records together (each item says which practice it comes from). Nothing changes at the practices.",
			map[string]any{"Name": o.Name, "Born": o.BirthDate.String(), "First": o.A.Practice, "Second": o.B.Practice})
		yes := &widget.Button{Text: lang.L("Yes, the same person"), Icon: theme.ConfirmIcon(), Importance: widget.HighImportance,
			OnTapped: func() { d.act(func(ctx context.Context) error { return ls.LinkProfiles(ctx, o.A.ID, o.B.ID) }) }}
		no := &widget.Button{Text: lang.L("No, keep them apart"), Icon: theme.CancelIcon(),
			OnTapped: func() { d.act(func(ctx context.Context) error { return ls.DeclineLink(ctx, o.A.ID, o.B.ID) }) }}
		objs = append(objs, newCard(lang.L("The same person?"), "",
			newColumn(0, false, paragraph(text), buttonRow(yes, no))))
	}
	m := d.extra.merged
	if !m.Linked() {
		return objs
	}
	options := []string{allPractices()}
	selected := allPractices()
	var names []string
	for _, p := range m.Profiles {
		options = append(options, p.Practice)
		names = append(names, p.Practice)
		if p.ID == d.view {
			selected = p.Practice
		}
	}
	picker := widget.NewSelect(options, nil)
	picker.Selected = selected
	picker.OnChanged = func(label string) {
		view := ""
		for _, p := range m.Profiles {
			if p.Practice == label && label != allPractices() {
				view = p.ID
			}
		}
		if view != d.view {
			d.view = view
			d.Refresh()
		}
	}
	// A wrapping button: the Spanish words do not fit a phone's width on one line.
	undo := newWrapButton(lang.L("Not the same person: show apart"), theme.ContentUndoIcon(), widget.MediumImportance, func() {
		d.view = ""
		d.act(func(ctx context.Context) error { return ls.UnlinkProfiles(ctx, d.profileID) })
	})
	objs = append(objs, paragraph(lang.L("Your records from {{.Practices}}, together.", map[string]any{"Practices": listAnd(names)})),
		container.NewBorder(nil, nil, widget.NewLabelWithStyle(lang.L("Practice"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), nil, picker),
		undo)
	return objs
}

// act runs a link action off the UI goroutine, then reloads. UI goroutine.
func (d *dashboardView) act(work func(ctx context.Context) error) {
	background(d.ctx, func(ctx context.Context) (struct{}, error) { return struct{}{}, work(ctx) },
		func(_ struct{}, err error) {
			if err != nil {
				d.content.Objects = append(d.content.Objects, dangerText(lang.L("Carebook could not change this: {{.Why}}", map[string]any{"Why": humanStorageError(err)})))
				d.content.Refresh()
				return
			}
			d.Refresh()
		})
}

// mergedAttention is the "needs attention" card of every practice.
func (d *dashboardView) mergedAttention(m app.MergedDashboard) fyne.CanvasObject {
	var lines []string
	abnormal := false
	for _, at := range m.Attention {
		line := at.Item.Title
		if at.Item.Detail != "" {
			line += ": " + at.Item.Detail
		}
		lines = append(lines, "• "+line+" ("+at.Practices()+")")
		abnormal = abnormal || at.Item.Kind == record.AttentionAbnormalResult
	}
	return card(lang.L("Needs your attention"), strings.Join(lines, "\n"), d.link(lang.L("See results"), "results", abnormal))
}

// mergedUpcoming is the "coming up" card of every practice.
func (d *dashboardView) mergedUpcoming(m app.MergedDashboard, now time.Time) fyne.CanvasObject {
	if len(m.Upcoming) == 0 {
		return card(lang.L("Coming up"), lang.L("No upcoming appointments at any of your practices."), nil)
	}
	var lines []string
	for i, ap := range m.Upcoming {
		if i == 4 {
			lines = append(lines, andMore(len(m.Upcoming)-4))
			break
		}
		lines = append(lines, "• "+appointmentLine(ap.Item, now)+"\n  "+lang.L("at {{.Practice}}", map[string]any{"Practice": ap.Practices()}))
	}
	return card(lang.L("Coming up"), strings.Join(lines, "\n"), d.link(lang.L("See appointments"), "visits", true))
}

// mergedResults is the "new results" card of every practice.
func (d *dashboardView) mergedResults(m app.MergedDashboard) fyne.CanvasObject {
	if len(m.NewResults) == 0 {
		return card(lang.L("Results"), lang.L("No new results since you last looked."), d.link(lang.L("See all results"), "results", true))
	}
	var lines []string
	for i, g := range m.NewResults {
		if i == 4 {
			lines = append(lines, andMore(len(m.NewResults)-4))
			break
		}
		line := "• " + g.Item.Title + ", " + timeText(g.Item.Date) + " (" + g.Practices() + ")"
		if g.Item.Abnormal > 0 {
			line += lang.N(", {{.Count}} values outside the normal range", g.Item.Abnormal, map[string]any{"Count": g.Item.Abnormal})
		}
		lines = append(lines, line)
	}
	return card(lang.L("New results"), strings.Join(lines, "\n"), d.link(lang.L("See results"), "results", true))
}

// mergedMedications is the medications card of every practice: the same
// prescription from two practices once, with both.
func (d *dashboardView) mergedMedications(m app.MergedDashboard, title string) fyne.CanvasObject {
	if len(m.Medications) == 0 {
		return nil
	}
	var names []string
	for i, med := range m.Medications {
		if i == 6 {
			names = append(names, andMore(len(m.Medications)-6))
			break
		}
		names = append(names, "• "+med.Item.Medication+"\n  "+lang.L("from {{.Practice}}", map[string]any{"Practice": med.Practices()}))
	}
	return card(title, strings.Join(names, "\n"), d.link(lang.L("See medications"), "medications", true))
}

// listAnd is "a, b and c" in the current language.
func listAnd(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return lang.L("{{.List}} and {{.Last}}", map[string]any{"List": strings.Join(words[:len(words)-1], ", "), "Last": words[len(words)-1]})
}
