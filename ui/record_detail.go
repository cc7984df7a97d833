package ui

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/carebook/carebook/app"
)

// detailMaxWidth keeps lines of the details readable on a wide window.
const detailMaxWidth = 760

// field is one "label: value" line of an entry's details.
type field struct{ label, value string }

// textBlock is a titled paragraph: a note, a comment, a document's text.
type textBlock struct{ heading, body string }

// resultModel is one result of a lab panel.
type resultModel struct {
	name    string
	value   string
	flag    string // flagText: "" when normal
	rng     string // reference range, "" when none was given
	date    string
	notes   []string
	partial bool
	parts   []field     // components (systolic, diastolic)
	trend   *trendModel // nil when the result has no numeric history
	// bar places the value in its reference range; nil without a
	// numeric value and range. meaning says where in words.
	bar     *rangeBarModel
	meaning string
	// technical is the name as the practice's system gives it (shown on
	// request); learn is a MedlinePlus page about the test ("" for none).
	technical string
	learn     string
	original  string // the value as recorded, when value is converted for the locale
}

// docModel is a document attached to an entry: shown as text when it has
// readable text, opened in the system viewer otherwise (PDFs, files that
// are not inline).
type docModel struct {
	title      string
	date       string
	kind       string // "PDF", "text", the MIME type
	text       string
	docRef     string
	attachment int
	external   bool   // open through recordSource.OpenDocument
	profileID  string // the profile holding it ("" the record on screen)
}

// detailModel is everything the details of one entry show, as text. It is
// built from a chart without widgets; detailPage turns it into widgets.
type detailModel struct {
	title    string
	subtitle string
	section  string // where the entry lives ("Medications"), for search hits
	partial  bool
	flag     string
	// notice is a caution about the whole entry, such as a result the
	// doctor may not have reviewed yet.
	notice string
	// technical is the entry's name as the practice's system gives it,
	// shown on request; learn is a MedlinePlus page about it ("" for none).
	technical string
	learn     string
	trend     *trendModel
	fields    []field
	results   []resultModel
	texts     []textBlock
	docs      []docModel
	appt      *app.Appointment // an appointment: its actions follow
	// askRef, when set, is the result or report ("DiagnosticReport/id")
	// the patient can ask the practice about from here.
	askRef string
	// billRef, when set, is the statement ("Invoice/id") the patient can
	// ask the billing office about; payable says it is still to pay (the
	// practice's payment page is offered where it publishes one).
	billRef string
	payable bool
	// requests are the requests the patient can make from this entry (a
	// refill, a copy, a referral, a correction); shown as buttons when the
	// app offers requests.
	requests []requestAction
	// profileID, when set, is the profile the entry comes from (in a
	// merged view, another practice's): its requests and documents go
	// there. "" is the record on screen.
	profileID string
}

// requestAction is a request the patient can start from an entry.
type requestAction struct {
	label string
	kind  app.RequestKind
	about string // "Type/id" of the entry
}

// addRequest offers a request about the entry about.
func (m *detailModel) addRequest(label string, kind app.RequestKind, about string) {
	m.requests = append(m.requests, requestAction{label: label, kind: kind, about: about})
}

// addField appends label: value when value is not blank.
func (m *detailModel) addField(label, value string) {
	if value = firstText(value); value != "" {
		m.fields = append(m.fields, field{label, value})
	}
}

// addText appends a titled paragraph when body is not blank.
func (m *detailModel) addText(heading, body string) {
	if body = firstText(body); body != "" {
		m.texts = append(m.texts, textBlock{heading, body})
	}
}

// detailPage builds the widgets of m inside md; trends open on top of it.
// UI goroutine.
func (v *recordView) detailPage(md *masterDetail, m detailModel) fyne.CanvasObject {
	var objs []fyne.CanvasObject
	title := paragraph(m.title)
	title.TextStyle = fyne.TextStyle{Bold: true}
	title.SizeName = theme.SizeNameSubHeadingText
	objs = append(objs, title)
	if m.subtitle != "" {
		objs = append(objs, paragraph(m.subtitle))
	}
	if m.section != "" {
		objs = append(objs, fieldText(lang.L("In your record under"), m.section))
	}
	if m.partial {
		objs = append(objs, warningText(partialDetailText()))
	}
	if m.notice != "" {
		objs = append(objs, warningText(m.notice))
	}
	if m.flag != "" {
		objs = append(objs, dangerText(m.flag))
	}
	if m.technical != "" || m.learn != "" {
		objs = append(objs, v.aboutRow(m.technical, "", m.learn))
	}
	if m.trend != nil {
		objs = append(objs, trendObjects(*m.trend)...)
	}
	for _, f := range m.fields {
		objs = append(objs, fieldText(f.label, f.value))
	}
	if m.askRef != "" && v.ask != nil {
		ref := m.askRef
		objs = append(objs, container.NewHBox(&widget.Button{Text: lang.L("Ask about this result"), Icon: theme.MailComposeIcon(),
			OnTapped: func() { v.src.Touch(); v.ask(ref) }}))
	}
	if m.billRef != "" {
		objs = append(objs, v.billActions(m))
	}
	// Comments and notes come before the values: a provider's word on a
	// panel is what a patient most needs to read.
	for _, t := range m.texts {
		objs = append(objs, widget.NewSeparator(), boldText(t.heading), paragraph(t.body))
	}
	for _, r := range m.results {
		objs = append(objs, widget.NewSeparator())
		objs = append(objs, v.resultObjects(md, r)...)
	}
	for _, d := range m.docs {
		d.profileID = firstText(d.profileID, m.profileID)
		objs = append(objs, widget.NewSeparator())
		objs = append(objs, v.docObjects(d)...)
	}
	if rs, ok := v.src.(requestSource); ok && len(m.requests) > 0 {
		objs = append(objs, widget.NewSeparator())
		var buttons []fyne.CanvasObject
		for _, r := range m.requests {
			buttons = append(buttons, &widget.Button{Text: r.label, Icon: requestIcon(r.kind), OnTapped: func() {
				v.src.Touch()
				form := newRequestForm(context.Background(), rs, firstText(m.profileID, v.profileID), r.kind, r.about)
				form.seeRequests = v.openRequests
				md.push(form.root)
			}})
		}
		objs = append(objs, buttonRow(buttons...))
	}
	var page fyne.CanvasObject
	col := newColumn(detailMaxWidth, false)
	if m.appt != nil {
		objs = append(objs, v.appointmentActions(md, *m.appt, func() bool { return md.hasPage(page) }, col.Refresh)...)
	}
	col.Objects = objs
	page = container.NewVScroll(container.NewPadded(col))
	return page
}

// resultObjects shows one lab result: its name, value, flag in words and
// colour, range, comments, and a button to its trend.
func (v *recordView) resultObjects(md *masterDetail, r resultModel) []fyne.CanvasObject {
	objs := []fyne.CanvasObject{boldText(r.name)}
	if r.value != "" {
		val := paragraph(r.value)
		val.SizeName = theme.SizeNameSubHeadingText
		objs = append(objs, val)
	}
	for _, p := range r.parts {
		objs = append(objs, fieldText(p.label, p.value))
	}
	if r.flag != "" {
		objs = append(objs, dangerText(r.flag))
	}
	if r.bar != nil {
		objs = append(objs, newRangeBar(*r.bar))
	}
	if r.meaning != "" {
		objs = append(objs, paragraph(r.meaning))
	}
	if r.rng != "" {
		objs = append(objs, fieldText(lang.L("Normal range"), r.rng))
	}
	if r.date != "" {
		objs = append(objs, fieldText(lang.L("Taken"), r.date))
	}
	for _, n := range r.notes {
		objs = append(objs, fieldText(lang.L("Comment"), n))
	}
	if r.partial {
		objs = append(objs, warningText(lang.L("Part of this entry could not be read.")))
	}
	if r.technical != "" || r.original != "" || r.learn != "" {
		objs = append(objs, v.aboutRow(r.technical, r.original, r.learn))
	}
	if r.trend != nil {
		tm := *r.trend
		objs = append(objs, container.NewHBox(&widget.Button{
			Text: lang.N("See trend ({{.Count}} results)", tm.count(), map[string]any{"Count": tm.count()}),
			Icon: theme.ViewRestoreIcon(),
			OnTapped: func() {
				v.src.Touch()
				md.push(v.trendPage(tm))
			},
		}))
	}
	return objs
}

// docObjects shows a document: its text when readable, or a button that
// opens it in the system viewer.
func (v *recordView) docObjects(d docModel) []fyne.CanvasObject {
	objs := []fyne.CanvasObject{boldText(d.title)}
	if meta := joinNonEmpty(" · ", d.date, d.kind); meta != "" {
		objs = append(objs, paragraph(meta))
	}
	if d.text != "" {
		objs = append(objs, paragraph(d.text))
	}
	if !d.external {
		return objs
	}
	problem := errorText()
	var open *widget.Button
	open = &widget.Button{Text: openDocText(d.kind), Icon: theme.FileIcon(), OnTapped: func() {
		v.src.Touch()
		problem.Hide()
		open.Disable()
		runFor(v, context.Background(), func(ctx context.Context) (struct{}, error) {
			return struct{}{}, v.src.OpenDocument(ctx, firstText(d.profileID, v.profileID), d.docRef, d.attachment)
		}, func(_ struct{}, err error) {
			open.Enable()
			if err != nil {
				showError(problem, lang.L("Carebook could not open this document. It may not have been downloaded yet: try again after the next sync."))
			}
		})
	}}
	return append(objs, open, problem)
}

// buttonRowWidth fits the longest action button's text, and two of them
// side by side on a wide window; a phone shows one a line.
const buttonRowWidth = 250

// buttonRow lays buttons out side by side, wrapping to the next line when
// the window is narrow.
func buttonRow(buttons ...fyne.CanvasObject) *fyne.Container {
	h := float32(0)
	for _, b := range buttons {
		h = max(h, b.MinSize().Height)
	}
	return container.NewGridWrap(fyne.NewSize(buttonRowWidth, h), buttons...)
}

func requestIcon(kind app.RequestKind) fyne.Resource {
	switch kind {
	case app.RequestRefill:
		return theme.MailReplyIcon()
	case app.RequestCorrection:
		return theme.DocumentCreateIcon()
	}
	return theme.MailComposeIcon()
}

// fieldText is a wrapped "label: value" line with the label in bold.
func fieldText(label, value string) *widget.RichText {
	rt := widget.NewRichText(
		&widget.TextSegment{Style: widget.RichTextStyleStrong, Text: label + ": "},
		&widget.TextSegment{Style: widget.RichTextStyleInline, Text: value},
	)
	rt.Wrapping = fyne.TextWrapWord
	return rt
}

func boldText(text string) *widget.Label {
	l := paragraph(text)
	l.TextStyle = fyne.TextStyle{Bold: true}
	return l
}

func dangerText(text string) *widget.Label {
	l := boldText(text)
	l.Importance = widget.DangerImportance
	return l
}

func warningText(text string) *widget.Label {
	l := paragraph(text)
	l.Importance = widget.WarningImportance
	return l
}

// openDocText is the button that opens a document of a kind ("Open
// discharge summary"), or any document.
func openDocText(kind string) string {
	if kind == "" {
		return lang.L("Open document")
	}
	return lang.L("Open {{.Kind}}", map[string]any{"Kind": kind})
}
