package ui

import (
	"context"
	"errors"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/carebook/carebook/app"
	"github.com/carebook/carebook/app/record"
)

// joinCheckEvery is how often an appointment's page checks whether its
// video visit can be joined (the button shows from 15 minutes before the
// start until the end); tests shorten it.
var joinCheckEvery = 20 * time.Second

// stateText says an appointment's state in words; ended says the
// practice ended this access to the record.
func stateText(ap app.Appointment, ended bool) string {
	switch ap.State {
	case app.StateWaiting:
		if ended {
			return storedAsAccessEndedText()
		}
		if ap.MayHaveReached {
			return mayHaveReachedText()
		}
		return lang.L("Not sent yet: this time is not held for you until Carebook sends your booking to the practice")
	case app.StateRequested:
		return lang.L("Requested: waiting for the practice to confirm")
	case app.StateBooked:
		return lang.L("Booked")
	case app.StateCancelled:
		return lang.L("Cancelled")
	case app.StateMissed:
		return lang.L("Missed")
	case app.StateDone:
		return lang.L("Done")
	case app.StateFailed:
		return lang.L("Not booked: the practice refused it")
	}
	return statusText(ap.Status)
}

// stateFlag is a list row's flag for states that need attention; ended
// says the practice ended this access to the record. info says the flag
// only informs (questions to answer before the visit): nothing is wrong.
func stateFlag(ap app.Appointment, ended bool) (flag string, info bool) {
	switch {
	case ap.State == app.StateFailed:
		return lang.L("Refused"), false
	case ap.Problem != "":
		return lang.L("Change refused"), false
	case ap.State == app.StateWaiting && ended:
		return accessEndedFlag(), false
	case ap.State == app.StateWaiting && ap.MayHaveReached:
		return lang.L("Waiting"), false // it may have been sent
	case ap.State == app.StateWaiting || ap.Change != "":
		return lang.L("Not sent"), false
	case ap.State == app.StateRequested:
		return lang.L("Requested"), false
	case ap.QuestionsToAnswer > 0 && ap.Upcoming(sectionClock()):
		return lang.L("Questions"), true
	}
	return "", false
}

// appointmentKey is the list key of an appointment.
func appointmentKey(ap app.Appointment) string {
	if ap.ID != "" {
		return "Appointment/" + ap.ID
	}
	return ap.LocalID
}

// appointmentItem is an appointment's row in the visits list; ended says
// the practice ended this access to the record.
func appointmentItem(ap app.Appointment, ended bool) listItem {
	flag, info := stateFlag(ap, ended)
	return listItem{
		title:    ap.Title(),
		detail:   joinNonEmpty(" · ", shortWhen(ap.Start), firstText(videoWord(ap), ap.Location)),
		flag:     flag,
		flagInfo: info,
		key:      appointmentKey(ap),
	}
}

func videoWord(ap app.Appointment) string {
	if ap.JoinURL != "" {
		return lang.L("Video visit")
	}
	return ""
}

func shortWhen(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return appLocale().WeekdayDateTime(t.Local(), true)
}

// appointmentModel is the details of an appointment, with its actions;
// ended says the practice ended this access to the record, so a booking
// waiting cannot be sent.
func appointmentModel(ap app.Appointment, ended bool) detailModel {
	d := detailModel{title: ap.Title(), subtitle: whenText(ap.Start, ap.End)}
	a := ap
	d.appt = &a
	d.addField(lang.L("Status"), stateText(ap, ended))
	if ap.Problem != "" {
		d.flag = ap.Problem
	}
	d.addField(lang.L("Change"), ap.Change)
	d.addField(lang.L("With"), ap.Provider)
	if ap.JoinURL != "" {
		d.addField(lang.L("Where"), lang.L("Video visit: join from this device"))
	} else {
		d.addField(lang.L("Where"), joinNonEmpty(", ", ap.Location, ap.Address))
	}
	d.addField(lang.L("Phone"), firstText(ap.Phone, ap.PracticePhone))
	d.addField(lang.L("Kind of visit"), ap.VisitType)
	d.addField(lang.L("Reason"), ap.Reason)
	d.addText(lang.L("Before your visit"), ap.Instruction)
	return d
}

// appointmentActions are the buttons of an appointment's details: the
// questions the practice asks before the visit, join (video visits, at the
// right time), add to calendar, move and cancel.
// UI goroutine.
// alive reports whether the page they are on is still shown; relayout
// lays that page out again (the Join button came or went).
func (v *recordView) appointmentActions(md *masterDetail, ap app.Appointment, alive func() bool, relayout func()) []fyne.CanvasObject {
	if v.booking == nil {
		return nil
	}
	now := sectionClock()
	problem := errorText()
	var objs []fyne.CanvasObject
	if ap.ID != "" && len(ap.Questionnaires) > 0 && ap.Upcoming(now) && ap.State != app.StateFailed {
		if b := v.questionsBlock(md, ap, relayout); b != nil {
			objs = append(objs, b)
		}
	}
	if ap.JoinURL != "" && ap.Upcoming(now) {
		objs = append(objs, v.joinRow(ap, problem, alive, relayout))
	}
	row := newFlow()
	if ap.ID != "" && ap.Upcoming(now) && ap.State != app.StateWaiting {
		row.Add(&widget.Button{Text: lang.L("Add to calendar"), Icon: theme.CalendarIcon(), OnTapped: func() {
			v.src.Touch()
			problem.Hide()
			runFor(v, context.Background(), func(ctx context.Context) (struct{}, error) {
				return struct{}{}, v.booking.OpenAppointmentInCalendar(ctx, v.profileID, ap.ID)
			}, func(_ struct{}, err error) {
				if err != nil {
					showError(problem, lang.L("Carebook could not hand this appointment to your calendar. Try saving the file instead."))
					relayout()
				}
			})
		}})
		if v.win != nil {
			row.Add(&widget.Button{Text: lang.L("Save .ics file"), Icon: theme.DocumentSaveIcon(), OnTapped: func() { v.saveICS(ap, problem, relayout) }})
		}
	}
	if ap.Changeable(now) {
		a := ap
		row.Add(&widget.Button{Text: lang.L("Move"), Icon: theme.MailForwardIcon(), OnTapped: func() {
			v.src.Touch()
			md.push(v.bookingPage(md, &a))
		}})
		row.Add(&widget.Button{Text: lang.L("Cancel appointment"), Icon: theme.CancelIcon(), Importance: widget.DangerImportance, OnTapped: func() {
			v.src.Touch()
			md.push(v.cancelPage(md, a))
		}})
	}
	if ap.State == app.StateFailed {
		row.Add(&widget.Button{Text: lang.L("Choose another time"), Icon: theme.SearchIcon(), Importance: widget.HighImportance, OnTapped: func() {
			v.src.Touch()
			md.push(v.bookingPage(md, nil))
		}})
	}
	if ap.ProblemSeq != 0 {
		label := lang.L("Dismiss this note")
		if ap.State == app.StateFailed {
			label = lang.L("Remove")
		}
		row.Add(&widget.Button{Text: label, Icon: theme.DeleteIcon(), OnTapped: func() {
			v.src.Touch()
			runFor(v, context.Background(), func(ctx context.Context) (struct{}, error) {
				return struct{}{}, v.booking.DiscardOutboxItem(ctx, v.profileID, ap.ProblemSeq)
			}, func(_ struct{}, err error) {
				if err != nil {
					showError(problem, lang.L("Carebook could not remove it. Please try again."))
					relayout()
					return
				}
				if ap.State != app.StateFailed {
					v.section("visits").reopenKey = appointmentKey(ap)
				}
				v.Refresh()
			})
		}})
	}
	if len(row.Objects) > 0 {
		objs = append(objs, widget.NewSeparator(), row)
	}
	return append(objs, problem)
}

// joinRow is a video visit's Join button, shown from JoinEarly before the
// start until the end, or a note saying when it will show. It checks the
// clock every joinCheckEvery while its page is on show. UI goroutine.
func (v *recordView) joinRow(ap app.Appointment, problem *widget.Label, alive func() bool, relayout func()) fyne.CanvasObject {
	join := &widget.Button{Text: lang.L("Join video visit"), Icon: theme.MediaVideoIcon(), Importance: widget.HighImportance}
	join.OnTapped = func() {
		v.src.Touch()
		problem.Hide()
		confirmLeaving(v.win, lang.L("Join video visit"), lang.L("your video visit"), ap.JoinURL, func() {
			runFor(v, context.Background(), func(ctx context.Context) (struct{}, error) {
				return struct{}{}, v.booking.JoinVideoVisit(ctx, v.profileID, firstText(ap.ID, ap.LocalID))
			}, func(_ struct{}, err error) {
				if err != nil {
					showError(problem, lang.L("Carebook could not open the video visit in your browser."))
					relayout()
				}
			})
		})
	}
	note := paragraph("")
	row := newColumn(0, false, note, container.NewHBox(join))
	open := false
	update := func(first bool) {
		now := ap.JoinOpen(sectionClock())
		if now == open && !first {
			return
		}
		open = now
		if open {
			join.Show()
			note.SetText(lang.L("Your video visit is open: join when you are ready."))
		} else {
			join.Hide()
			note.SetText(lang.L("This is a video visit. A Join button shows here from 15 minutes before it starts."))
		}
		if !first {
			row.Refresh()
			relayout()
		}
	}
	update(true)
	stop := make(chan struct{})
	// Read here, on the UI goroutine: the ticker's goroutine must not
	// touch package variables tests change.
	do, every := doOnUI, joinCheckEvery
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-t.C:
			case <-stop:
				return
			}
			do(func() {
				// The page was left, or its window closed: stop.
				if !alive() || fyne.CurrentApp().Driver().CanvasForObject(row) == nil {
					select {
					case <-stop:
					default:
						close(stop)
					}
					return
				}
				update(false)
			})
		}
	}()
	return row
}

// saveICS asks where to save the appointment's calendar file and writes
// it there (the patient's choice; never a temporary file). UI goroutine.
func (v *recordView) saveICS(ap app.Appointment, problem *widget.Label, relayout func()) {
	v.src.Touch()
	problem.Hide()
	runFor(v, context.Background(), func(ctx context.Context) (icsFile, error) {
		data, name, err := v.booking.AppointmentICS(ctx, v.profileID, ap.ID)
		return icsFile{data, name}, err
	}, func(f icsFile, err error) {
		if err != nil {
			showError(problem, lang.L("Carebook could not make the calendar file."))
			relayout()
			return
		}
		d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
			if err != nil || w == nil {
				return
			}
			defer w.Close()
			if _, err := w.Write(f.data); err != nil {
				showError(problem, lang.L("Carebook could not save the calendar file there."))
				relayout()
			}
		}, v.win)
		d.SetFileName(f.name)
		d.Show()
	})
}

type icsFile struct {
	data []byte
	name string
}

// cancelPage asks for a reason and cancels the appointment. A refusal
// shows the practice's words and phone number. The reason is kept as the
// visit's draft (CancelDraftKey) until the cancellation is stored. UI
// goroutine.
func (v *recordView) cancelPage(md *masterDetail, ap app.Appointment) fyne.CanvasObject {
	title := boldText(lang.L("Cancel this appointment?"))
	title.SizeName = theme.SizeNameSubHeadingText
	reason := widget.NewMultiLineEntry()
	reason.SetPlaceHolder(lang.L("Why are you cancelling? (optional)"))
	reason.Wrapping = fyne.TextWrapWord
	reason.SetMinRowsVisible(2)
	problem := errorText()
	saves := v.keepReason(reason, problem, app.CancelDraftKey(ap.ID), true)
	outcome := paragraph("")
	outcome.Hide()
	var col *fyne.Container
	var cancel *widget.Button
	cancel = &widget.Button{Text: lang.L("Cancel appointment"), Icon: theme.CancelIcon(), Importance: widget.DangerImportance, OnTapped: func() {
		v.src.Touch()
		cancel.Disable()
		outcome.Hide()
		text := reason.Text
		saves.close() // the cancellation takes the draft's place
		runFor(v, context.Background(), func(ctx context.Context) (sub app.Submitted, err error) {
			saves.exclusive(func() { sub, err = v.booking.Cancel(ctx, v.profileID, ap.ID, text) })
			return sub, err
		}, func(sub app.Submitted, err error) {
			cancel.Enable()
			if !app.Stored(err) {
				saves.reopen(app.FormDraft{Text: reason.Text}) // not stored: the reason stays the patient's
			}
			switch {
			case storedAsAccessEnded(err):
				cancel.Disable() // stored: not to be stored again
				showOutcome(outcome, storedAsAccessEndedText(), false)
				col.Refresh()
			case err == nil, errors.Is(err, app.ErrQueued), errors.Is(err, app.ErrNeedsSignIn):
				v.afterBooking(app.Submitted{Ref: "Appointment/" + ap.ID}, err, false)
			default:
				showOutcome(outcome, actionRefusal(err, firstText(ap.Phone, ap.PracticePhone)), true)
				col.Refresh() // lay the words out at the column's width
			}
		})
	}}
	buttons := newFlow(cancel)
	if saves != nil {
		buttons.Add(saves.discardButton(v.src.Touch, func() { reason.SetText("") }))
	}
	col = newColumn(detailMaxWidth, false,
		title,
		paragraph(ap.Title()+"\n"+whenText(ap.Start, ap.End)),
		boldText(lang.L("Reason")), reason, problem,
		buttons, outcome,
	)
	return container.NewVScroll(container.NewPadded(col))
}

// visitsSectionWith is the visits section with the appointments of the
// app core (their states, bookings not sent yet) instead of those of the
// record alone.
func visitsSectionWith(c *record.Chart, appts app.Appointments) sectionModel {
	m := visitsSection(c)
	load := m.load // not m: its list is copied below
	// The record's own "Coming up" rows are replaced by the app's.
	var items []listItem
	var details []func(ctx context.Context, read entryReader) (detailModel, error)
	// The record's headers, in the words visitsSection gives them.
	comingUp, pastVisits := lang.L("Coming up"), lang.L("Past visits")
	for i, it := range m.items {
		if it.header && it.title == comingUp {
			continue
		}
		if it.key != "" && isUpcomingKey(it.key, c) {
			continue
		}
		if it.header && it.title == pastVisits {
			continue
		}
		i := i
		items = append(items, it)
		details = append(details, func(ctx context.Context, read entryReader) (detailModel, error) { return load(ctx, read, i) })
	}
	var head []listItem
	var headDetails []func(ctx context.Context, read entryReader) (detailModel, error)
	head = append(head, listItem{header: true, title: comingUp})
	headDetails = append(headDetails, nil)
	for _, ap := range appts.Upcoming {
		ap := ap
		head = append(head, appointmentItem(ap, appts.AccessEnded))
		headDetails = append(headDetails, func(context.Context, entryReader) (detailModel, error) {
			return appointmentModel(ap, appts.AccessEnded), nil
		})
	}
	if len(appts.Upcoming) == 0 {
		none, hint := lang.L("No appointments coming up"), lang.L("Tap \"Book a visit\" to make one.")
		head = append(head, listItem{title: none, detail: hint})
		headDetails = append(headDetails, func(context.Context, entryReader) (detailModel, error) {
			return detailModel{title: none, subtitle: hint}, nil
		})
	}
	var past []app.Appointment
	for _, ap := range appts.Past {
		if ap.State == app.StateCancelled || ap.State == app.StateMissed || ap.State == app.StateFailed {
			past = append(past, ap)
		}
	}
	if len(past) > 0 {
		head = append(head, listItem{header: true, title: lang.L("Cancelled, missed or refused")})
		headDetails = append(headDetails, nil)
		for _, ap := range past {
			ap := ap
			head = append(head, appointmentItem(ap, appts.AccessEnded))
			headDetails = append(headDetails, func(context.Context, entryReader) (detailModel, error) {
				return appointmentModel(ap, appts.AccessEnded), nil
			})
		}
	}
	if len(items) > 0 {
		head = append(head, listItem{header: true, title: pastVisits})
		headDetails = append(headDetails, nil)
	}
	allItems := append(head, items...)
	allDetails := append(headDetails, details...)
	return sectionModel{
		items: allItems,
		empty: m.empty,
		load: func(ctx context.Context, read entryReader, i int) (detailModel, error) {
			return allDetails[i](ctx, read)
		},
	}
}

// isUpcomingKey reports whether key is one of the record's upcoming
// appointments (listed by the app instead).
func isUpcomingKey(key string, c *record.Chart) bool {
	for _, ap := range record.UpcomingAppointments(c.Appointments, sectionClock()) {
		if ap.Key() == key {
			return true
		}
	}
	return false
}

// flowLayout places buttons side by side, wrapping to a new line when the
// next one would not fit: one row on a desktop, a few lines on a phone.
// Its height depends on its width, which it learns from Layout (the
// column layout gives every object its width before asking its height).
type flowLayout struct{ width float32 }

func newFlow(objects ...fyne.CanvasObject) *fyne.Container {
	return container.New(&flowLayout{}, objects...)
}

// place calls put for each visible object with its position and size,
// and returns the total height.
func (f *flowLayout) place(objects []fyne.CanvasObject, width float32, put func(fyne.CanvasObject, fyne.Position, fyne.Size)) float32 {
	pad := theme.Padding()
	var x, y, rowH float32
	for _, o := range objects {
		if !o.Visible() {
			continue
		}
		m := o.MinSize()
		w := min(m.Width, width)
		if x > 0 && x+w > width {
			x, y, rowH = 0, y+rowH+pad, 0
		}
		if put != nil {
			put(o, fyne.NewPos(x, y), fyne.NewSize(w, m.Height))
		}
		x += w + pad
		rowH = max(rowH, m.Height)
	}
	return y + rowH
}

func (f *flowLayout) Layout(objects []fyne.CanvasObject, size fyne.Size) {
	f.width = size.Width
	f.place(objects, size.Width, func(o fyne.CanvasObject, p fyne.Position, s fyne.Size) {
		o.Move(p)
		o.Resize(s)
	})
}

func (f *flowLayout) MinSize(objects []fyne.CanvasObject) fyne.Size {
	var widest float32
	for _, o := range objects {
		if o.Visible() {
			widest = max(widest, o.MinSize().Width)
		}
	}
	width := f.width
	if width < widest {
		width = widest
	}
	return fyne.NewSize(widest, f.place(objects, width, nil))
}
