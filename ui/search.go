package ui

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"github.com/carebook/carebook/app"
	"github.com/carebook/carebook/app/record"
)

// searchLimit is how many hits a search shows; the best come first.
const searchLimit = 100

// searchBox is the search section's query field. Each change searches the
// record again, dropping the results of the previous query.
type searchBox struct {
	v      *recordView
	s      *sectionView
	entry  *widget.Entry
	root   fyne.CanvasObject
	cancel context.CancelFunc

	// typed counts changes of the field: a search starts once the patient
	// paused (searchPause), for the latest text only. UI goroutine.
	typed int

	// finder is kept from one query to the next while the record stays the
	// same, so typing does not rebuild sections on every key. Searches run
	// off the UI goroutine and may overlap, hence the lock.
	mu     sync.Mutex
	finder *entryFinder
}

func (v *recordView) newSearchBox(s *sectionView) *searchBox {
	b := &searchBox{v: v, s: s, entry: widget.NewEntry()}
	b.entry.SetPlaceHolder(lang.L("Search your record"))
	b.entry.OnChanged = func(string) {
		v.src.Touch()
		b.runAfterPause()
	}
	b.root = container.NewPadded(b.entry)
	return b
}

// focus puts the cursor in the search field. UI goroutine.
func (b *searchBox) focus(win fyne.Window) {
	if win != nil {
		win.Canvas().Focus(b.entry)
	}
}

// searchPause is how long typing must pause before the record is searched:
// a search per key would decode and scan the record for words the patient
// is still typing.
const searchPause = 250 * time.Millisecond

// runAfterPause searches once the patient paused typing; a key pressed
// meanwhile starts the wait again, and stops a search still running for
// the text before it. Views drawn inline (tests of the screens' content)
// search at once. UI goroutine.
func (b *searchBox) runAfterPause() {
	if b.v.inline {
		b.run()
		return
	}
	if b.cancel != nil {
		b.cancel()
		b.cancel = nil
	}
	b.typed++
	n, do := b.typed, doOnUI
	time.AfterFunc(searchPause, func() {
		do(func() {
			if n == b.typed {
				b.run()
			}
		})
	})
}

// run searches for the field's text. UI goroutine.
func (b *searchBox) run() {
	if b.cancel != nil {
		b.cancel()
	}
	query := strings.TrimSpace(b.entry.Text)
	md := b.s.md
	if query == "" {
		b.s.model = sectionModel{}
		md.setItems(nil, lang.L("Type what you are looking for: a medicine, a test, a condition, a vaccine, a doctor's name, a year…"))
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	b.cancel = cancel
	typed := b.typed
	runFor(b.v, ctx, func(ctx context.Context) (searchResult, error) {
		hits, err := b.v.src.Search(ctx, b.v.profileID, query, searchLimit)
		var notReady *app.SearchNotReadyError
		if errors.As(err, &notReady) {
			return searchResult{gettingReady(notReady), true}, nil
		}
		if err != nil {
			return searchResult{}, err
		}
		c, err := b.v.src.Chart(ctx, b.v.profileID)
		if err != nil {
			return searchResult{}, err
		}
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.finder == nil || b.finder.c != c {
			b.finder = newEntryFinder(c)
		}
		return searchResult{model: searchModel(b.finder, query, hits)}, nil
	}, func(r searchResult, err error) {
		b.v.apply(b.s, r.model, err)
		if r.retry && !b.v.inline {
			b.retryLater(typed)
		}
	})
}

// searchRetry is how often a search waiting for its index tries again.
const searchRetry = time.Second

// retryLater searches again in a moment unless the patient typed
// meanwhile (typed is the count of changes the search was for). UI
// goroutine.
func (b *searchBox) retryLater(typed int) {
	do := doOnUI
	time.AfterFunc(searchRetry, func() {
		do(func() {
			if typed == b.typed && b.v.current != nil && b.v.current.search == b {
				b.run()
			}
		})
	})
}

// gettingReady is what the search shows while the record's search index
// is being built (a record kept from before the index; after a change of
// keys): it says so, with how far it is, and searches again in a moment.
func gettingReady(e *app.SearchNotReadyError) sectionModel {
	msg := lang.L("Search is getting ready: Carebook is preparing your record for searching. Your results will appear here in a moment.")
	if e.Total > 0 {
		msg = lang.L("Search is getting ready: {{.Percent}}% of your record is prepared for searching. Your results will appear here in a moment.",
			map[string]any{"Percent": e.Done * 100 / e.Total})
	}
	return sectionModel{empty: msg}
}

// searchResult is what a search shows; retry says to search again soon
// (the index is getting ready).
type searchResult struct {
	model sectionModel
	retry bool
}

// searchModel lists hits with their type, date and snippet. The details
// of every hit are built here, off the UI goroutine.
func searchModel(f *entryFinder, query string, hits []record.Hit) sectionModel {
	items := make([]listItem, len(hits))
	details := make([]detailModel, len(hits))
	for i, h := range hits {
		details[i] = f.detail(h)
		items[i] = listItem{
			title:   firstText(h.Title, hitTypeLabel(h.Type)),
			detail:  joinNonEmpty(" · ", hitTypeLabel(h.Type), dayText(h.Date), h.Snippet),
			partial: details[i].partial,
		}
	}
	return sectionModel{
		items:  items,
		empty:  lang.L("Nothing in your record matches “{{.Words}}”. Try another word, or fewer words.", map[string]any{"Words": query}),
		detail: func(i int) detailModel { return details[i] },
	}
}

// hitTypeLabel names a resource type in everyday words.
func hitTypeLabel(resourceType string) string {
	switch resourceType {
	case "Observation":
		return lang.L("Result")
	case "DiagnosticReport":
		return lang.L("Test report")
	case "MedicationRequest":
		return lang.L("Medication")
	case "AllergyIntolerance":
		return lang.L("Allergy")
	case "Condition":
		return lang.L("Condition")
	case "Procedure":
		return lang.L("Procedure")
	case "Immunization":
		return lang.L("Vaccine")
	case "Encounter":
		return lang.L("Visit")
	case "DocumentReference":
		return lang.L("Document")
	case "CarePlan":
		return lang.L("Care plan")
	case "CareTeam":
		return lang.L("Care team")
	case "Communication":
		return lang.L("Message")
	case "Appointment":
		return lang.L("Appointment")
	case "Invoice":
		return lang.L("Statement")
	case "Account":
		return lang.L("Account")
	}
	return resourceType
}

// sectionOfType names the section that lists entries of a resource type.
var sectionOfType = map[string]string{
	"DiagnosticReport":   "results",
	"MedicationRequest":  "medications",
	"AllergyIntolerance": "allergies",
	"Condition":          "conditions",
	"Immunization":       "immunizations",
	"Encounter":          "visits",
	"DocumentReference":  "visits",
	"CarePlan":           "care",
	"Goal":               "care",
	"CareTeam":           "care",
	"Appointment":        "visits",
	"Invoice":            "billing",
	"Account":            "billing",
}

// entryFinder builds the details of any entry a search can find, through
// the section that lists it. Sections (and trends) are built once, and
// only when a hit needs them.
type entryFinder struct {
	c        *record.Chart
	trends   *trendIndex
	sections map[string]*sectionModel
	rows     map[string]map[string]int // section → entry key → row
}

func newEntryFinder(c *record.Chart) *entryFinder {
	return &entryFinder{c: c, sections: map[string]*sectionModel{}, rows: map[string]map[string]int{}}
}

// section builds (once) the model of the section called name.
func (f *entryFinder) section(name string) (*sectionModel, map[string]int) {
	if m, ok := f.sections[name]; ok {
		return m, f.rows[name]
	}
	for _, def := range recordSections {
		if def.name == name && def.build != nil {
			m := def.build(f.c)
			rows := make(map[string]int, len(m.items))
			for i, it := range m.items {
				if it.key != "" {
					rows[it.key] = i
				}
			}
			f.sections[name], f.rows[name] = &m, rows
			return &m, rows
		}
	}
	return nil, nil
}

// detail builds the details of the entry h points to, saying which
// section holds it.
func (f *entryFinder) detail(h record.Hit) detailModel {
	if h.Type == "Observation" {
		if d, ok := f.observation(h.ID); ok {
			return d
		}
	}
	if name, ok := sectionOfType[h.Type]; ok {
		m, rows := f.section(name)
		if i, ok := rows[h.Type+"/"+h.ID]; ok && m != nil {
			d := m.detail(i)
			d.section = sectionLabel(name)
			return d
		}
	}
	if h.Type == "Communication" { // a message is read within its conversation
		for _, th := range record.Threads(f.c, nil) {
			for _, m := range th.Messages {
				if m.ID == h.ID {
					d := threadDetail(f.c, th)
					d.section = lang.L("Messages")
					return d
				}
			}
		}
	}
	if h.Type == "DocumentReference" { // a visit's document has no row of its own
		for _, doc := range f.c.Documents {
			if doc.ID == h.ID {
				d := documentDetail(f.c, doc)
				d.section = sectionLabel("visits")
				return d
			}
		}
	}
	d := detailModel{title: firstText(h.Title, hitTypeLabel(h.Type)), subtitle: dayText(h.Date)}
	d.addField(lang.L("Kind of record"), hitTypeLabel(h.Type))
	d.addText(lang.L("Found"), h.Snippet)
	return d
}

// observation is the details of one result or measurement, with its trend.
func (f *entryFinder) observation(id string) (detailModel, bool) {
	for _, o := range f.c.Observations {
		if o.ID != id {
			continue
		}
		if f.trends == nil {
			f.trends = newTrendIndex(f.c.Observations)
		}
		d := detailModel{title: firstText(o.Name, o.Code.String(), lang.L("Result")), subtitle: dayText(o.Date()), partial: o.Incomplete}
		d.results = []resultModel{resultOf(o, f.trends)}
		d.section = sectionLabel("results")
		if !o.HasCategory("laboratory") {
			d.section = sectionLabel("vitals")
		}
		return d, true
	}
	return detailModel{}, false
}

// sectionLabel is the label patients read for a section name.
func sectionLabel(name string) string {
	for _, def := range recordSections {
		if def.name == name {
			return def.label()
		}
	}
	return ""
}
