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
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.finder == nil {
			b.finder = newEntryFinder()
		}
		src, pid := b.v.src, b.v.profileID
		b.finder.ctx, b.finder.read = ctx, b.v.reader("")
		b.finder.load = func(types ...string) (*record.Chart, error) { return src.ChartOf(ctx, pid, types...) }
		m, err := searchModel(b.finder, query, hits)
		b.finder.ctx, b.finder.read, b.finder.load = nil, nil, nil
		return searchResult{model: m}, err
	}, func(r searchResult, err error) {
		b.v.apply(b.s, r.model, err)
		if r.retry && !b.v.inline {
			b.retryLater(typed)
		}
	})
}

// forget drops the sections built for what search finds: the record
// changed. UI goroutine.
func (b *searchBox) forget() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.finder = nil
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
func searchModel(f *entryFinder, query string, hits []record.Hit) (sectionModel, error) {
	items := make([]listItem, len(hits))
	details := make([]detailModel, len(hits))
	for i, h := range hits {
		d, err := f.detail(h)
		if err != nil {
			return sectionModel{}, err
		}
		details[i] = d
		items[i] = listItem{
			title:   firstText(h.Title, record.Label(h.Type)),
			detail:  joinNonEmpty(" · ", record.Label(h.Type), dayText(h.Date), h.Snippet),
			partial: details[i].partial,
		}
	}
	return sectionModel{
		items:  items,
		empty:  lang.L("Nothing in your record matches “{{.Words}}”. Try another word, or fewer words.", map[string]any{"Words": query}),
		detail: func(i int) detailModel { return details[i] },
	}, nil
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
// the section that lists it (which keeps what its list shows, not the
// record: sections read an entry's details when it is opened). Sections
// are built once, and only when a hit needs them; the search box drops
// them when the record changes.
type entryFinder struct {
	// ctx, read and load are set for the length of one search: load
	// reads the chart of some types, read some entries.
	ctx      context.Context
	read     entryReader
	load     func(types ...string) (*record.Chart, error)
	sections map[string]*foundSection
	messages *record.Chart // the conversations, once a message is found
}

// foundSection is a section built for the entries search finds.
type foundSection struct {
	model sectionModel
	rows  map[string]int // entry key → row
}

// messageTypes are what a message's conversation reads.
var messageTypes = []string{"Communication", "CareTeam"}

func newEntryFinder() *entryFinder {
	return &entryFinder{sections: map[string]*foundSection{}}
}

// section builds (once) the model of the section called name.
func (f *entryFinder) section(name string) (*foundSection, error) {
	if s, ok := f.sections[name]; ok {
		return s, nil
	}
	for _, def := range recordSections {
		if def.name != name || def.build == nil {
			continue
		}
		c, err := f.load(def.types...)
		if err != nil {
			return nil, err
		}
		m := def.build(c)
		rows := make(map[string]int, len(m.items))
		for i, it := range m.items {
			if it.key != "" {
				rows[it.key] = i
			}
		}
		s := &foundSection{model: m, rows: rows}
		f.sections[name] = s
		return s, nil
	}
	return nil, nil
}

// detail builds the details of the entry h points to, saying which
// section holds it.
func (f *entryFinder) detail(h record.Hit) (detailModel, error) {
	if h.Type == "Observation" {
		d, ok, err := f.observation(h.ID)
		if ok || err != nil {
			return d, err
		}
	}
	if name, ok := sectionOfType[h.Type]; ok {
		s, err := f.section(name)
		if err != nil {
			return detailModel{}, err
		}
		if s != nil {
			if i, ok := s.rows[h.Type+"/"+h.ID]; ok {
				d, err := s.model.detailAt(f.ctx, f.read, i)
				if err != nil {
					return detailModel{}, err
				}
				d.section = sectionLabel(name)
				return d, nil
			}
		}
	}
	if h.Type == "Communication" { // a message is read within its conversation
		if f.messages == nil {
			c, err := f.load(messageTypes...)
			if err != nil {
				return detailModel{}, err
			}
			f.messages = c
		}
		for _, th := range record.Threads(f.messages, nil) {
			for _, m := range th.Messages {
				if m.ID == h.ID {
					d := threadDetail(f.messages, th)
					d.section = lang.L("Messages")
					return d, nil
				}
			}
		}
	}
	if h.Type == "DocumentReference" { // a visit's document has no row of its own
		c, err := f.read(f.ctx, "DocumentReference/"+h.ID)
		if err != nil {
			return detailModel{}, err
		}
		for _, doc := range c.Documents {
			if doc.ID == h.ID {
				d := documentDetail(c, doc)
				d.section = sectionLabel("visits")
				return d, nil
			}
		}
	}
	d := detailModel{title: firstText(h.Title, record.Label(h.Type)), subtitle: dayText(h.Date)}
	d.addField(lang.L("Kind of record"), record.Label(h.Type))
	d.addText(lang.L("Found"), h.Snippet)
	return d, nil
}

// observation is the details of one result or measurement, with its
// trend (the results section's).
func (f *entryFinder) observation(id string) (detailModel, bool, error) {
	c, err := f.read(f.ctx, "Observation/"+id)
	if err != nil {
		return detailModel{}, false, err
	}
	for _, o := range c.Observations {
		if o.ID != id {
			continue
		}
		results, err := f.section("results")
		if err != nil {
			return detailModel{}, false, err
		}
		d := detailModel{title: firstText(o.Name, o.Code.String(), lang.L("Result")), subtitle: dayText(o.Date()), partial: o.Incomplete}
		d.results = []resultModel{resultOf(o, results.model.trends)}
		d.section = sectionLabel("results")
		if !o.HasCategory("laboratory") {
			d.section = sectionLabel("vitals")
		}
		return d, true, nil
	}
	return detailModel{}, false, nil
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
