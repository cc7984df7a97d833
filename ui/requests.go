package ui

import (
	"context"
	"errors"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/carebook/carebook/app"
)

// requestSource is what the request screens need of the app core; *app.App
// satisfies it. Its methods block (cache, network): call them off the UI
// goroutine, except Touch.
type requestSource interface {
	Requests(ctx context.Context, profileID string) (app.Requests, error)
	RequestForm(ctx context.Context, profileID string, kind app.RequestKind, about string) (app.RequestForm, error)
	SendRequest(ctx context.Context, profileID string, in app.RequestInput) (app.Submitted, error)
	RetryOutboxItem(ctx context.Context, profileID string, seq int64) (app.Submitted, error)
	DiscardOutboxItem(ctx context.Context, profileID string, seq int64) error
	AskAboutRequest(ctx context.Context, profileID, taskID string) (app.Draft, error)
	MessageOptions(ctx context.Context, profileID string) (app.MessageOptions, error)
	SendMessage(ctx context.Context, profileID string, d app.Draft) (app.Submitted, error)
	Touch()
}

// formDraftSource keeps what the patient types in a form as a sealed
// draft until it is sent; *app.App does. A source without it (a test's)
// leaves the forms without drafts. Its methods block (storage), except
// SaveBeforeLock: call them off the UI goroutine.
type formDraftSource interface {
	FormDraft(ctx context.Context, profileID, key string) (app.FormDraft, bool, error)
	SaveFormDraft(ctx context.Context, profileID, key string, d app.FormDraft) error
	SaveBeforeLock(save func()) (remove func())
}

var _ formDraftSource = (*app.App)(nil)

// loadFormDraft reads the draft under key for a form opening, after the
// form of the same draft the patient just left saved what it holds.
// Without drafts (src is not a formDraftSource) it is empty. Any
// goroutine but the UI's.
func loadFormDraft(ctx context.Context, src any, profileID, key string) (app.FormDraft, error) {
	drafts, ok := src.(formDraftSource)
	if !ok {
		return app.FormDraft{}, nil
	}
	flushDraft(draftID{profileID: profileID, key: key})
	d, _, err := drafts.FormDraft(ctx, profileID, key)
	return d, err
}

// newFormAutosave keeps what a form holds as the draft under key, or nil
// when src keeps no drafts. UI goroutine.
func newFormAutosave(src any, profileID, key string) *autosave[app.FormDraft] {
	drafts, ok := src.(formDraftSource)
	if !ok {
		return nil
	}
	return newAutosave(draftID{profileID: profileID, key: key}, drafts.SaveBeforeLock, func(d app.FormDraft) error {
		// Without the screen's context: leaving it is no reason to lose
		// what was typed.
		return drafts.SaveFormDraft(context.Background(), profileID, key, d)
	})
}

// requestsView is the Requests screen of one profile: every request and
// where it stands, open ones first, and new referrals or copies of lab
// reports. A form opens in place of the list, with a way back.
type requestsView struct {
	src       requestSource
	profileID string
	ctx       context.Context
	// openSection shows a section of the health record (the renewed
	// prescription under "medications"); nil in tests without a shell.
	openSection func(section string)

	body *fyne.Container // the list, or a form
	list *fyne.Container
	root fyne.CanvasObject
}

// newRequestsView builds the Requests screen; call Refresh to fill it. UI
// goroutine.
func newRequestsView(ctx context.Context, src requestSource, profileID string) *requestsView {
	v := &requestsView{src: src, profileID: profileID, ctx: ctx}
	v.list = newColumn(detailMaxWidth, false, paragraph(lang.L("Loading your requests…")))
	v.body = container.NewStack(container.NewVScroll(container.NewPadded(v.list)))
	v.root = v.body
	return v
}

// CanvasObject is the screen's content.
func (v *requestsView) CanvasObject() fyne.CanvasObject { return v.root }

// Refresh reloads the list from the cache and the outbox. UI goroutine.
func (v *requestsView) Refresh() {
	background(v.ctx, v.load, v.apply)
}

// load reads the requests; no widgets. Any goroutine.
func (v *requestsView) load(ctx context.Context) (app.Requests, error) {
	return v.src.Requests(ctx, v.profileID)
}

// apply shows the requests. UI goroutine.
func (v *requestsView) apply(list app.Requests, err error) {
	objs := []fyne.CanvasObject{heading(lang.L("Your requests"))}
	if err != nil {
		objs = append(objs, paragraph(lang.L("Carebook could not read your requests. {{.Problem}}", map[string]any{"Problem": humanStorageError(err)})))
		v.list.Objects = objs
		v.list.Refresh()
		return
	}
	objs = append(objs,
		paragraph(lang.L("Refills, copies of reports, referrals and corrections you asked your practice for, and where each stands.")),
		buttonRow(
			&widget.Button{Text: lang.L("Ask for a referral"), Icon: theme.ContentAddIcon(), OnTapped: func() { v.showForm(app.RequestReferral, "") }},
			&widget.Button{Text: lang.L("Copy of my lab reports"), Icon: theme.DocumentIcon(), OnTapped: func() { v.showForm(app.RequestLabReportCopy, "") }},
		),
		paragraph(lang.L("To renew a prescription, open it under Health record › Medications. To correct your record, open the entry that is wrong.")),
	)
	rs := list.Items
	var open, closed []app.Request
	for _, r := range rs {
		if r.State.Open() {
			open = append(open, r)
		} else {
			closed = append(closed, r)
		}
	}
	if len(rs) == 0 {
		objs = append(objs, newCard(lang.L("No requests yet"), "", paragraph(lang.L("You have not asked your practice for anything yet."))))
	}
	if len(open) > 0 {
		objs = append(objs, boldText(lang.L("Open requests")))
		for _, r := range open {
			objs = append(objs, v.requestCard(r, list.AccessEnded))
		}
	}
	if len(closed) > 0 {
		objs = append(objs, boldText(lang.L("Finished requests")))
		for _, r := range closed {
			objs = append(objs, v.requestCard(r, list.AccessEnded))
		}
	}
	v.list.Objects = objs
	v.list.Refresh()
}

// requestCard shows one request: what, its state in words, the practice's
// own words, what it did, and what the patient can do now; ended says the
// practice ended this access to the record.
func (v *requestsView) requestCard(r app.Request, ended bool) fyne.CanvasObject {
	state := stateLabel(r, ended)
	objs := []fyne.CanvasObject{state}
	if r.Words != "" && !strings.EqualFold(r.Words, r.State.Headline()) && !(r.State == app.RequestDone && strings.EqualFold(r.Words, "completed")) {
		label := lang.L("The practice says")
		if r.State == app.RequestFailed && r.ID == "" {
			label = lang.L("The practice's answer")
		}
		objs = append(objs, fieldText(label, r.Words))
	}
	for _, o := range r.Outcomes {
		objs = append(objs, fieldText(o.Label, firstText(o.Name, lang.L("see your record"))))
	}
	if r.Pharmacy != "" {
		objs = append(objs, fieldText(lang.L("Pharmacy"), r.Pharmacy))
	}
	if r.Note != "" {
		objs = append(objs, fieldText(lang.L("You wrote"), r.Note))
	}
	if when := requestWhen(r); when != "" {
		objs = append(objs, fieldText(lang.L("Asked"), when))
	}
	if actions := v.requestActions(r, ended); len(actions) > 0 {
		objs = append(objs, newFlow(actions...))
	}
	return widget.NewCard("", "", newColumn(0, false, append([]fyne.CanvasObject{boldText(r.Title)}, objs...)...))
}

// stateLabel is a request's state in words, coloured by what it means;
// ended says the practice ended this access to the record.
func stateLabel(r app.Request, ended bool) *widget.Label {
	text := r.State.Headline()
	switch {
	case r.State == app.RequestWaiting && ended:
		text = storedAsAccessEndedText()
	case r.State == app.RequestWaiting && r.MayHaveReached:
		text = mayHaveReachedText()
	case r.State == app.RequestWaiting:
		text = lang.L("{{.State}}: it will be sent when Carebook reaches your practice", map[string]any{"State": text})
	case r.State == app.RequestSent:
		text = lang.L("{{.State}}: the office has not looked at it yet", map[string]any{"State": text})
	}
	l := boldText(text)
	switch r.State {
	case app.RequestDone:
		l.Importance = widget.SuccessImportance
	case app.RequestDeclined, app.RequestFailed:
		l.Importance = widget.DangerImportance
	case app.RequestWaiting:
		l.Importance = widget.WarningImportance
	}
	return l
}

func requestWhen(r app.Request) string {
	if r.Created.IsZero() {
		return ""
	}
	return appLocale().WeekdayDateTime(r.Created.Local(), true)
}

// requestActions are what the patient can do about a request now; ended
// says the practice ended this access to the record, so nothing can go.
func (v *requestsView) requestActions(r app.Request, ended bool) []fyne.CanvasObject {
	var out []fyne.CanvasObject
	if r.State == app.RequestFailed && r.ID == "" && r.Seq > 0 {
		seq := r.Seq
		if !ended {
			out = append(out, &widget.Button{Text: lang.L("Try again"), Icon: theme.ViewRefreshIcon(), OnTapped: func() { v.retry(seq) }})
		}
		out = append(out, &widget.Button{Text: lang.L("Discard"), Icon: theme.DeleteIcon(), OnTapped: func() { v.discard(seq) }})
	}
	if (r.State == app.RequestDeclined || r.State == app.RequestFailed) && r.ID != "" {
		id := r.ID
		out = append(out, &widget.Button{Text: lang.L("Message the office"), Icon: theme.MailComposeIcon(), OnTapped: func() { v.showMessageForm(id) }})
	}
	if r.State == app.RequestDone && r.Kind == app.RequestRefill && v.openSection != nil {
		out = append(out, &widget.Button{Text: lang.L("See medications"), Icon: theme.NavigateNextIcon(), IconPlacement: widget.ButtonIconTrailingText,
			OnTapped: func() { v.openSection("medications") }})
	}
	if r.State == app.RequestDone && r.Kind == app.RequestLabReportCopy && v.openSection != nil {
		// The copy the office sent is a document of the record.
		out = append(out, &widget.Button{Text: lang.L("See your documents"), Icon: theme.NavigateNextIcon(), IconPlacement: widget.ButtonIconTrailingText,
			OnTapped: func() { v.openSection("documents") }})
	}
	return out
}

func (v *requestsView) retry(seq int64) {
	v.src.Touch()
	background(v.ctx, func(ctx context.Context) (app.Submitted, error) {
		return v.src.RetryOutboxItem(ctx, v.profileID, seq)
	}, func(app.Submitted, error) { v.Refresh() })
}

func (v *requestsView) discard(seq int64) {
	v.src.Touch()
	background(v.ctx, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, v.src.DiscardOutboxItem(ctx, v.profileID, seq)
	}, func(struct{}, error) { v.Refresh() })
}

// showForm opens the form of a new request in place of the list. UI
// goroutine.
func (v *requestsView) showForm(kind app.RequestKind, about string) {
	v.src.Touch()
	back := &widget.Button{Text: lang.L("Back to requests"), Icon: theme.NavigateBackIcon(), OnTapped: v.showList}
	form := newRequestForm(v.ctx, v.src, v.profileID, kind, about)
	form.onSent = v.Refresh
	page := container.NewBorder(container.NewHBox(back), nil, nil, nil, form.root)
	v.body.Objects = []fyne.CanvasObject{page}
	v.body.Refresh()
}

// showMessageForm opens a message to the practice about the request
// Task/taskID in place of the list. UI goroutine.
func (v *requestsView) showMessageForm(taskID string) {
	v.src.Touch()
	back := &widget.Button{Text: lang.L("Back to requests"), Icon: theme.NavigateBackIcon(), OnTapped: v.showList}
	content := newColumn(detailMaxWidth, false, heading(lang.L("Message the office")), paragraph(lang.L("Loading…")))
	page := container.NewBorder(container.NewHBox(back), nil, nil, nil, container.NewVScroll(container.NewPadded(content)))
	v.body.Objects = []fyne.CanvasObject{page}
	v.body.Refresh()
	type loaded struct {
		draft app.Draft
		opts  app.MessageOptions
	}
	background(v.ctx, func(ctx context.Context) (loaded, error) {
		// The message started before comes back, with what the form
		// just left holds.
		flushDraft(draftID{profileID: v.profileID, key: app.RequestMessageDraftKey(taskID)})
		d, err := v.src.AskAboutRequest(ctx, v.profileID, taskID)
		if err != nil {
			return loaded{}, err
		}
		opts, err := v.src.MessageOptions(ctx, v.profileID)
		return loaded{d, opts}, err
	}, func(l loaded, err error) {
		if err != nil {
			content.Objects = []fyne.CanvasObject{heading(lang.L("Message the office")),
				paragraph(lang.L("Carebook can't start this message: {{.Problem}}", map[string]any{"Problem": humanActionError(err)}))}
			content.Refresh()
			return
		}
		content.Objects = v.messageForm(l.draft, l.opts)
		content.Refresh()
	})
}

// messageDraftSource keeps a message's draft; *app.App does. A source
// without it (a test's) leaves the message about a request without one.
type messageDraftSource interface {
	SaveDraft(ctx context.Context, profileID, key string, d app.Draft) error
	SaveBeforeLock(save func()) (remove func())
}

// messageForm is a short message about a request: who it goes to, its
// subject, the text, kept as a draft (d.DraftKey) until it is sent. UI
// goroutine.
func (v *requestsView) messageForm(d app.Draft, opts app.MessageOptions) []fyne.CanvasObject {
	var labels []string
	chosen := 0
	for i, r := range opts.Recipients {
		labels = append(labels, r.Label())
		if r.Ref == d.To {
			chosen = i
		}
	}
	to := widget.NewSelect(labels, nil)
	if len(labels) > 0 {
		to.SetSelectedIndex(chosen)
	}
	text := multiLine(lang.L("Your question or what you need"))
	text.SetMinRowsVisible(4)
	text.SetText(d.Text)
	problem := errorText()
	result := newColumn(0, false)
	current := func() app.Draft {
		msg := d
		msg.Text = text.Text
		if i := to.SelectedIndex(); i >= 0 && i < len(opts.Recipients) {
			msg.To = opts.Recipients[i].Ref
		}
		return msg
	}
	var saves *autosave[app.Draft]
	if drafts, ok := v.src.(messageDraftSource); ok && d.DraftKey != "" {
		id := draftID{profileID: v.profileID, key: d.DraftKey}
		saves = newAutosave(id, drafts.SaveBeforeLock, func(d app.Draft) error {
			return drafts.SaveDraft(context.Background(), id.profileID, id.key, d)
		})
		saves.shown = showSaveProblem(problem)
		changed := func(string) { v.src.Touch(); saves.changed(current()) }
		text.OnChanged, to.OnChanged = changed, changed
	}
	var send *widget.Button
	send = &widget.Button{Text: lang.L("Send message"), Icon: theme.MailSendIcon(), Importance: widget.HighImportance, OnTapped: func() {
		v.src.Touch()
		problem.Hide()
		msg := current()
		send.Disable()
		saves.close() // the message takes the draft's place
		background(v.ctx, func(ctx context.Context) (sub app.Submitted, err error) {
			saves.exclusive(func() { sub, err = v.src.SendMessage(ctx, v.profileID, msg) })
			return sub, err
		}, func(_ app.Submitted, err error) {
			if !app.Stored(err) {
				saves.reopen(current()) // not stored: the draft stays the patient's
			}
			var refused *app.RefusedError
			var words *widget.Label
			switch {
			case errors.Is(err, app.ErrInvalidInput):
				send.Enable()
				showError(problem, humanActionError(err))
				return
			case err == nil:
				words = boldText(lang.L("Sent. The answer will be among your messages."))
				words.Importance = widget.SuccessImportance
			case errors.As(err, &refused):
				words = dangerText(lang.L("Your practice did not accept this message: {{.Words}}", map[string]any{"Words": refused.Message}))
			case storedAsAccessEnded(err):
				words = warningText(storedAsAccessEndedText())
			case errors.Is(err, app.ErrQueued), errors.Is(err, app.ErrNeedsSignIn):
				words = warningText(lang.L("Saved on this device. It will be sent when Carebook reaches your practice."))
			default:
				send.Enable()
				showError(problem, lang.L("Carebook could not save this message: {{.Problem}}", map[string]any{"Problem": humanActionError(err)}))
				return
			}
			result.Objects = []fyne.CanvasObject{words}
			result.Refresh()
		})
	}}
	buttons := newFlow(send)
	if saves != nil {
		buttons.Add(saves.discardButton(v.src.Touch, func() { text.SetText("") }))
	}
	return []fyne.CanvasObject{
		heading(lang.L("Message the office")),
		fieldText(lang.L("About"), d.AboutName),
		boldText(lang.L("To")), to,
		fieldText(lang.L("Subject"), d.Subject),
		boldText(lang.L("Message")), text,
		buttons, problem, result,
	}
}

// showList goes back from a form to the list. UI goroutine.
func (v *requestsView) showList() {
	v.body.Objects = []fyne.CanvasObject{container.NewVScroll(container.NewPadded(v.list))}
	v.body.Refresh()
	v.Refresh()
}

// requestForm is the form of one new request: what it is about, the
// fields its kind needs, Send, and the outcome in words.
type requestForm struct {
	src       requestSource
	profileID string
	kind      app.RequestKind
	about     string
	ctx       context.Context
	// onSent is called (UI goroutine) once the request is stored.
	onSent func()
	// seeRequests, when set, shows the Requests screen after sending.
	seeRequests func()

	// saves keeps what the patient types as the form's draft; nil when
	// the source keeps no drafts.
	saves    *autosave[app.FormDraft]
	draftKey string
	// named is the text the form opened with that the patient did not
	// write (a referral's condition): no draft's words.
	named string

	content  *fyne.Container
	root     fyne.CanvasObject
	pharmacy *widget.Select
	phRefs   []string // parallel to pharmacy.Options
	text     *widget.Entry
	wrong    *widget.Entry
	should   *widget.Entry
	note     *widget.Entry
	send     *widget.Button
	problem  *widget.Label
	result   *fyne.Container
}

// requestFormModel is what a request form loads before it is shown: what
// the request offers, and what the patient wrote in it before.
type requestFormModel struct {
	form  app.RequestForm
	draft app.FormDraft
}

// newRequestForm builds the form and loads what it offers, with the words
// the patient wrote in it before and did not send. UI goroutine.
func newRequestForm(ctx context.Context, src requestSource, profileID string, kind app.RequestKind, about string) *requestForm {
	key := app.RequestDraftKey(kind, about)
	f := &requestForm{src: src, profileID: profileID, kind: kind, about: about, ctx: ctx, draftKey: key}
	f.content = newColumn(detailMaxWidth, false, heading(formTitle(kind)), paragraph(lang.L("Loading…")))
	f.root = container.NewVScroll(container.NewPadded(f.content))
	background(ctx, func(ctx context.Context) (requestFormModel, error) {
		form, err := src.RequestForm(ctx, profileID, kind, about)
		if err != nil {
			return requestFormModel{}, err
		}
		d, err := loadFormDraft(ctx, src, profileID, key)
		return requestFormModel{form: form, draft: d}, err
	}, f.apply)
	return f
}

func formTitle(kind app.RequestKind) string {
	switch kind {
	case app.RequestRefill:
		return lang.L("Request a refill")
	case app.RequestLabReportCopy:
		return lang.L("Ask for a copy of a lab report")
	case app.RequestReferral:
		return lang.L("Ask for a referral")
	case app.RequestCorrection:
		return lang.L("Ask to correct your record")
	}
	return lang.L("New request")
}

// apply builds the form's fields, filled with its draft. UI goroutine.
func (f *requestForm) apply(m requestFormModel, err error) {
	vm, d := m.form, m.draft
	objs := []fyne.CanvasObject{heading(formTitle(f.kind))}
	if err != nil {
		f.content.Objects = append(objs, paragraph(lang.L("Carebook can't prepare this request: {{.Problem}}", map[string]any{"Problem": humanActionError(err)})))
		f.content.Refresh()
		return
	}
	if vm.AboutName != "" {
		objs = append(objs, fieldText(aboutLabel(f.kind), vm.AboutName))
	}
	if !vm.CanSend {
		objs = append(objs, warningText(vm.Why))
		if !d.IsEmpty() {
			objs = append(objs, f.leftover(d))
		}
		f.content.Objects = objs
		f.content.Refresh()
		return
	}
	switch f.kind {
	case app.RequestRefill:
		if vm.HasRefills && vm.Refills > 0 {
			objs = append(objs, paragraph(lang.N("This prescription still allows {{.Count}} refills: your pharmacy can fill it without a new prescription. Ask here if you need it renewed.",
				vm.Refills, map[string]any{"Count": vm.Refills})))
		}
		objs = append(objs, f.pharmacyField(vm.Pharmacies, d.Pharmacy)...)
	case app.RequestLabReportCopy:
		if vm.About == "" {
			objs = append(objs, paragraph(lang.L("The office will send you a copy of your latest lab reports. It will appear among your documents.")))
		} else {
			objs = append(objs, paragraph(lang.L("The office will send you a copy of this report. It will appear among your documents.")))
		}
	case app.RequestReferral:
		f.text = multiLine(lang.L("Who or what for, e.g. a dermatologist for a mole check"))
		f.named = vm.AboutName
		f.text.SetText(firstText(d.Text, vm.AboutName))
		objs = append(objs, boldText(lang.L("What do you need a referral for?")), f.text)
	case app.RequestCorrection:
		f.wrong = multiLine(lang.L("e.g. I have never had this condition"))
		f.should = multiLine(lang.L("e.g. remove it, or: the date is March 2021"))
		f.wrong.SetText(d.Wrong)
		f.should.SetText(d.ShouldSay)
		objs = append(objs,
			paragraph(lang.L("You have the right to ask your practice to correct your record. The office reviews the request and answers you; what your clinicians wrote is not changed without them.")),
			boldText(lang.L("What is wrong?")), f.wrong,
			boldText(lang.L("What should it say?")), f.should)
	}
	f.note = multiLine(lang.L("Optional"))
	f.note.SetText(d.Note)
	f.problem = errorText()
	f.result = newColumn(0, false)
	f.send = &widget.Button{Text: lang.L("Send request"), Icon: theme.MailSendIcon(), Importance: widget.HighImportance, OnTapped: f.submit}
	buttons := newFlow(f.send)
	if f.saves = newFormAutosave(f.src, f.profileID, f.draftKey); f.saves != nil {
		f.saves.shown = showSaveProblem(f.problem)
		buttons.Add(f.saves.discardButton(f.src.Touch, f.clear))
		for _, e := range []*widget.Entry{f.text, f.wrong, f.should, f.note} {
			if e != nil {
				e.OnChanged = func(string) { f.changed() }
			}
		}
	}
	objs = append(objs, boldText(lang.L("Note for the office")), f.note, buttons, f.problem, f.result)
	f.content.Objects = objs
	f.content.Refresh()
}

// leftover shows the words of the form's draft when the request can no
// longer be sent (the refill was asked for meanwhile, say), with a way to
// discard them. UI goroutine.
func (f *requestForm) leftover(d app.FormDraft) fyne.CanvasObject {
	if f.saves = newFormAutosave(f.src, f.profileID, f.draftKey); f.saves == nil {
		return container.NewVBox()
	}
	box := container.NewVBox(fieldText(lang.L("You wrote"), d.Words()))
	box.Add(container.NewHBox(f.saves.discardButton(f.src.Touch, box.Hide)))
	return box
}

// changed notes an edit: the form's draft is saved once the patient
// pauses, and by a lock before that. UI goroutine.
func (f *requestForm) changed() {
	f.src.Touch()
	if f.saves != nil {
		f.saves.changed(f.draft())
	}
}

// clear empties the form's words (its draft's discard). UI goroutine.
func (f *requestForm) clear() {
	for _, e := range []*widget.Entry{f.text, f.wrong, f.should, f.note} {
		if e != nil {
			e.SetText("")
		}
	}
}

func aboutLabel(kind app.RequestKind) string {
	switch kind {
	case app.RequestRefill:
		return lang.L("Medication")
	case app.RequestLabReportCopy:
		return lang.L("Report")
	case app.RequestCorrection:
		return lang.L("Entry")
	}
	return lang.L("About")
}

// pharmacyField offers the pharmacies the record knows, the preferred one
// first and chosen, with the chosen one's address below (a phone has no
// room for it in the choice itself).
// chosen is the pharmacy the form's draft chose, if any.
func (f *requestForm) pharmacyField(phs []app.Pharmacy, chosen string) []fyne.CanvasObject {
	if len(phs) == 0 {
		return []fyne.CanvasObject{fieldText(lang.L("Pharmacy"), lang.L("the one your practice has on file"))}
	}
	var names []string
	for _, ph := range phs {
		name := ph.Name
		if ph.Preferred {
			name = lang.L("{{.Name}} (preferred)", map[string]any{"Name": name})
		}
		names = append(names, name)
		f.phRefs = append(f.phRefs, ph.Ref)
	}
	address := paragraph("")
	address.SizeName = theme.SizeNameCaptionText
	f.pharmacy = widget.NewSelect(names, func(string) {
		if i := f.pharmacy.SelectedIndex(); i >= 0 && i < len(phs) {
			address.SetText(phs[i].Address)
		}
		if f.saves != nil {
			f.changed() // chosen by the patient, not while the form is built
		}
	})
	f.pharmacy.SetSelectedIndex(max(0, slices.Index(f.phRefs, chosen)))
	return []fyne.CanvasObject{boldText(lang.L("Send it to")), f.pharmacy, address}
}

func multiLine(placeholder string) *widget.Entry {
	e := widget.NewMultiLineEntry()
	e.Wrapping = fyne.TextWrapWord
	e.SetPlaceHolder(placeholder)
	e.SetMinRowsVisible(2)
	return e
}

// draft is what the patient wrote in the form, to be kept as its draft:
// the text it opened with, left as it was, is not theirs (an emptied form
// is no draft). UI goroutine.
func (f *requestForm) draft() app.FormDraft {
	d := f.input().FormDraft()
	if f.named != "" && strings.TrimSpace(d.Text) == strings.TrimSpace(f.named) {
		d.Text = ""
	}
	return d
}

// input is what the form holds. UI goroutine.
func (f *requestForm) input() app.RequestInput {
	in := app.RequestInput{Kind: f.kind, About: f.about, Note: f.note.Text}
	if f.saves != nil {
		in.DraftKey = f.draftKey
	}
	if f.pharmacy != nil {
		if i := f.pharmacy.SelectedIndex(); i >= 0 && i < len(f.phRefs) {
			in.Pharmacy = f.phRefs[i]
		}
	}
	if f.text != nil {
		in.Text = f.text.Text
	}
	if f.wrong != nil {
		in.Wrong, in.ShouldSay = f.wrong.Text, f.should.Text
	}
	return in
}

// submit sends the request; the outcome is shown in words. UI goroutine.
func (f *requestForm) submit() {
	f.src.Touch()
	f.problem.Hide()
	f.send.Disable()
	in := f.input()
	f.saves.close() // the request takes the draft's place
	background(f.ctx, func(ctx context.Context) (sub app.Submitted, err error) {
		f.saves.exclusive(func() { sub, err = f.src.SendRequest(ctx, f.profileID, in) })
		return sub, err
	}, func(sub app.Submitted, err error) {
		if !app.Stored(err) {
			f.saves.reopen(f.draft()) // not stored: the draft stays the patient's
		}
		if errors.Is(err, app.ErrInvalidInput) {
			f.send.Enable()
			showError(f.problem, humanActionError(err))
			return
		}
		if err != nil && !app.Stored(err) {
			// Not stored: the patient may try again.
			f.send.Enable()
			showError(f.problem, lang.L("Carebook could not save this request: {{.Problem}}", map[string]any{"Problem": humanActionError(err)}))
			return
		}
		f.showOutcome(err)
		if f.onSent != nil {
			f.onSent()
		}
	})
}

// showOutcome says where a stored request stands. UI goroutine.
func (f *requestForm) showOutcome(err error) {
	var msg *widget.Label
	var refused *app.RefusedError
	switch {
	case err == nil:
		msg = boldText(lang.L("Sent. Your practice has your request; you can follow it under Requests."))
		msg.Importance = widget.SuccessImportance
	case errors.As(err, &refused):
		msg = dangerText(lang.L("Your practice did not accept this request: {{.Words}}", map[string]any{"Words": refused.Message}))
	case errors.Is(err, app.ErrNeedsSignIn):
		msg = warningText(lang.L("Saved on this device. Sign in to your practice again and Carebook will send it."))
	case storedAsAccessEnded(err):
		msg = warningText(storedAsAccessEndedText())
	default:
		msg = warningText(lang.L("Saved on this device. It will be sent when Carebook reaches your practice."))
	}
	objs := []fyne.CanvasObject{msg}
	if f.seeRequests != nil {
		objs = append(objs, container.NewHBox(&widget.Button{Text: lang.L("See your requests"), Icon: theme.NavigateNextIcon(),
			IconPlacement: widget.ButtonIconTrailingText, OnTapped: f.seeRequests}))
	}
	f.result.Objects = objs
	f.result.Refresh()
}

// storedAsAccessEnded reports whether an action's outcome says it was
// stored just as the practice ended this access (ErrQueued with
// ErrAccessEnded): it is kept on this device and cannot be sent unless the
// practice gives the access back. Every screen then says
// storedAsAccessEndedText, never that it will be sent.
func storedAsAccessEnded(err error) bool {
	return errors.Is(err, app.ErrQueued) && errors.Is(err, app.ErrAccessEnded)
}

// storedAsAccessEndedText says what became of an action stored just as
// the practice ended this access (storedAsAccessEnded), or of any item
// still waiting on a record whose access ended, and what the patient can
// do.
func storedAsAccessEndedText() string {
	return storedAsAccessEndedItems(1)
}

// mayHaveReachedText says where an item stands that waits while an
// earlier attempt of it may already have reached the practice
// (app.OutboxEntry.MayHaveReached): "waiting to be sent" would not be
// true of it.
func mayHaveReachedText() string {
	return lang.L("It may already have reached the practice; Carebook checks before sending it again, so it will not arrive twice.")
}

// storedAsAccessEndedItems is storedAsAccessEndedText for count items,
// the sentence agreeing with the count ("cannot send them"), as under
// the dashboard's "N items not sent".
func storedAsAccessEndedItems(count int) string {
	return lang.N("Saved on this device, but not sent: your practice has ended your access to this record, so Carebook cannot send them unless the practice gives the access back. They stay with what was not sent, where you can copy them; contact the practice another way, such as by phone.",
		count, map[string]any{"Count": count})
}

// accessEndedFlag is storedAsAccessEndedText in the few words of a list
// row: what waits on a record whose access the practice ended.
func accessEndedFlag() string {
	return lang.L("Not sent: access ended")
}

// humanActionError is an action's error for the patient: the message of
// bad input without the package prefix, else a general sentence.
func humanActionError(err error) string {
	if errors.Is(err, app.ErrInvalidInput) {
		msg := err.Error()
		if i := strings.LastIndex(msg, app.ErrInvalidInput.Error()+": "); i >= 0 {
			msg = msg[i+len(app.ErrInvalidInput.Error())+2:]
		}
		return upperFirst(strings.TrimSuffix(msg, ".")) + "."
	}
	return humanStorageError(err)
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

// requestCountText is "2 open requests".
func requestCountText(n int) string {
	return lang.N("{{.Count}} open requests", n, map[string]any{"Count": n})
}
