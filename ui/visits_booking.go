package ui

// Booking in the visits section: choose what the visit is for, with whom
// (or anyone) and from when; pick a free time among those the practice
// offers, grouped by day; confirm with a reason. A move is the same flow
// for an existing appointment. A time taken meanwhile shows the practice's
// words and the nearest free times, one tap from booking again.

import (
	"context"
	"errors"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/carebook/carebook/app"
)

// bookingSource is what booking needs from the app core; *app.App
// satisfies it. Every method may block: call them off the UI goroutine.
type bookingSource interface {
	Appointments(ctx context.Context, profileID string) (app.Appointments, error)
	FreeSlots(ctx context.Context, profileID string, q app.SlotQuery) (app.FreeTimes, error)
	NearestFreeSlots(ctx context.Context, profileID string, slot app.FreeSlot, n int) ([]app.FreeSlot, error)
	Book(ctx context.Context, profileID string, req app.BookRequest) (app.Submitted, error)
	Move(ctx context.Context, profileID, id string, slot app.FreeSlot) (app.Submitted, error)
	Cancel(ctx context.Context, profileID, id, reason string) (app.Submitted, error)
	OpenAppointmentInCalendar(ctx context.Context, profileID, id string) error
	AppointmentICS(ctx context.Context, profileID, id string) ([]byte, string, error)
	JoinVideoVisit(ctx context.Context, profileID, id string) error
	DiscardOutboxItem(ctx context.Context, profileID string, seq int64) error
}

// The app core books: the record screen finds out by a type assertion, so
// a method that no longer fits must fail the build, not hide booking.
var _ bookingSource = (*app.App)(nil)

// shownSlots is how many free times the booking page lists before "Show
// more times": a month of a busy practice is hundreds.
const shownSlots = 24

// nearestShown is how many other times a refusal offers.
const nearestShown = 4

// span is a date range the booking page offers: n weeks or months.
type span struct {
	n      int
	months bool
	days   int
}

// label names the range in the current language: "2 weeks".
func (s span) label() string {
	if s.months {
		return lang.N("{{.Count}} months", s.n, map[string]any{"Count": s.n})
	}
	return lang.N("{{.Count}} weeks", s.n, map[string]any{"Count": s.n})
}

// spans are the date ranges the booking page offers.
var spans = []span{{1, false, 7}, {2, false, 14}, {1, true, 30}, {2, true, 60}}

// bookingFlow is the booking page (and the move page) of the visits
// section.
type bookingFlow struct {
	v    *recordView
	md   *masterDetail
	move *app.Appointment // the appointment being moved; nil when booking

	types, providers, span *widget.Select
	from                   *widget.Entry
	status                 *widget.Label
	results                *fyne.Container
	page                   fyne.CanvasObject

	times     app.FreeTimes
	typeCodes []string // parallel to types.Options
	provRefs  []string // parallel to providers.Options; "" = anyone
	shown     int
	gen       int // counts searches, so a late answer is dropped
}

// bookingPage builds the page that finds free times; move is the
// appointment to move, or nil. UI goroutine.
func (v *recordView) bookingPage(md *masterDetail, move *app.Appointment) fyne.CanvasObject {
	f := &bookingFlow{v: v, md: md, move: move}
	title := boldText(lang.L("Book a visit"))
	title.SizeName = theme.SizeNameSubHeadingText
	intro := paragraph(lang.L("Choose what the visit is for and when, then pick a free time."))
	if move != nil {
		title.SetText(lang.L("Move your appointment"))
		intro.SetText(lang.L("Now: {{.What}}, {{.When}}. Pick a new time.",
			map[string]any{"What": move.Title(), "When": whenText(move.Start, move.End)}))
	}
	f.types = widget.NewSelect(nil, func(string) { f.search() })
	f.types.PlaceHolder = lang.L("Loading visit types…")
	f.providers = widget.NewSelect(nil, func(string) { f.search() })
	f.providers.PlaceHolder = lang.L("Anyone")
	// The first day is typed as the device writes dates (year-month-day
	// is read too); the command line keeps year-month-day.
	f.from = widget.NewEntry()
	f.from.SetPlaceHolder(appLocale().DateEntryPattern())
	f.from.SetText(appLocale().DateEntry(sectionClock().Local()))
	f.from.OnSubmitted = func(string) { f.search() }
	labels := make([]string, len(spans))
	for i, s := range spans {
		labels[i] = s.label()
	}
	f.span = widget.NewSelect(labels, func(string) { f.search() })
	f.span.SetSelectedIndex(2)
	find := &widget.Button{Text: lang.L("Find free times"), Icon: theme.SearchIcon(), Importance: widget.HighImportance, OnTapped: f.search}
	f.status = paragraph("")
	f.results = newColumn(detailMaxWidth, false)
	form := newColumn(detailMaxWidth, false,
		title, intro,
		boldText(lang.L("What is the visit for?")), f.types,
		boldText(lang.L("With")), f.providers,
		boldText(lang.L("Search from")), container.NewGridWithColumns(2, f.from, f.span),
		container.NewHBox(find),
		widget.NewSeparator(), f.status, f.results,
	)
	f.page = container.NewVScroll(container.NewPadded(form))
	f.search()
	return f.page
}

// query is what the form asks for.
func (f *bookingFlow) query() (app.SlotQuery, error) {
	var q app.SlotQuery
	from, err := appLocale().ParseDateEntry(f.from.Text, time.Local)
	if err != nil {
		return q, errors.New(lang.L("Please write the first day as {{.Pattern}}, for example {{.Example}}.",
			map[string]any{"Pattern": appLocale().DateEntryPattern(), "Example": appLocale().DateEntry(sectionClock().Local())}))
	}
	q.From = from
	days := spans[2].days
	if i := f.span.SelectedIndex(); i >= 0 {
		days = spans[i].days
	}
	q.To = from.AddDate(0, 0, days-1)
	if i := f.types.SelectedIndex(); i >= 0 && i < len(f.typeCodes) {
		q.VisitType = f.typeCodes[i]
	} else if f.move != nil {
		q.VisitType = f.move.VisitType
	}
	if i := f.providers.SelectedIndex(); i >= 0 && i < len(f.provRefs) {
		q.Provider = f.provRefs[i]
	}
	return q, nil
}

// search asks the practice for free times. UI goroutine.
func (f *bookingFlow) search() {
	if f.status == nil || f.span == nil {
		return // still being built
	}
	f.v.src.Touch()
	q, err := f.query()
	if err != nil {
		f.showStatus(err.Error(), true)
		return
	}
	f.gen++
	gen := f.gen
	f.showStatus(lang.L("Asking the practice for free times…"), false)
	f.results.Objects = nil
	f.results.Refresh()
	runFor(f.v, context.Background(), func(ctx context.Context) (app.FreeTimes, error) {
		return f.v.booking.FreeSlots(ctx, f.v.profileID, q)
	}, func(ft app.FreeTimes, err error) {
		if gen != f.gen {
			return
		}
		if err != nil {
			f.showStatus(freeTimesError(err), true)
			return
		}
		f.times, f.shown = ft, 0
		f.fillChoices(ft, q)
		f.showTimes()
	})
}

// fillChoices puts the practice's visit types and clinicians in the
// drop-downs, keeping what is chosen. UI goroutine.
func (f *bookingFlow) fillChoices(ft app.FreeTimes, q app.SlotQuery) {
	var types []string
	f.typeCodes = nil
	selected := -1
	for i, t := range ft.VisitTypes {
		types = append(types, t.Name)
		f.typeCodes = append(f.typeCodes, t.Code)
		if q.VisitType != "" && (strings.EqualFold(q.VisitType, t.Code) || strings.EqualFold(q.VisitType, t.Name)) {
			selected = i
		}
	}
	f.types.OnChanged = nil
	f.types.PlaceHolder = lang.L("Any kind of visit")
	f.types.SetOptions(types) // refreshes it, with the new placeholder
	if selected >= 0 {
		f.types.SetSelectedIndex(selected)
	}
	f.types.OnChanged = func(string) { f.search() }

	provs := []string{lang.L("Anyone")}
	f.provRefs = []string{""}
	selected = 0
	for _, p := range ft.Providers {
		provs = append(provs, p.Name)
		f.provRefs = append(f.provRefs, p.Ref)
		if p.Ref == q.Provider {
			selected = len(provs) - 1
		}
	}
	f.providers.OnChanged = nil
	f.providers.SetOptions(provs)
	f.providers.SetSelectedIndex(selected)
	f.providers.OnChanged = func(string) { f.search() }
}

// showTimes lists the free times, grouped by day, up to shown + a page.
// UI goroutine.
func (f *bookingFlow) showTimes() {
	slots := f.times.Slots()
	if len(slots) == 0 {
		f.showStatus(lang.L("The practice has no free time for this between {{.From}} and {{.To}}. Try later days, another clinician or another kind of visit.",
			map[string]any{"From": dateText(f.times.From), "To": dateText(f.times.To)}), false)
		f.results.Objects = nil
		f.results.Refresh()
		return
	}
	f.shown = min(len(slots), f.shown+shownSlots)
	f.showStatus(lang.N("{{.Count}} free times from {{.From}} to {{.To}}. Times are in this device's time zone.", len(slots),
		map[string]any{"Count": len(slots), "From": dateText(f.times.From), "To": dateText(f.times.To)}), false)
	f.results.Objects = slotButtons(slots[:f.shown], func(s app.FreeSlot) {
		f.md.push(f.v.confirmPage(f.md, s, f.move, ""))
	})
	if f.shown < len(slots) {
		f.results.Add(&widget.Button{Text: lang.L("Show more times"), Icon: theme.MoreVerticalIcon(), OnTapped: func() {
			f.v.src.Touch()
			f.showTimes()
		}})
	}
	f.results.Refresh()
}

// slotButtons lists slots under a heading per day; each button picks one.
// The visit type is named only when the list mixes several.
func slotButtons(slots []app.FreeSlot, pick func(app.FreeSlot)) []fyne.CanvasObject {
	mixed := false
	for _, s := range slots {
		if s.VisitType.Code != slots[0].VisitType.Code {
			mixed = true
		}
	}
	var objs []fyne.CanvasObject
	var day time.Time
	for _, s := range slots {
		if d := localMidnight(s.Start); !d.Equal(day) {
			day = d
			h := boldText(longDateText(d))
			objs = append(objs, h)
		}
		text := clockText(s.Start) + " · " + firstText(s.Provider.Name, lang.L("Any clinician"))
		if mixed {
			text += " · " + s.VisitType.Name
		}
		s := s
		// A long clinician's name beside a visit type wraps on a phone
		// rather than widening the screen.
		objs = append(objs, newWrapButton(text, nil, widget.MediumImportance, func() { pick(s) }).leading())
	}
	return objs
}

func (f *bookingFlow) showStatus(text string, danger bool) {
	f.status.SetText(text)
	f.status.Importance = widget.MediumImportance
	if danger {
		f.status.Importance = widget.DangerImportance
	}
	f.status.Refresh()
}

// freeTimesError explains why free times could not be had.
func freeTimesError(err error) string {
	switch {
	case errors.Is(err, app.ErrOffline):
		return lang.L("Carebook can't reach your practice right now, so it can't show free times. Please try again when you're online.")
	case errors.Is(err, app.ErrNeedsSignIn):
		return lang.L("Your practice needs you to sign in again before Carebook can show free times.")
	case errors.Is(err, app.ErrInvalidInput):
		return lang.L("Please choose at most four months at once, starting on or after today.")
	}
	return lang.L("Carebook could not get the free times from your practice. Please try again.")
}

// confirmPage shows one chosen time and books (or moves to) it. reason is
// kept when the patient picks another time after a refusal; without one,
// the reason written for a booking before and not sent comes back (a
// booking's reason is kept as a draft until it is booked). UI goroutine.
func (v *recordView) confirmPage(md *masterDetail, slot app.FreeSlot, move *app.Appointment, reason string) fyne.CanvasObject {
	title := boldText(lang.L("Book this time?"))
	if move != nil {
		title.SetText(lang.L("Move to this time?"))
	}
	title.SizeName = theme.SizeNameSubHeadingText
	summary := newColumn(detailMaxWidth, false)
	reasonEntry := widget.NewMultiLineEntry()
	reasonEntry.SetPlaceHolder(lang.L("What would you like to talk about? (optional)"))
	reasonEntry.Wrapping = fyne.TextWrapWord
	reasonEntry.SetMinRowsVisible(3)
	reasonEntry.SetText(reason)
	problem := errorText()
	var saves *autosave[app.FormDraft]
	if move == nil {
		saves = v.keepReason(reasonEntry, problem, app.BookingDraftKey, reason == "")
	}
	outcome := paragraph("")
	outcome.Hide()
	others := newColumn(detailMaxWidth, false)
	var book *widget.Button
	var col *fyne.Container
	chosen := slot

	showSlot := func(s app.FreeSlot) {
		summary.Objects = []fyne.CanvasObject{
			fieldText(lang.L("When"), longDateText(s.Start)+", "+clockText(s.Start)+" – "+clockText(s.End)),
			fieldText(lang.L("With"), firstText(s.Provider.Name, lang.L("A clinician of the practice"))),
			fieldText(lang.L("Kind of visit"), firstText(s.VisitType.Name, lang.L("Visit"))),
		}
		for _, a := range s.Actors {
			if strings.HasPrefix(a.Ref, "Location/") && a.Name != "" {
				summary.Add(fieldText(lang.L("Where"), a.Name))
			}
		}
		summary.Refresh()
	}
	showSlot(slot)

	var submit func(s app.FreeSlot)
	submit = func(s app.FreeSlot) {
		v.src.Touch()
		chosen = s
		showSlot(s)
		book.Disable()
		outcome.Hide()
		others.Objects = nil
		others.Refresh()
		req := app.BookRequest{Slot: s, Reason: reasonEntry.Text}
		if saves != nil {
			req.DraftKey = app.BookingDraftKey
		}
		saves.close() // the booking takes the draft's place
		runFor(v, context.Background(), func(ctx context.Context) (sub app.Submitted, err error) {
			if move != nil {
				return v.booking.Move(ctx, v.profileID, move.ID, s)
			}
			saves.exclusive(func() { sub, err = v.booking.Book(ctx, v.profileID, req) })
			return sub, err
		}, func(sub app.Submitted, err error) {
			book.Enable()
			if !app.Stored(err) || errors.Is(err, app.ErrRefused) {
				// Not booked: the reason stays the patient's draft, for
				// another time (a refusal offers the nearest).
				saves.reopen(app.FormDraft{Text: reasonEntry.Text})
			}
			switch {
			case storedAsAccessEnded(err):
				book.Disable() // stored: not to be stored again
				showOutcome(outcome, storedAsAccessEndedText(), false)
				col.Refresh()
			case err == nil, errors.Is(err, app.ErrQueued), errors.Is(err, app.ErrNeedsSignIn):
				v.afterBooking(sub, err, move != nil)
			default:
				showOutcome(outcome, actionRefusal(err, ""), true)
				if errors.Is(err, app.ErrRefused) {
					v.offerNearest(others, chosen, func(alt app.FreeSlot) { submit(alt) }, func() { col.Refresh() })
				}
				col.Refresh() // lay the words out at the column's width
			}
		})
	}
	label := lang.L("Book this time")
	if move != nil {
		label = lang.L("Move to this time")
	}
	book = &widget.Button{Text: label, Icon: theme.ConfirmIcon(), Importance: widget.HighImportance, OnTapped: func() { submit(chosen) }}
	objs := []fyne.CanvasObject{title, summary}
	if move == nil {
		objs = append(objs, boldText(lang.L("Reason for the visit")), reasonEntry, problem)
	}
	buttons := newFlow(book)
	if saves != nil {
		buttons.Add(saves.discardButton(v.src.Touch, func() { reasonEntry.SetText("") }))
	}
	objs = append(objs, buttons, outcome, others)
	col = newColumn(detailMaxWidth, false, objs...)
	return container.NewVScroll(container.NewPadded(col))
}

// keepReason keeps what the patient writes in entry, a reason (a new
// booking's, or for cancelling a visit), as the draft under key (a failed
// save shown in problem), filled with the draft written before when fill
// is set and the patient has not started writing; nil when the source
// keeps no drafts. UI goroutine.
func (v *recordView) keepReason(entry *widget.Entry, problem *widget.Label, key string, fill bool) *autosave[app.FormDraft] {
	saves := newFormAutosave(v.src, v.profileID, key)
	if saves == nil {
		return nil
	}
	saves.shown = showSaveProblem(problem)
	entry.OnChanged = func(text string) {
		v.src.Touch()
		saves.changed(app.FormDraft{Text: text})
	}
	if fill {
		runFor(v, context.Background(), func(ctx context.Context) (app.FormDraft, error) {
			return loadFormDraft(ctx, v.src, v.profileID, key)
		}, func(d app.FormDraft, err error) {
			if err == nil && entry.Text == "" && d.Text != "" {
				changed := entry.OnChanged
				entry.OnChanged = nil // what is read back needs no saving
				entry.SetText(d.Text)
				entry.OnChanged = changed
			}
		})
	}
	return saves
}

// offerNearest asks for the free times nearest to a taken one and lists
// them in box; picking one books it at once. UI goroutine.
// relayout lays out what holds box again, once its content changed.
func (v *recordView) offerNearest(box *fyne.Container, taken app.FreeSlot, pick func(app.FreeSlot), relayout func()) {
	box.Objects = []fyne.CanvasObject{paragraph(lang.L("Looking for the nearest free times…"))}
	box.Refresh()
	runFor(v, context.Background(), func(ctx context.Context) ([]app.FreeSlot, error) {
		return v.booking.NearestFreeSlots(ctx, v.profileID, taken, nearestShown)
	}, func(slots []app.FreeSlot, err error) {
		switch {
		case err != nil:
			box.Objects = []fyne.CanvasObject{paragraph(lang.L("Carebook could not get other free times just now. Go back to choose another time."))}
		case len(slots) == 0:
			box.Objects = []fyne.CanvasObject{paragraph(lang.L("The practice has no other free time close to this one. Go back to search other days."))}
		default:
			box.Objects = append([]fyne.CanvasObject{boldText(lang.L("The nearest free times (one tap books it)"))},
				slotButtons(slots, pick)...)
		}
		box.Refresh()
		relayout()
	})
}

// afterBooking shows the new or changed appointment in the list: reloaded,
// with its details open. UI goroutine.
func (v *recordView) afterBooking(sub app.Submitted, err error, moved bool) {
	key := sub.LocalID
	if id, ok := strings.CutPrefix(sub.Ref, "Appointment/"); ok {
		key = "Appointment/" + id
	}
	s := v.section("visits")
	if s != nil {
		s.reopenKey = key
	}
	v.Refresh()
}

// showOutcome shows text in l, in the danger colour when refused.
func showOutcome(l *widget.Label, text string, danger bool) {
	l.SetText(text)
	l.Importance = widget.MediumImportance
	if danger {
		l.Importance = widget.DangerImportance
	}
	l.Show()
	l.Refresh()
}

// actionRefusal explains a failed booking, move or cancellation: the
// practice's own words when it refused, with its phone number when known.
func actionRefusal(err error, phone string) string {
	var refused *app.RefusedError
	switch {
	case errors.As(err, &refused):
		// The practice's own words, as it wrote them.
		msg := strings.TrimSpace(refused.Message)
		if msg == "" {
			msg = lang.L("The practice refused this.")
		}
		if phone != "" {
			msg += "\n" + lang.L("The practice's phone number: {{.Phone}}", map[string]any{"Phone": phone})
		}
		return msg
	case errors.Is(err, app.ErrInvalidInput):
		return lang.L("Carebook could not do this: {{.Problem}}", map[string]any{"Problem": humanActionError(err)})
	case errors.Is(err, app.ErrOffline):
		return lang.L("Carebook can't reach your practice right now. Please try again when you're online.")
	}
	return lang.L("Something went wrong and nothing was sent. Please try again.")
}

// Formats of times in the device's time zone.
func localMidnight(t time.Time) time.Time {
	t = t.Local()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.Local)
}

func clockText(t time.Time) string { return appLocale().Time(t.Local()) }

func longDateText(t time.Time) string { return appLocale().LongDate(t.Local()) }

func dateText(t time.Time) string { return appLocale().Date(t.Local()) }

// whenText is "Tuesday 8 December 2026, 09:30 – 09:50".
func whenText(start, end time.Time) string {
	if start.IsZero() {
		return lang.L("time to be set by the practice")
	}
	s := longDateText(start) + ", " + clockText(start)
	if !end.IsZero() && end.After(start) {
		s += " – " + clockText(end)
	}
	return s
}
