package ui

import (
	"context"
	"fmt"
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

// dashboardSource is what the dashboard needs of the app core.
type dashboardSource interface {
	Dashboard(ctx context.Context, profileID string) (app.Dashboard, error)
}

// dashboardView is the home screen of one profile: what matters today,
// each item leading to the screen that has the details.
type dashboardView struct {
	src       dashboardSource
	profileID string
	// open shows a section of the health record ("results", ...).
	open func(section string)
	// openRequests shows the Requests screen; nil hides the link.
	openRequests func()

	content *fyne.Container
	scroll  *container.Scroll
	ctx     context.Context
	now     func() time.Time
	// extra is the merged dashboard and link offers (dashboard_merged.go);
	// view is the practice's profile shown alone, "" for all together.
	// UI goroutine.
	extra *dashExtra
	view  string
}

// newDashboardView builds the dashboard of profileID; call Refresh to fill
// it. UI goroutine.
func newDashboardView(ctx context.Context, src dashboardSource, profileID string, open func(string)) *dashboardView {
	d := &dashboardView{src: src, profileID: profileID, open: open, ctx: ctx, now: time.Now}
	d.content = newColumn(760, false, paragraph(lang.L("Loading your record…")))
	d.scroll = container.NewVScroll(container.NewPadded(d.content))
	return d
}

// CanvasObject is the view's root object.
func (d *dashboardView) CanvasObject() fyne.CanvasObject { return d.scroll }

// Refresh reloads the dashboard from the cache. UI goroutine.
func (d *dashboardView) Refresh() {
	background(d.ctx, d.loadAll, func(vm dashVM, err error) {
		if err != nil {
			d.content.Objects = []fyne.CanvasObject{paragraph(lang.L("Carebook could not read this record. {{.Why}}", map[string]any{"Why": humanStorageError(err)}))}
			d.content.Refresh()
			return
		}
		d.applyAll(vm)
	})
}

// load reads the dashboard; no widgets. Any goroutine.
func (d *dashboardView) load(ctx context.Context) (app.Dashboard, error) {
	return d.src.Dashboard(ctx, d.profileID)
}

// apply shows vm. UI goroutine.
func (d *dashboardView) apply(vm app.Dashboard) {
	now := d.now()
	objs := []fyne.CanvasObject{heading(greeting(vm))}
	if vm.FileDamaged {
		objs = append(objs, card(lang.L("Carebook's data file is damaged"),
			lang.L("Carebook's check found damage in the file where it keeps your records on this device.")+" "+damagedFileAdvice(), nil))
	}
	merged := d.mergedOn()
	incomplete := vm.Incomplete
	if merged != nil {
		for _, other := range merged.Dashboards {
			incomplete = incomplete || other.Incomplete
		}
	}
	if incomplete {
		objs = append(objs, card(lang.L("Not downloaded in full yet"),
			lang.L("Carebook has not finished downloading this record from the practice yet. Until it has, what you see here may be incomplete, and general health guidance is not shown."), nil))
	}
	objs = append(objs, d.linkObjects()...)
	who := vm.Profile
	if !who.Self {
		// A parent or caregiver: say whose record this is, right away.
		line := lang.L("You're looking at {{.Name}}'s record.", map[string]any{"Name": firstOf(vm.PatientName)})
		if who.Relationship != "" {
			line = lang.L("You're looking at {{.Name}}'s record ({{.Relationship}}).",
				map[string]any{"Name": firstOf(vm.PatientName), "Relationship": who.Relationship})
		}
		objs = append(objs, paragraph(line))
	}
	if vm.Access.Limited {
		objs = append(objs, card(lang.L("What the practice shares"), sharedText(who, vm.Access), nil))
	}
	hidden := func(types ...string) string {
		if h, reason := vm.Access.Hides(types...); h {
			return reason
		}
		return "-"
	}

	if vm.FailedSends > 0 {
		objs = append(objs, card(lang.L("Couldn't be sent"),
			lang.N("{{.Count}} items couldn't be sent: the practice refused it. Carebook keeps a copy on this device.", vm.FailedSends,
				map[string]any{"Count": vm.FailedSends}), nil))
	}
	switch {
	case vm.PendingSends > 0 && vm.Profile.Ended:
		// Nothing can go: the card says so, in the words of each item's.
		objs = append(objs, card(lang.N("{{.Count}} items not sent", vm.PendingSends, map[string]any{"Count": vm.PendingSends}),
			storedAsAccessEndedItems(vm.PendingSends), nil))
	case vm.PendingSends > 0:
		objs = append(objs, card(lang.L("Waiting to be sent"),
			lang.N("{{.Count}} items will be sent when Carebook next reaches the practice.", vm.PendingSends,
				map[string]any{"Count": vm.PendingSends}), nil))
	}

	if merged != nil && len(merged.Attention) > 0 {
		objs = append(objs, d.mergedAttention(*merged))
	} else if merged == nil && len(vm.Attention) > 0 {
		var lines []string
		for _, at := range vm.Attention {
			line := at.Title
			if at.Detail != "" {
				line += ": " + at.Detail
			}
			lines = append(lines, "• "+line)
		}
		objs = append(objs, card(lang.L("Needs your attention"), strings.Join(lines, "\n"),
			d.link(lang.L("See results"), "results", hasKind(vm.Attention, record.AttentionAbnormalResult))))
	}

	if len(vm.Due) > 0 {
		objs = append(objs, d.dueCard(vm.Due))
	}

	if merged != nil {
		objs = append(objs, d.mergedUpcoming(*merged, now))
	} else if len(vm.Upcoming) > 0 {
		var lines []string
		for i, ap := range vm.Upcoming {
			if i == 3 {
				lines = append(lines, andMore(len(vm.Upcoming)-3))
				break
			}
			lines = append(lines, "• "+appointmentLine(ap, now))
		}
		objs = append(objs, card(lang.L("Coming up"), strings.Join(lines, "\n"), d.link(lang.L("See appointments"), "visits", true)))
	} else {
		objs = append(objs, card(lang.L("Coming up"), lang.L("No upcoming appointments."), nil))
	}

	switch n := len(vm.Unread); {
	case hidden("Communication") != "-":
		objs = append(objs, card(lang.L("Messages"), hiddenText(who, lang.L("messages"), hidden("Communication")), nil))
	case n == 0:
		objs = append(objs, card(lang.L("Messages"), lang.L("No new messages from your practice."), d.link(lang.L("See messages"), "messages", true)))
	default:
		latest := vm.Unread[0]
		text := lang.N("{{.Count}} new messages from your practice.", n, map[string]any{"Count": n})
		// Who wrote them; how many each, when more than one wrote (one
		// person's count is the count above).
		var from []string
		for _, u := range vm.UnreadBy {
			if len(vm.UnreadBy) == 1 {
				from = append(from, u.From)
				continue
			}
			from = append(from, fmt.Sprintf("%s: %d", u.From, u.Count))
		}
		if len(from) > 0 {
			text += "\n" + lang.L("From {{.Senders}}", map[string]any{"Senders": strings.Join(from, " · ")})
		}
		if latest.Topic != "" {
			text += "\n" + lang.L("Latest: {{.Topic}}", map[string]any{"Topic": latest.Topic})
		}
		objs = append(objs, card(lang.L("Messages"), text, d.link(lang.L("Read messages"), "messages", true)))
	}

	if reason := hidden("Observation", "DiagnosticReport"); reason != "-" {
		objs = append(objs, card(lang.L("Results"), hiddenText(who, lang.L("test results"), reason), nil))
	} else if merged != nil {
		objs = append(objs, d.mergedResults(*merged))
	} else if n := len(vm.NewResults); n > 0 {
		var lines []string
		for i, g := range vm.NewResults {
			if i == 4 {
				lines = append(lines, andMore(n-4))
				break
			}
			line := "• " + g.Title + ", " + timeText(g.Date)
			if g.Abnormal > 0 {
				line += " " + lang.N("({{.Count}} values outside the normal range)", g.Abnormal, map[string]any{"Count": g.Abnormal})
			}
			lines = append(lines, line)
		}
		objs = append(objs, card(lang.L("New results"), strings.Join(lines, "\n"), d.link(lang.L("See results"), "results", true)))
	} else {
		objs = append(objs, card(lang.L("Results"), lang.L("No new results since you last looked."), d.link(lang.L("See all results"), "results", true)))
	}

	if len(vm.Requests) > 0 {
		var lines []string
		for i, r := range vm.Requests {
			if i == 4 {
				lines = append(lines, andMore(len(vm.Requests)-4))
				break
			}
			lines = append(lines, "• "+requestLine(r, vm.Profile.Ended))
		}
		var link *widget.Button
		if d.openRequests != nil {
			link = &widget.Button{Text: lang.L("See requests"), Icon: theme.NavigateNextIcon(), IconPlacement: widget.ButtonIconTrailingText,
				OnTapped: d.openRequests}
		}
		objs = append(objs, card(upperFirst(requestCountText(len(vm.Requests))), strings.Join(lines, "\n"), link))
	}

	if len(vm.BalanceDue) > 0 {
		var amounts []string
		for _, m := range vm.BalanceDue {
			amounts = append(amounts, m.String())
		}
		objs = append(objs, card(lang.L("Balance due"), strings.Join(amounts, ", "), d.link(lang.L("See statements"), "billing", true)))
	}

	if merged != nil {
		title := medicationsTitle(who, vm.PatientName)
		if c := d.mergedMedications(*merged, title); c != nil {
			objs = append(objs, c)
		}
	} else if n := len(vm.Medications); n > 0 {
		var names []string
		for i, m := range vm.Medications {
			if i == 5 {
				names = append(names, andMore(n-5))
				break
			}
			names = append(names, "• "+m.Medication)
		}
		objs = append(objs, card(medicationsTitle(who, vm.PatientName), strings.Join(names, "\n"), d.link(lang.L("See medications"), "medications", true)))
	}

	d.content.Objects = objs
	d.content.Refresh()
}

// dueCard lists the preventive care due, each saying whether it is the
// practice's recommendation or general guidance. UI goroutine.
func (d *dashboardView) dueCard(due []record.CareDue) fyne.CanvasObject {
	var lines []string
	guidance := false
	for _, it := range due {
		lines = append(lines, "• "+app.CareDueHeading(it)+"\n  "+it.Detail)
		guidance = guidance || it.Guidance
	}
	if guidance {
		lines = append(lines, "\n"+lang.L("General guidance comes from common advice and what your record shows; your practice knows what is right for you."))
	}
	return card(lang.L("Preventive care"), strings.Join(lines, "\n"), d.link(lang.L("See immunizations"), "immunizations", true))
}

// link is a button opening a record section, or nil when show is false.
func (d *dashboardView) link(text, section string, show bool) *widget.Button {
	if !show || d.open == nil {
		return nil
	}
	return &widget.Button{Text: text, Icon: theme.NavigateNextIcon(), IconPlacement: widget.ButtonIconTrailingText,
		OnTapped: func() { d.open(section) }}
}

// card is a titled block of text with an optional action.
func card(title, text string, action *widget.Button) fyne.CanvasObject {
	body := paragraph(text)
	var content fyne.CanvasObject = body
	if action != nil {
		content = newColumn(0, false, body, container.NewHBox(action))
	}
	return newCard(title, "", content)
}

// greeting greets whoever signed in: the patient, or the parent or
// caregiver looking at someone else's record.
func greeting(vm app.Dashboard) string {
	name := vm.Profile.UserName
	if name == "" && vm.Profile.Self {
		name = firstOf(vm.PatientName)
	}
	if name == "" {
		if vm.Profile.Self {
			return lang.L("Your health today")
		}
		return lang.L("{{.Name}}'s health today", map[string]any{"Name": firstOf(vm.PatientName)})
	}
	return lang.L("Hello, {{.Name}}", map[string]any{"Name": name})
}

// medicationsTitle is "Your medications", or the patient's for a parent
// or caregiver.
func medicationsTitle(who app.ProfileInfo, patientName string) string {
	if who.Self {
		return lang.L("Your medications")
	}
	return lang.L("{{.Name}}'s medications", map[string]any{"Name": firstOf(patientName)})
}

// andMore is the last line of a shortened list: "and 3 more".
func andMore(n int) string {
	return lang.N("and {{.Count}} more", n, map[string]any{"Count": n})
}

func hasKind(items []record.Attention, kind record.AttentionKind) bool {
	for _, it := range items {
		if it.Kind == kind {
			return true
		}
	}
	return false
}

// appointmentLine is "Tue, Mar 14, 9:30 AM — Annual checkup with Dr Lee".
func appointmentLine(ap record.Appointment, now time.Time) string {
	when := timeText(ap.Start)
	if ap.Start.Precision == record.PrecisionTime {
		t := ap.Start.Time.In(now.Location())
		when = appLocale().WeekdayDateTime(t, t.Year() != now.Year())
	}
	what := appointmentTitle(ap)
	if ap.Status == "pending" || ap.Status == "proposed" {
		what = lang.L("{{.What}} (requested, not confirmed yet)", map[string]any{"What": what})
	}
	return when + " — " + what
}

// requestLine is "Refill: Lisinopril 10 MG Oral Tablet — In progress";
// ended says the practice ended this access to the record.
func requestLine(r app.Request, ended bool) string {
	if ended && r.State == app.RequestWaiting {
		return r.Title + " — " + accessEndedFlag()
	}
	line := r.Title + " — " + r.State.Headline()
	if r.Words != "" && r.State != app.RequestWaiting {
		line += " (" + r.Words + ")"
	}
	return line
}
