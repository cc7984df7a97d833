package ui

// "Your details": the patient's address, phone, e-mail, preferred
// language, emergency contact and preferred pharmacy, changed through the
// practice (app.UpdateDetails); what the practice does not let patients
// change online is shown read-only with who to ask. When the practice's
// copy changed meanwhile, both versions are shown field by field (side by
// side on a desktop, one above the other on a phone) and the patient
// chooses. The screen follows load(ctx) → apply(viewModel).

import (
	"context"
	"errors"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/carebook/carebook/app"
)

// detailsSource is what the details screen needs from the app core;
// *app.App satisfies it. Its methods may block: call them off the UI
// goroutine, except Touch.
type detailsSource interface {
	PatientDetails(ctx context.Context, profileID string) (app.Details, error)
	UpdateDetails(ctx context.Context, profileID string, changes map[app.DetailKey]string, baseVersion string) (app.Submitted, error)
	DetailsConflictOf(ctx context.Context, profileID string) (app.DetailsConflict, error)
	ResolveDetailsConflict(ctx context.Context, profileID string, c app.DetailsConflict, keepYours map[app.DetailKey]bool) (app.Submitted, error)
	Touch()
}

// detailsView is the "Your details" screen of one profile.
type detailsView struct {
	src       detailsSource
	profileID string
	// whose is the patient's first name when the record is not the
	// user's own (a parent's view of a child's details), "" when it is.
	whose string
	ctx   context.Context
	// back, when set, leaves the screen (a Back button is shown).
	back func()

	root *fyne.Container // the page on show: the form or the conflict
	d    app.Details

	entries   map[app.DetailKey]*widget.Entry
	lang      *widget.Select
	langCodes []string // parallel to lang.Options
	langShown int      // the index shown first: a change is another one
	pharmacy  *widget.Select
	phRefs    []string // parallel to pharmacy.Options
	result    *fyne.Container
	said      fyne.CanvasObject // what became of the last change, kept across reloads
	choosing  bool              // the conflict is on show
	problem   *widget.Label
	save      *widget.Button
}

// newDetailsView builds the screen of profileID's details, naming the
// patient by whose when it is not the user's own record; call Refresh to
// fill it. UI goroutine.
func newDetailsView(ctx context.Context, src detailsSource, profileID, whose string, back func()) *detailsView {
	v := &detailsView{src: src, profileID: profileID, whose: whose, ctx: ctx, back: back}
	v.root = container.NewStack(container.NewPadded(paragraph(lang.L("Loading your details…"))))
	return v
}

// CanvasObject is the screen's root. UI goroutine.
func (v *detailsView) CanvasObject() fyne.CanvasObject { return v.root }

// Refresh reads the details again and shows the form. UI goroutine.
func (v *detailsView) Refresh() {
	background(v.ctx, v.load, v.apply)
}

func (v *detailsView) load(ctx context.Context) (app.Details, error) {
	return v.src.PatientDetails(ctx, v.profileID)
}

func (v *detailsView) show(objs ...fyne.CanvasObject) {
	v.root.Objects = []fyne.CanvasObject{container.NewVScroll(container.NewPadded(newColumn(detailMaxWidth, false, objs...)))}
	v.root.Refresh()
}

func (v *detailsView) header() []fyne.CanvasObject {
	// A heading as the other screens' (its cards' titles are no larger).
	title := heading(lang.L("Your details"))
	if v.whose != "" {
		title.Text = lang.L("{{.Name}}'s details", map[string]any{"Name": v.whose})
	}
	if v.back == nil {
		return []fyne.CanvasObject{title}
	}
	back := &widget.Button{Text: lang.L("Back"), Icon: theme.NavigateBackIcon(), Importance: widget.LowImportance, OnTapped: func() {
		v.src.Touch()
		v.back()
	}}
	return []fyne.CanvasObject{container.NewHBox(back), title}
}

// apply shows the form of d. UI goroutine.
func (v *detailsView) apply(d app.Details, err error) {
	if err != nil {
		v.show(append(v.header(), paragraph(humanActionError(err)))...)
		return
	}
	v.d = d
	v.entries = map[app.DetailKey]*widget.Entry{}
	v.problem = errorText()
	v.choosing = false
	v.result = container.NewVBox()
	if v.said != nil {
		v.result.Add(v.said)
	}
	objs := v.header()
	objs = append(objs, paragraph(lang.L("Your practice keeps these details. A change goes to the practice, which updates its record.")))
	if st := v.stateObjects(d.Update); len(st) > 0 {
		objs = append(objs, st...)
	}
	var readOnly []fyne.CanvasObject
	card := func(title string, keys ...app.DetailKey) {
		var body []fyne.CanvasObject
		for _, k := range keys {
			f := d.Field(k)
			if !f.Editable {
				body = append(body, fieldText(f.Label, firstText(f.Display, "—")))
				continue
			}
			body = append(body, v.input(f))
		}
		if len(body) > 0 {
			objs = append(objs, newCard(title, "", newColumn(0, false, body...)))
		}
	}
	for _, k := range []app.DetailKey{app.DetailName, app.DetailBirthDate, app.DetailGender} {
		if f := d.Field(k); !f.Editable {
			readOnly = append(readOnly, fieldText(f.Label, firstText(f.Display, "—")))
		}
	}
	if len(readOnly) > 0 {
		ask := warningText(lang.L("To change these, please ask {{.Who}}: your practice does not change them online.", map[string]any{"Who": d.Ask}))
		about := lang.L("About you")
		if v.whose != "" {
			about = lang.L("About {{.Name}}", map[string]any{"Name": v.whose})
		}
		objs = append(objs, newCard(about, "", newColumn(0, false, append(readOnly, ask)...)))
	}
	reach := lang.L("How to reach you")
	if v.whose != "" {
		reach = lang.L("How to reach {{.Name}}", map[string]any{"Name": v.whose})
	}
	card(reach, app.DetailPhone, app.DetailEmail)
	card(lang.L("Address"), app.DetailStreet, app.DetailCity, app.DetailState, app.DetailPostalCode)
	card(lang.L("Language"), app.DetailLanguage)
	card(lang.L("Emergency contact"), app.DetailEmergencyName, app.DetailEmergencyRelationship, app.DetailEmergencyPhone)
	card(lang.L("Pharmacy"), app.DetailPharmacy)
	editable := false
	for _, f := range d.Fields {
		editable = editable || f.Editable
	}
	if !d.CanChange || !editable {
		objs = append(objs, warningText(lang.L("Your practice does not take changes of your details online. Please ask {{.Who}}.", map[string]any{"Who": d.Ask})))
	} else {
		v.save = &widget.Button{Text: lang.L("Send changes"), Icon: theme.MailSendIcon(), Importance: widget.HighImportance, OnTapped: v.saveNow}
		if d.Update.State == app.DetailsWaiting || d.Update.State == app.DetailsChoose {
			v.save.Disable()
		}
		objs = append(objs, v.problem, container.NewHBox(v.save))
	}
	objs = append(objs, v.result)
	v.show(objs...)
}

// input is the widget that edits f. UI goroutine.
func (v *detailsView) input(f app.DetailField) fyne.CanvasObject {
	switch f.Key {
	case app.DetailLanguage:
		var labels []string
		v.langCodes = nil
		known := false
		for _, l := range app.Languages {
			labels = append(labels, l.Name())
			v.langCodes = append(v.langCodes, l.Code)
			known = known || strings.EqualFold(l.Code, f.Value)
		}
		if f.Value != "" && !known {
			labels = append([]string{f.Display}, labels...)
			v.langCodes = append([]string{f.Value}, v.langCodes...)
		}
		v.lang = widget.NewSelect(labels, nil)
		for i, c := range v.langCodes {
			if strings.EqualFold(c, f.Value) || (!known && c == f.Value) {
				v.lang.SetSelectedIndex(i)
			}
		}
		if v.lang.SelectedIndex() < 0 {
			base, _, _ := strings.Cut(f.Value, "-")
			for i, c := range v.langCodes {
				if strings.EqualFold(c, base) {
					v.lang.SetSelectedIndex(i)
				}
			}
		}
		v.langShown = v.lang.SelectedIndex()
		return newColumn(0, false, boldText(f.Label), v.lang)
	case app.DetailPharmacy:
		var labels []string
		v.phRefs = nil
		for _, ph := range v.d.Pharmacies {
			label := ph.Name
			if ph.Address != "" {
				label += " · " + ph.Address
			}
			labels = append(labels, label)
			v.phRefs = append(v.phRefs, ph.Ref)
		}
		v.pharmacy = widget.NewSelect(labels, nil)
		v.pharmacy.PlaceHolder = lang.L("Choose a pharmacy")
		for i, r := range v.phRefs {
			if r == f.Value {
				v.pharmacy.SetSelectedIndex(i)
			}
		}
		return newColumn(0, false, boldText(f.Label), v.pharmacy,
			paragraph(lang.L("Refills go there unless you choose another pharmacy for one.")))
	}
	e := widget.NewEntry()
	e.SetText(f.Value)
	key := f.Key
	label := f.Label
	if key == app.DetailEmergencyName {
		label = lang.L("Their name") // under the heading "Emergency contact"
	}
	e.Validator = func(s string) error { return app.CheckDetail(key, s) }
	switch key {
	case app.DetailEmail:
		e.SetPlaceHolder("name@example.org")
	case app.DetailPhone, app.DetailEmergencyPhone:
		e.SetPlaceHolder("(555) 123-4567")
	}
	v.entries[key] = e
	return newColumn(0, false, boldText(label), e)
}

// stateObjects say where the last change stands. UI goroutine.
func (v *detailsView) stateObjects(u app.DetailsUpdate) []fyne.CanvasObject {
	switch u.State {
	case app.DetailsWaiting:
		return []fyne.CanvasObject{warningText(lang.L("Your last change is saved on this device and waits to be sent to your practice."))}
	case app.DetailsFailed:
		return []fyne.CanvasObject{dangerText(lang.L("Your practice did not accept your last change: {{.Words}}", map[string]any{"Words": u.Words}))}
	case app.DetailsChoose:
		choose := &widget.Button{Text: lang.L("Compare and choose"), Icon: theme.ViewRefreshIcon(), Importance: widget.HighImportance, OnTapped: v.loadConflict}
		return []fyne.CanvasObject{warningText(lang.L("Your practice changed your details while you were changing them. Compare both and choose what to keep.")),
			container.NewHBox(choose)}
	}
	return nil
}

// changes are the values the patient changed in the form. UI goroutine.
func (v *detailsView) changes() map[app.DetailKey]string {
	out := map[app.DetailKey]string{}
	for k, e := range v.entries {
		if strings.TrimSpace(e.Text) != v.d.Field(k).Value {
			out[k] = e.Text
		}
	}
	if v.lang != nil {
		// Compared by position: "en-US" is shown as English ("en"), and
		// leaving it so is no change.
		if i := v.lang.SelectedIndex(); i >= 0 && i != v.langShown {
			out[app.DetailLanguage] = v.langCodes[i]
		}
	}
	if v.pharmacy != nil {
		if i := v.pharmacy.SelectedIndex(); i >= 0 && v.phRefs[i] != v.d.Field(app.DetailPharmacy).Value {
			out[app.DetailPharmacy] = v.phRefs[i]
		}
	}
	return out
}

// saveNow sends what changed. UI goroutine.
func (v *detailsView) saveNow() {
	v.src.Touch()
	changes := v.changes()
	for k, val := range changes {
		if err := app.CheckDetail(k, val); err != nil {
			showError(v.problem, humanActionError(err))
			return
		}
	}
	if len(changes) == 0 {
		showError(v.problem, lang.L("Nothing changed yet: change a detail, then send."))
		return
	}
	v.problem.Hide()
	v.save.Disable()
	v.said = nil
	version := v.d.Version
	background(v.ctx, func(ctx context.Context) (app.Submitted, error) {
		return v.src.UpdateDetails(ctx, v.profileID, changes, version)
	}, func(_ app.Submitted, err error) {
		v.save.Enable()
		v.outcome(err)
	})
}

// outcome shows what became of a change (or a resolution). UI goroutine.
func (v *detailsView) outcome(err error) {
	var conflict *app.DetailsConflictError
	var refused *app.RefusedError
	switch {
	case errors.As(err, &conflict):
		v.showConflict(conflict.Conflict)
		return
	case errors.Is(err, app.ErrInvalidInput):
		showError(v.problem, humanActionError(err))
		return
	}
	var msg *widget.Label
	switch {
	case err == nil:
		msg = boldText(lang.L("Sent. Your practice has your new details."))
		msg.Importance = widget.SuccessImportance
	case errors.As(err, &refused):
		msg = dangerText(lang.L("Your practice did not accept this change: {{.Words}}", map[string]any{"Words": refused.Message}))
	case errors.Is(err, app.ErrNeedsSignIn):
		msg = warningText(lang.L("Saved on this device. Sign in to your practice again and Carebook will send it."))
	case storedAsAccessEnded(err):
		msg = warningText(storedAsAccessEndedText())
	case errors.Is(err, app.ErrQueued):
		msg = warningText(lang.L("Saved on this device. It will be sent when Carebook reaches your practice."))
	default:
		msg = dangerText(humanActionError(err))
	}
	v.said = msg
	v.Refresh()
}

// RecordChanged reads the details again after a sync, unless the patient
// is changing them (edits in the form, or choosing after a conflict).
// UI goroutine.
func (v *detailsView) RecordChanged() {
	if v.choosing || (v.entries != nil && len(v.changes()) > 0) {
		return
	}
	v.Refresh()
}

// loadConflict reads both versions again (from the practice) and shows
// them. UI goroutine.
func (v *detailsView) loadConflict() {
	v.src.Touch()
	background(v.ctx, func(ctx context.Context) (app.DetailsConflict, error) {
		return v.src.DetailsConflictOf(ctx, v.profileID)
	}, func(c app.DetailsConflict, err error) {
		if err != nil {
			msg := humanActionError(err)
			if !errors.Is(err, app.ErrInvalidInput) {
				msg = lang.L("Carebook could not reach your practice to compare. Please try again when you are online.")
			}
			showError(v.problem, msg)
			return
		}
		v.showConflict(c)
	})
}

// showConflict shows both versions field by field, each row with the
// patient's value and the practice's to choose from. UI goroutine.
func (v *detailsView) showConflict(c app.DetailsConflict) {
	v.choosing = true
	keep := map[app.DetailKey]bool{}
	objs := v.header()
	objs = append(objs, warningText(lang.L("Your practice changed your details while you were changing them. For each detail, choose which to keep; Carebook then sends your choice.")))
	for _, r := range c.Rows {
		r := r
		keep[r.Key] = true
		yours := &widget.Button{Text: firstText(r.YoursDisplay, lang.L("(none)"))}
		theirs := &widget.Button{Text: firstText(r.PracticeDisplay, lang.L("(none)"))}
		mark := func() {
			yours.Importance, theirs.Importance = widget.MediumImportance, widget.MediumImportance
			yours.Icon, theirs.Icon = nil, nil
			chosen := theirs
			if keep[r.Key] {
				chosen = yours
			}
			chosen.Importance, chosen.Icon = widget.HighImportance, theme.ConfirmIcon()
			yours.Refresh()
			theirs.Refresh()
		}
		yours.OnTapped = func() { v.src.Touch(); keep[r.Key] = true; mark() }
		theirs.OnTapped = func() { v.src.Touch(); keep[r.Key] = false; mark() }
		mark()
		label := boldText(r.Label)
		practiceCaption := lang.L("At your practice now")
		if r.PracticeChanged {
			practiceCaption = lang.L("Changed at your practice")
		}
		objs = append(objs, widget.NewSeparator(), label, container.New(&pairLayout{},
			newColumn(0, false, captionText(lang.L("Yours")), yours),
			newColumn(0, false, captionText(practiceCaption), theirs)))
	}
	problem := errorText()
	var send *widget.Button
	send = &widget.Button{Text: lang.L("Send my choice"), Icon: theme.MailSendIcon(), Importance: widget.HighImportance, OnTapped: func() {
		v.src.Touch()
		send.Disable()
		choice := map[app.DetailKey]bool{}
		for k, b := range keep {
			choice[k] = b
		}
		background(v.ctx, func(ctx context.Context) (app.Submitted, error) {
			return v.src.ResolveDetailsConflict(ctx, v.profileID, c, choice)
		}, func(_ app.Submitted, err error) {
			send.Enable()
			if errors.Is(err, app.ErrInvalidInput) {
				showError(problem, humanActionError(err))
				return
			}
			v.outcome(err)
		})
	}}
	objs = append(objs, widget.NewSeparator(), problem, container.NewHBox(send))
	v.show(objs...)
}

func captionText(s string) *widget.Label {
	l := paragraph(s)
	l.SizeName = theme.SizeNameCaptionText
	return l
}

// pairWideWidth is the narrowest width that shows the two versions of a
// detail side by side; narrower (a phone) shows one above the other.
const pairWideWidth = 480

// pairLayout lays out two objects side by side, each half the width, on a
// wide screen, and one above the other on a narrow one.
type pairLayout struct {
	width float32 // the width of the last layout, 0 before it
}

func (l *pairLayout) Layout(objects []fyne.CanvasObject, size fyne.Size) {
	a, b := objects[0], objects[1]
	pad := theme.Padding()
	l.width = size.Width
	if size.Width >= pairWideWidth {
		w := (size.Width - pad) / 2
		a.Move(fyne.NewPos(0, 0))
		a.Resize(fyne.NewSize(w, heightAt(a, w)))
		b.Move(fyne.NewPos(w+pad, 0))
		b.Resize(fyne.NewSize(w, heightAt(b, w)))
		return
	}
	ha := heightAt(a, size.Width)
	a.Move(fyne.NewPos(0, 0))
	a.Resize(fyne.NewSize(size.Width, ha))
	b.Move(fyne.NewPos(0, ha+pad))
	b.Resize(fyne.NewSize(size.Width, heightAt(b, size.Width)))
}

// MinSize is the height of the arrangement of the last layout (columnLayout
// lays out at the final width before it asks), stacked before any.
func (l *pairLayout) MinSize(objects []fyne.CanvasObject) fyne.Size {
	a, b := objects[0].MinSize(), objects[1].MinSize()
	if l.width >= pairWideWidth {
		return fyne.NewSize(a.Width+theme.Padding()+b.Width, max(a.Height, b.Height))
	}
	return fyne.NewSize(max(a.Width, b.Width), a.Height+theme.Padding()+b.Height)
}
