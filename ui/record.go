package ui

// The health record screen of one profile: results and their trends,
// medications, allergies, conditions, immunizations, visits with their
// documents, care plans and goals, and search.
//
// Vocabulary: a section is one of those parts; its model (sectionModel) is
// the rows of its list plus how to build the details of a row, computed
// from the decoded record (record.Chart) off the UI goroutine. Each section
// shows as a masterDetail: a virtualized list and the details of the chosen
// entry. Sections load the first time they are shown and again on Refresh.

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/carebook/carebook/app"
	"github.com/carebook/carebook/app/record"
)

// recordSource is what the record screen needs from the app core; *app.App
// satisfies it. Its methods may block (they read the encrypted cache): call
// them off the UI goroutine, except Touch, which is cheap.
type recordSource interface {
	// ChartOf is the record's resources of types (with what names them),
	// decoded, from the local cache (works offline).
	ChartOf(ctx context.Context, profileID string, types ...string) (*record.Chart, error)
	// ChartOfEntries is the record's entries of keys ("Type/id"), with
	// what names them, decoded (works offline).
	ChartOfEntries(ctx context.Context, profileID string, keys ...string) (*record.Chart, error)
	Search(ctx context.Context, profileID, query string, limit int) ([]record.Hit, error)
	OpenDocument(ctx context.Context, profileID, docRef string, attachment int) error // shows a PDF/attachment in the system viewer
	MarkResultOpened(ctx context.Context, profileID string, keys ...string) error     // opened results are no longer new
	Touch()                                                                           // user activity (postpones auto-lock); cheap
}

// sectionModel is what a section's list shows, built without widgets.
type sectionModel struct {
	items  []listItem
	empty  string                  // said instead of an empty list
	detail func(i int) detailModel // details of items[i]; pure, cheap for one entry
	// load, when set, builds the details of items[i] instead of detail,
	// off the UI goroutine: read gives the entries they need that the
	// section does not keep. A long record's results are listed, not
	// kept decoded: an entry's are read when it is opened.
	load func(ctx context.Context, read entryReader, i int) (detailModel, error)
	// from is the profile whose record the section shows ("": the
	// view's own), which load reads.
	from string
	// trends, in the results section, are the trends of its results
	// (search shows a result with its trend).
	trends *trendIndex
	// seenKey, when set, names what opening items[i] marks as seen
	// (record.LabGroup.Key for a result), "" for nothing.
	seenKey func(i int) string
	// page, when set, builds the details of items[i] instead of detail
	// (pages with actions of their own: a document, an export). UI
	// goroutine.
	page func(v *recordView, md *masterDetail, i int) fyne.CanvasObject
	// people, when set, are the profiles of the person on screen (the
	// record's own first): more than one offers the merged view and
	// each practice's own.
	people []app.ProfileInfo
	// compacted: the section moved the texts it keeps into one
	// allocation itself (keptTexts), its rows' among them.
	compacted bool
}

// entryReader reads record entries by key ("Type/id"), decoded, with
// app.SupportTypes (what names them). Any goroutine but the UI's.
type entryReader func(ctx context.Context, keys ...string) (*record.Chart, error)

// hasDetail reports whether the model's rows open details.
func (m sectionModel) hasDetail() bool { return m.detail != nil || m.load != nil }

// detailAt builds the details of items[i], reading what they need with
// read. Any goroutine but the UI's when m.load is set.
func (m sectionModel) detailAt(ctx context.Context, read entryReader, i int) (detailModel, error) {
	if m.load != nil {
		return m.load(ctx, read, i)
	}
	return m.detail(i), nil
}

// reader reads the entries of profile pid ("" the view's own). Any
// goroutine.
func (v *recordView) reader(pid string) entryReader {
	src, pid := v.src, firstText(pid, v.profileID)
	return func(ctx context.Context, keys ...string) (*record.Chart, error) {
		return src.ChartOfEntries(ctx, pid, keys...)
	}
}

// sectionDef describes one section of the record.
type sectionDef struct {
	name string // ShowSection's name: "results", "medications", …; label() is what the patient reads
	// types are the resource types build reads (the chart it is given
	// holds those and app.SupportTypes, no more).
	types []string
	build func(c *record.Chart) sectionModel
	// buildWithAppts, when set and the source books appointments, is
	// used instead of build with the app core's appointments.
	buildWithAppts func(c *record.Chart, appts app.Appointments) sectionModel
	// merged, when set, builds the section of a person linked at
	// several practices, all practices together (record_merged.go).
	merged func(m app.MergedRecord) sectionModel
}

// recordSections lists the sections in the order they are offered.
var recordSections = []sectionDef{
	{name: "results", types: resultTypes, build: resultsSection, merged: mergedResults},
	{name: "vitals", types: resultTypes, build: vitalsSection, merged: mergedVitals},
	{name: "medications", types: []string{"MedicationRequest"}, build: medicationsSection, merged: mergedMedications},
	{name: "allergies", types: []string{"AllergyIntolerance"}, build: allergiesSection, merged: mergedAllergies},
	{name: "conditions", types: []string{"Condition"}, build: conditionsSection, merged: mergedConditions},
	{name: "immunizations", types: []string{"Immunization"}, build: immunizationsSection, merged: mergedImmunizations},
	{name: "visits", types: clinicalTypes, build: visitsSection, buildWithAppts: visitsSectionWith, merged: mergedVisits},
	{name: "documents"},
	{name: "billing", types: []string{"Invoice", "Account"}, build: billingSection},
	{name: "care", types: []string{"CarePlan", "Goal", "CareTeam", "Condition"}, build: careSection},
	{name: "keep"},
	{name: "search"},
}

// resultTypes are what the results and their trends read (one chart,
// shared by the two sections while both are being built).
var resultTypes = []string{"Observation", "DiagnosticReport"}

// clinicalTypes are what the visits read: the results of each visit
// too.
var clinicalTypes = []string{"Observation", "DiagnosticReport", "Encounter", "Procedure", "DocumentReference", "Appointment"}

// label is what the patient reads for the section, in the current
// language.
func (d sectionDef) label() string {
	switch d.name {
	case "results":
		return lang.L("Results")
	case "vitals":
		return lang.L("Trends")
	case "medications":
		return lang.L("Medications")
	case "allergies":
		return lang.L("Allergies")
	case "conditions":
		return lang.L("Conditions")
	case "immunizations":
		return lang.L("Immunizations")
	case "visits":
		return lang.L("Visits")
	case "documents":
		return lang.L("Documents")
	case "billing":
		return lang.L("Billing")
	case "care":
		return lang.L("Care plans")
	case "keep":
		return lang.L("Take it with you")
	case "search":
		return lang.L("Search")
	}
	return d.name
}

// choose is said where the details go before an entry is chosen.
func (d sectionDef) choose() string {
	switch d.name {
	case "results":
		return lang.L("Choose a result to see its values.")
	case "vitals":
		return lang.L("Choose a measurement to see how it changed over time.")
	case "medications":
		return lang.L("Choose a medication to see how to take it.")
	case "allergies":
		return lang.L("Choose an allergy to see its reactions.")
	case "conditions":
		return lang.L("Choose a condition to see its details.")
	case "immunizations":
		return lang.L("Choose a vaccine to see its details.")
	case "visits":
		return lang.L("Choose an appointment to see or change it, or a past visit to see its summary and documents.")
	case "documents":
		return lang.L("Choose a document to read, open or save it.")
	case "billing":
		return lang.L("Choose a statement to see its charges.")
	case "care":
		return lang.L("Choose a plan, goal or care team to see its details.")
	case "keep":
		return lang.L("Choose your emergency card, or what to save or print.")
	case "search":
		return lang.L("Choose a result to see that entry.")
	}
	return ""
}

// sectionView is one section on screen.
type sectionView struct {
	def    sectionDef
	md     *masterDetail
	model  sectionModel
	loaded bool // a load was started since the last Refresh
	gen    int  // counts the models applied, so late work can tell it is stale
	cancel context.CancelFunc
	// opening counts the entries opened, so details read late for an
	// entry left meanwhile are dropped.
	opening int
	search  *searchBox // the search section only
	query   string     // the documents section only: its filter
	// reopenKey, when set, is the entry whose details the next load
	// opens (an appointment just booked), instead of the one on show.
	reopenKey string
}

// recordView is the health record screen of one profile.
type recordView struct {
	src       recordSource
	booking   bookingSource // nil when the source cannot book
	profileID string
	// person is whose record it is: an empty section of a record the
	// practice does not share with this user says so, in its words.
	person app.ProfileInfo
	win    fyne.Window
	// inline runs loads on the calling goroutine instead of in the
	// background: a test hook, so tests read widgets without racing.
	inline bool
	// ask, when set, opens a new message about a result or report
	// ("DiagnosticReport/id"). UI goroutine.
	ask func(ref string)
	// askBill, when set, opens a new message to the billing office about
	// a statement ("Invoice/id"). UI goroutine.
	askBill func(ref string)

	// openRequests shows the Requests screen (set by the shell; nil in
	// tests without one).
	openRequests func()

	// merged is the source's merged views (nil when it has none); view
	// is the profile shown alone when the person is linked at several
	// practices, "" for all of them together (the default).
	merged     mergedSource
	view       string
	people     []app.ProfileInfo
	viewPicker *widget.Select
	viewBar    *fyne.Container

	sections []*sectionView
	current  *sectionView
	picker   *widget.Select
	buttons  map[string]*widget.Button
	body     *fyne.Container
	root     fyne.CanvasObject
}

// newRecordView builds the health record screen of profileID, showing its
// results. UI goroutine.
func newRecordView(src recordSource, person app.ProfileInfo, win fyne.Window) *recordView {
	v := buildRecordView(src, person.ID, win, false)
	v.person = person
	v.ShowSection("results")
	return v
}

// buildRecordView builds the screen without loading anything; inline is
// the test hook described on recordView.
func buildRecordView(src recordSource, profileID string, win fyne.Window, inline bool) *recordView {
	v := &recordView{src: src, profileID: profileID, win: win, inline: inline, buttons: map[string]*widget.Button{}}
	if b, ok := src.(bookingSource); ok {
		v.booking = b
	}
	if m, ok := src.(mergedSource); ok {
		v.merged = m
	}
	labels := make([]string, len(recordSections))
	wide := container.NewHBox()
	for i, def := range recordSections {
		s := &sectionView{def: def}
		v.sections = append(v.sections, s)
		labels[i] = def.label()
		name := def.name
		b := &widget.Button{Text: def.label(), OnTapped: func() { v.ShowSection(name) }}
		v.buttons[name] = b
		wide.Add(b)
	}
	v.picker = widget.NewSelect(labels, func(label string) {
		for _, def := range recordSections {
			if def.label() == label {
				v.ShowSection(def.name)
			}
		}
	})
	narrow := container.NewBorder(nil, nil, widget.NewLabelWithStyle(lang.L("Show"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), nil, v.picker)
	bar := container.New(widthSwitch{}, narrow, wide)
	v.body = container.NewStack()
	v.viewPicker = widget.NewSelect(nil, v.chooseView)
	v.viewBar = container.NewBorder(nil, nil, widget.NewLabelWithStyle(lang.L("Practice"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), nil, v.viewPicker)
	v.viewBar.Hide()
	v.root = container.NewBorder(container.NewVBox(bar, v.viewBar, widget.NewSeparator()), nil, nil, nil, v.body)
	return v
}

// CanvasObject is the screen's content. UI goroutine.
func (v *recordView) CanvasObject() fyne.CanvasObject { return v.root }

// ShowSection shows the section called name ("results", "vitals",
// "medications", "allergies", "conditions", "immunizations", "visits",
// "messages", "billing",
// "care", "search"), loading it the first time. Unknown names are ignored.
// UI goroutine.
func (v *recordView) ShowSection(name string) {
	s := v.section(name)
	if s == nil || s == v.current {
		return
	}
	v.src.Touch()
	if s.md == nil {
		v.buildSection(s)
	}
	v.current = s
	v.body.Objects = []fyne.CanvasObject{s.md.root}
	v.body.Refresh()
	for n, b := range v.buttons {
		if n == name {
			b.Importance = widget.HighImportance
		} else {
			b.Importance = widget.MediumImportance
		}
		b.Refresh()
	}
	v.picker.SetSelected(s.def.label())
	if !s.loaded {
		v.load(s)
	}
	if s.search != nil {
		s.search.focus(v.win)
	}
}

// Refresh reloads the section on show from the source (after a sync); the
// others reload when next shown. UI goroutine.
func (v *recordView) Refresh() {
	for _, s := range v.sections {
		s.loaded = false
		if s.search != nil {
			s.search.forget()
		}
	}
	if v.current != nil {
		v.load(v.current)
	}
}

func (v *recordView) section(name string) *sectionView {
	for _, s := range v.sections {
		if s.def.name == name {
			return s
		}
	}
	return nil
}

func (v *recordView) buildSection(s *sectionView) {
	var top fyne.CanvasObject
	if s.def.name == "search" {
		s.search = v.newSearchBox(s)
		top = s.search.root
	}
	if s.def.name == "documents" {
		top = v.documentFilter(s)
	}
	var md *masterDetail
	if s.def.buildWithAppts != nil && v.booking != nil {
		top = container.NewPadded(&widget.Button{Text: lang.L("Book a visit"), Icon: theme.ContentAddIcon(), Importance: widget.HighImportance,
			OnTapped: func() {
				v.src.Touch()
				md.list.UnselectAll()
				md.selected = -1
				md.showDetail(v.bookingPage(md, nil))
			}})
	}
	s.md = newMasterDetail(top, s.def.choose())
	md = s.md
	s.md.onSelect = func(i int) {
		v.src.Touch()
		if s.model.page != nil {
			s.md.showDetail(s.model.page(v, s.md, i))
			return
		}
		switch {
		case s.model.load != nil:
			v.loadDetail(s, i)
		case s.model.detail != nil:
			s.md.showDetail(v.detailPage(s.md, s.model.detail(i)))
		default:
			return
		}
		if s.model.seenKey != nil {
			if key := s.model.seenKey(i); key != "" {
				// Opening a result is seeing it: it is no longer new on the
				// dashboard. Best effort: failing to record it leaves it
				// new until it is opened again.
				src, profileID := v.src, v.profileID
				runFor(v, context.Background(), func(ctx context.Context) (struct{}, error) {
					return struct{}{}, src.MarkResultOpened(ctx, profileID, key)
				}, func(struct{}, error) {})
			}
		}
	}
}

// loadDetail reads what the details of the section's items[i] need off
// the UI goroutine and shows them, unless another entry was opened or
// the section reloaded meanwhile. UI goroutine.
func (v *recordView) loadDetail(s *sectionView, i int) {
	s.opening++
	m, gen, opening := s.model, s.gen, s.opening
	read := v.reader(m.from)
	runFor(v, context.Background(), func(ctx context.Context) (detailModel, error) {
		return m.load(ctx, read, i)
	}, func(d detailModel, err error) {
		if s.gen != gen || s.opening != opening {
			return
		}
		if err != nil {
			s.md.showDetail(paragraph(lang.L("Carebook could not read this part of your record. Please try again.")))
			return
		}
		s.md.showDetail(v.detailPage(s.md, d))
	})
}

// load reads the section's model off the UI goroutine and applies it,
// dropping the result of any earlier load of the same section.
func (v *recordView) load(s *sectionView) {
	if s.def.name == "search" {
		s.loaded = true
		s.search.run()
		return
	}
	if s.cancel != nil {
		s.cancel()
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.loaded = true
	if len(s.md.items) == 0 {
		s.md.setStatus(lang.L("Loading…"), false)
	}
	def, query, view := s.def, s.query, v.view
	runFor(v, ctx, func(ctx context.Context) (sectionModel, error) {
		if m, ok, err := v.keepSection(ctx, def.name, query); ok {
			return m, err
		}
		pid := v.profileID
		var people []app.ProfileInfo
		var c *record.Chart // the chart of def's types, when read already
		if v.merged != nil {
			mr, err := v.merged.MergedRecordOf(ctx, v.profileID, def.types...)
			if err != nil {
				return sectionModel{}, err
			}
			people = mr.Profiles
			if mr.Linked() && view == "" && def.merged != nil {
				m := def.merged(mr)
				m.people = people
				return m, nil
			}
			if mr.Linked() && view != "" {
				pid = view
			}
			if !mr.Linked() && len(mr.Parts) == 1 {
				c = mr.Parts[0].Chart
			}
		}
		m, err := v.build(ctx, def, pid, c)
		m.people = people
		return m, err
	}, func(m sectionModel, err error) { v.apply(s, m, err) })
}

// build is a section of one profile's record: the record on screen, or
// (pid) another practice's record of the same person, whose entries'
// requests then go to that practice. c, when not nil, is pid's chart of
// def's types, read already. Any goroutine.
func (v *recordView) build(ctx context.Context, def sectionDef, pid string, c *record.Chart) (sectionModel, error) {
	if c == nil {
		var err error
		if c, err = v.src.ChartOf(ctx, pid, def.types...); err != nil {
			return sectionModel{}, err
		}
	}
	var m sectionModel
	if def.buildWithAppts != nil && v.booking != nil && pid == v.profileID {
		appts, err := v.booking.Appointments(ctx, v.profileID)
		if err != nil {
			return sectionModel{}, err
		}
		m = def.buildWithAppts(c, appts)
	} else {
		m = def.build(c)
	}
	if pid == v.profileID {
		if text := v.notShared(ctx, def.name); text != "" {
			if len(m.items) == 0 {
				m.empty = text
			} else {
				// The section lists what the practice does share (the
				// visits section's appointments): what it does not is said,
				// not left to look like none.
				m = withNotShared(m, def.label(), text)
			}
		}
	}
	if pid != v.profileID && m.hasDetail() {
		if inner := m.detail; inner != nil {
			m.detail = func(i int) detailModel {
				d := inner(i)
				d.profileID, d.askRef = pid, ""
				return d
			}
		}
		if inner := m.load; inner != nil {
			m.load = func(ctx context.Context, read entryReader, i int) (detailModel, error) {
				d, err := inner(ctx, read, i)
				d.profileID, d.askRef = pid, ""
				return d, err
			}
		}
		m.seenKey = nil
		m.from = pid
	}
	if !m.compacted {
		var k keptTexts
		k.addItems(m.items)
		k.compact()
	}
	return m, nil
}

// mergedSource is what a record source offers for one person linked at
// several practices (*app.App does).
type mergedSource interface {
	// MergedRecordOf is the person's records at every linked practice,
	// of types (with what names them) only.
	MergedRecordOf(ctx context.Context, profileID string, types ...string) (app.MergedRecord, error)
}

// allPractices is the view picker's choice of every practice together.
func allPractices() string { return lang.L("All practices") }

// setPeople offers the merged view and each practice's own when the
// person is linked at several practices, and hides the choice otherwise.
// UI goroutine.
func (v *recordView) setPeople(people []app.ProfileInfo) {
	if len(people) < 2 {
		v.people, v.view = nil, ""
		if v.viewBar.Visible() {
			v.viewBar.Hide()
			v.root.Refresh()
		}
		return
	}
	v.people = people
	options := []string{allPractices()}
	selected := allPractices()
	for _, p := range people {
		options = append(options, p.Practice)
		if p.ID == v.view {
			selected = p.Practice
		}
	}
	v.viewPicker.Options = options
	// Set without OnChanged: this is what is on screen already.
	v.viewPicker.Selected = selected
	v.viewPicker.Refresh()
	if !v.viewBar.Visible() {
		v.viewBar.Show()
		v.root.Refresh() // the bar above the sections grows
	}
}

// chooseView shows all practices together (allPractices) or one
// practice's record alone, reloading the section on screen. UI goroutine.
func (v *recordView) chooseView(label string) {
	view := ""
	for _, p := range v.people {
		if p.Practice == label && label != allPractices() {
			view = p.ID
		}
	}
	if view == v.view {
		return
	}
	v.ShowView(view)
}

// ShowView shows the record of the practice of profile id alone, or every
// practice together for "" (the default). UI goroutine.
func (v *recordView) ShowView(id string) {
	v.src.Touch()
	v.view = id
	for _, s := range v.sections {
		s.loaded = false
	}
	if v.current != nil {
		v.load(v.current)
	}
}

// apply shows a loaded model. UI goroutine.
func (v *recordView) apply(s *sectionView, m sectionModel, err error) {
	if err != nil {
		s.loaded = false // try again when next shown
		s.md.setStatus(lang.L("Carebook could not read this part of your record. Please try again."), true)
		return
	}
	// The entry the patient was reading stays open when the section
	// reloads after a sync, if it is still in the record.
	key := s.md.openKey()
	if s.reopenKey != "" {
		key, s.reopenKey = s.reopenKey, ""
	}
	if m.people != nil {
		v.setPeople(m.people)
	}
	s.model = m
	s.gen++
	s.md.setItems(m.items, m.empty)
	s.md.reopen(key)
}

// runFor runs work off the UI goroutine and apply on it through
// background, or both inline when the view's test hook says so.
func runFor[T any](v *recordView, ctx context.Context, work func(context.Context) (T, error), apply func(T, error)) {
	if v.inline {
		r, err := work(ctx)
		if ctx.Err() == nil {
			apply(r, err)
		}
		return
	}
	background(ctx, work, apply)
}

// accessSource is what a record source may tell of what the practice
// shares (*app.App does).
type accessSource interface {
	Access(ctx context.Context, profileID string) (app.Access, error)
}

// notShared says why a section is empty when the practice does not share
// it with this user, "" otherwise. Any goroutine.
func (v *recordView) notShared(ctx context.Context, section string) string {
	src, ok := v.src.(accessSource)
	st, known := sectionTypes[section]
	if !ok || !known {
		return ""
	}
	ac, err := src.Access(ctx, v.profileID)
	if err != nil {
		return ""
	}
	if hidden, reason := ac.Hides(st.types...); hidden {
		return hiddenText(v.person, st.words, reason)
	}
	return ""
}

// withNotShared ends a section's list with a heading and the practice's
// word that it does not share the rest (label, "Visits": a teenager's
// past visits, whose appointments her parent sees).
func withNotShared(m sectionModel, label, text string) sectionModel {
	n := len(m.items)
	inner := m.detail
	past := upperFirst(lang.L("Past {{.Section}}", map[string]any{"Section": strings.ToLower(label)}))
	m.items = append(m.items[:n:n], listItem{header: true, title: past}, listItem{title: text})
	if inner != nil || m.load == nil {
		m.detail = func(i int) detailModel {
			if i >= n {
				return detailModel{title: past, subtitle: text}
			}
			return inner(i)
		}
	}
	if load := m.load; load != nil {
		m.load = func(ctx context.Context, read entryReader, i int) (detailModel, error) {
			if i >= n {
				return detailModel{title: past, subtitle: text}, nil
			}
			return load(ctx, read, i)
		}
	}
	if page := m.page; page != nil {
		m.page = func(v *recordView, md *masterDetail, i int) fyne.CanvasObject {
			if i >= n {
				return paragraph(text)
			}
			return page(v, md, i)
		}
	}
	if seen := m.seenKey; seen != nil {
		m.seenKey = func(i int) string {
			if i >= n {
				return ""
			}
			return seen(i)
		}
	}
	return m
}
