package ui

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/carebook/carebook/app"
)

// questionsSource is what the questions before a visit need from the app
// core; *app.App satisfies it. Every method may block: call them off the
// UI goroutine.
type questionsSource interface {
	BeforeVisit(ctx context.Context, profileID, appointmentID string) (app.BeforeVisit, error)
	AnswerQuestions(ctx context.Context, profileID string, in app.AnswerInput) (app.Submitted, error)
}

var _ questionsSource = (*app.App)(nil)

// questionsBlock is the part of an upcoming appointment's page about the
// questions the practice asks before the visit: loaded off the UI
// goroutine, then a button to answer them or the state of the answers.
// UI goroutine.
func (v *recordView) questionsBlock(md *masterDetail, ap app.Appointment, relayout func()) fyne.CanvasObject {
	src, ok := v.booking.(questionsSource)
	if !ok {
		return nil
	}
	status := paragraph(lang.L("Loading the practice's questions…"))
	col := newColumn(0, false)
	if ap.Instruction == "" {
		col.Add(boldText(lang.L("Before your visit")))
	}
	col.Add(status)
	runFor(v, context.Background(), func(ctx context.Context) (app.BeforeVisit, error) {
		return src.BeforeVisit(ctx, v.profileID, ap.ID)
	}, func(bv app.BeforeVisit, err error) {
		if err != nil {
			status.SetText(lang.L("Carebook could not read the questions for this visit."))
			status.Importance = widget.DangerImportance
			status.Refresh()
			relayout()
			return
		}
		col.Remove(status)
		for _, f := range bv.Forms {
			for _, o := range v.formObjects(md, src, ap, f) {
				col.Add(o)
			}
		}
		col.Refresh()
		relayout()
	})
	return col
}

// formObjects say where one questionnaire of a visit stands, with the
// button to answer it. UI goroutine.
func (v *recordView) formObjects(md *masterDetail, src questionsSource, ap app.Appointment, f app.VisitForm) []fyne.CanvasObject {
	if f.Questionnaire == nil {
		return []fyne.CanvasObject{paragraph(lang.L("{{.Title}}: {{.Problem}}", map[string]any{"Title": f.Title, "Problem": f.Unavailable}))}
	}
	n := 0
	for _, q := range f.Questionnaire.Questions {
		if q.Answerable() {
			n++
		}
	}
	answer := func(label string) fyne.CanvasObject {
		form := f
		return container.NewHBox(&widget.Button{Text: label, Icon: theme.DocumentCreateIcon(), Importance: widget.HighImportance,
			OnTapped: func() {
				v.src.Touch()
				md.push(v.questionsPage(md, src, ap, form))
			}})
	}
	switch f.State {
	case app.FormSent:
		text := lang.L("Answers sent: {{.Title}} (the practice has them).", map[string]any{"Title": f.Title})
		if !f.AnsweredAt.IsZero() {
			text = lang.L("Answers sent: {{.Title}} (the practice has them, answered {{.Date}}).",
				map[string]any{"Title": f.Title, "Date": appLocale().Date(f.AnsweredAt.Local())})
		}
		l := paragraph(text)
		l.Importance = widget.SuccessImportance
		return []fyne.CanvasObject{l}
	case app.FormWaiting:
		l := paragraph(lang.L("Answers waiting to send: {{.Title}}. Carebook sends them as soon as it can reach the practice.", map[string]any{"Title": f.Title}))
		l.Importance = widget.WarningImportance
		return []fyne.CanvasObject{l}
	case app.FormFailed:
		// The practice's own words, as it wrote them.
		l := paragraph(lang.L("The practice did not accept your answers to {{.Title}}: {{.Words}}", map[string]any{"Title": f.Title, "Words": f.Problem}))
		l.Importance = widget.DangerImportance
		return []fyne.CanvasObject{l, answer(lang.L("Answer again"))}
	}
	return []fyne.CanvasObject{
		paragraph(lang.N("The practice asks you to answer {{.Count}} questions before this visit: {{.Title}}.", n,
			map[string]any{"Count": n, "Title": f.Title})),
		answer(lang.N("Answer {{.Count}} questions", n, map[string]any{"Count": n})),
	}
}

// sentence starts s with a capital and ends it with a full stop.
func sentence(s string) string {
	if s == "" {
		return s
	}
	s = upperFirst(s)
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// questionField is one question of the form with its input.
type questionField struct {
	q       app.Question
	box     *fyne.Container // label, input and problem; hidden when not asked
	problem *widget.Label
	value   func() string
	// raw is the answer as the input shows it (kept in the draft), and
	// restore shows a raw answer again; nil when there is no input.
	raw     func() string
	restore func(string)
	// clear empties the input (the draft's discard); nil when there is
	// no input.
	clear func()
}

// questionsPage is the form answering one questionnaire: an input per
// question (text, yes/no, a choice, a date, a number), questions asked
// only after a given answer shown when it is given, the problems of each
// answer under it, and Send. The answers are kept as a draft until they
// are sent, and come back when the page opens again. UI goroutine.
func (v *recordView) questionsPage(md *masterDetail, src questionsSource, ap app.Appointment, f app.VisitForm) fyne.CanvasObject {
	q := *f.Questionnaire
	title := boldText(q.Title)
	title.SizeName = theme.SizeNameSubHeadingText
	col := newColumn(detailMaxWidth, false, title, paragraph(ap.Title()+"\n"+whenText(ap.Start, ap.End)))
	if q.Description != "" {
		col.Add(paragraph(q.Description))
	}
	col.Add(paragraph(lang.L("Questions marked * need an answer. The practice reads your answers before the visit.")))
	if q.Skipped > 0 {
		col.Add(paragraph(lang.N("{{.Count}} questions can't be answered in Carebook; the practice will ask at the visit.", q.Skipped,
			map[string]any{"Count": q.Skipped})))
	}
	var fields []*questionField
	answers := func() map[string]string {
		out := map[string]string{}
		for _, fl := range fields {
			if fl.value != nil {
				if s := strings.TrimSpace(fl.value()); s != "" {
					out[fl.q.LinkID] = s
				}
			}
		}
		return out
	}
	draftKey := app.QuestionsDraftKey(ap.ID, f.Ref)
	saves := newFormAutosave(v.src, v.profileID, draftKey)
	shown := func() app.FormDraft {
		d := app.FormDraft{Answers: map[string]string{}}
		for _, fl := range fields {
			if fl.raw != nil && strings.TrimSpace(fl.raw()) != "" {
				d.Answers[fl.q.LinkID] = fl.raw()
			}
		}
		return d
	}
	// Until the draft is read back, a change (the patient's early, or the
	// form being filled) is not saved: it would replace the draft. The
	// patient's early changes are saved with what it brings back.
	loading, early := saves != nil, false
	update := func() {
		a := answers()
		for _, fl := range fields {
			if q.Asks(fl.q, a) {
				fl.box.Show()
			} else {
				fl.box.Hide()
			}
		}
		col.Refresh()
		switch {
		case loading:
			early = true
		case saves != nil:
			saves.changed(shown())
		}
	}
	for _, qu := range q.Questions {
		fl := v.questionInput(qu, func() { update() })
		fields = append(fields, fl)
		col.Add(fl.box)
	}
	outcome := paragraph("")
	outcome.Hide()
	var scroll *container.Scroll
	var send *widget.Button
	send = &widget.Button{Text: lang.L("Send answers"), Icon: theme.MailSendIcon(), Importance: widget.HighImportance, OnTapped: func() {
		v.src.Touch()
		outcome.Hide()
		a := answers()
		probs := q.Problems(a)
		var first *questionField
		for _, fl := range fields {
			if fl.q.Type == app.QuestionDate && probs[fl.q.LinkID] != "" && strings.TrimSpace(fl.value()) != "" {
				// The device's form of a date, which the field reads.
				probs[fl.q.LinkID] = lang.L("Write the date as {{.Pattern}}, for example {{.Example}}.",
					map[string]any{"Pattern": appLocale().DateEntryPattern(), "Example": appLocale().DateEntry(sectionClock().Local())})
			}
			if p, bad := probs[fl.q.LinkID]; bad {
				showError(fl.problem, sentence(p))
				if first == nil {
					first = fl
				}
			} else {
				fl.problem.Hide()
			}
		}
		if first != nil {
			showOutcome(outcome, lang.L("Please check the answers marked above."), true)
			col.Refresh()
			// The first question to look at again comes into view.
			scroll.ScrollToOffset(fyne.NewPos(0, first.box.Position().Y))
			return
		}
		send.Disable()
		in := app.AnswerInput{Appointment: ap.ID, Questionnaire: f.Ref, Answers: a}
		if saves != nil {
			in.DraftKey = draftKey
		}
		saves.close() // the answers take the draft's place
		runFor(v, context.Background(), func(ctx context.Context) (sub app.Submitted, err error) {
			saves.exclusive(func() { sub, err = src.AnswerQuestions(ctx, v.profileID, in) })
			return sub, err
		}, func(sub app.Submitted, err error) {
			send.Enable()
			if !app.Stored(err) {
				saves.reopen(shown()) // not stored: the answers stay the patient's
			}
			switch {
			case storedAsAccessEnded(err):
				send.Disable() // stored: not to be stored again
				showOutcome(outcome, storedAsAccessEndedText(), false)
				col.Refresh()
			case err == nil, errors.Is(err, app.ErrQueued), errors.Is(err, app.ErrNeedsSignIn):
				// Back to the appointment, which says where the answers are.
				v.afterBooking(app.Submitted{Ref: "Appointment/" + ap.ID}, err, false)
			default:
				showOutcome(outcome, actionRefusal(err, firstText(ap.Phone, ap.PracticePhone)), true)
				col.Refresh()
			}
		})
	}}
	buttons := newFlow(send)
	col.Add(buttons)
	col.Add(outcome)
	update()
	if saves != nil {
		buttons.Add(saves.discardButton(v.src.Touch, func() {
			for _, fl := range fields {
				if fl.clear != nil {
					fl.clear()
				}
			}
		}))
		problem := errorText()
		col.Add(problem)
		saves.shown = showSaveProblem(problem)
		early = false
		runFor(v, context.Background(), func(ctx context.Context) (app.FormDraft, error) {
			return loadFormDraft(ctx, v.src, v.profileID, draftKey)
		}, func(d app.FormDraft, err error) {
			typed := early
			for _, fl := range fields {
				if s, ok := d.Answers[fl.q.LinkID]; ok && err == nil && fl.restore != nil && strings.TrimSpace(fl.raw()) == "" {
					fl.restore(s)
				}
			}
			update() // the questions the answers read back ask
			loading = false
			if typed {
				saves.changed(shown())
			}
		})
	}
	scroll = container.NewVScroll(container.NewPadded(col))
	return scroll
}

// questionInput makes the input of one question; changed is called when
// its answer changes (later questions may depend on it). UI goroutine.
func (v *recordView) questionInput(qu app.Question, changed func()) *questionField {
	fl := &questionField{q: qu, problem: errorText()}
	fl.problem.Hide()
	if !qu.Answerable() {
		fl.box = newColumn(0, false, paragraph(qu.Text))
		return fl
	}
	label := qu.Text
	if qu.Required {
		label += " *"
	}
	var input fyne.CanvasObject
	onText := func(string) { v.src.Touch(); changed() }
	switch qu.Type {
	case app.QuestionBoolean:
		yes, no := lang.L("Yes"), lang.L("No")
		r := widget.NewRadioGroup([]string{yes, no}, func(string) { v.src.Touch(); changed() })
		r.Horizontal = true
		fl.value = func() string {
			switch r.Selected {
			case yes:
				return app.AnswerYes
			case no:
				return app.AnswerNo
			}
			return ""
		}
		// Kept as yes or no, not in the words of the language shown.
		fl.raw = fl.value
		fl.restore = func(s string) {
			switch s {
			case app.AnswerYes:
				r.SetSelected(yes)
			case app.AnswerNo:
				r.SetSelected(no)
			}
		}
		fl.clear = func() { r.SetSelected("") }
		input = r
	case app.QuestionChoice:
		var names []string
		for _, o := range qu.Options {
			names = append(names, o.Display)
		}
		if len(names) <= 5 {
			r := widget.NewRadioGroup(names, func(string) { v.src.Touch(); changed() })
			fl.value = func() string { return r.Selected }
			fl.restore = r.SetSelected
			fl.clear = func() { r.SetSelected("") }
			input = r
		} else {
			s := widget.NewSelect(names, func(string) { v.src.Touch(); changed() })
			s.PlaceHolder = lang.L("Choose one")
			fl.value = func() string { return s.Selected }
			fl.restore = s.SetSelected
			fl.clear = s.ClearSelected
			input = s
		}
		fl.raw, fl.restore = fl.value, onlyAmong(names, fl.restore)
	case app.QuestionText:
		e := widget.NewMultiLineEntry()
		e.Wrapping = fyne.TextWrapWord
		e.SetMinRowsVisible(3)
		e.OnChanged = onText
		fl.value = func() string { return e.Text }
		fl.raw, fl.restore = fl.value, e.SetText
		fl.clear = func() { e.SetText("") }
		input = e
	default:
		e := widget.NewEntry()
		fl.value = func() string { return e.Text }
		switch qu.Type {
		case app.QuestionDate:
			// Typed as the device writes dates (year-month-day, or a
			// year and month, are read too); sent as year-month-day.
			e.SetPlaceHolder(lang.L("{{.Pattern}}, for example {{.Example}}",
				map[string]any{"Pattern": appLocale().DateEntryPattern(), "Example": appLocale().DateEntry(sectionClock().Local())}))
			fl.value = func() string {
				if d, err := appLocale().ParseDateEntry(e.Text, time.Local); err == nil {
					return d.Format(time.DateOnly)
				}
				return e.Text
			}
		case app.QuestionInteger, app.QuestionDecimal:
			e.SetPlaceHolder(lang.L("A number"))
		}
		if qu.Type == app.QuestionDecimal && appLocale().Number(0.5, 1) == "0,5" {
			// A decimal comma, as the device writes numbers.
			fl.value = func() string { return strings.Replace(e.Text, ",", ".", 1) }
		}
		e.OnChanged = onText
		fl.raw = func() string { return e.Text }
		fl.restore = e.SetText
		fl.clear = func() { e.SetText("") }
		input = e
	}
	fl.box = newColumn(0, false, boldText(label), input, fl.problem)
	return fl
}

// onlyAmong is set, for the options names only: a choice kept in a draft
// that the question no longer offers is not shown.
func onlyAmong(names []string, set func(string)) func(string) {
	return func(s string) {
		if slices.Contains(names, s) {
			set(s)
		}
	}
}
