package ui

import (
	"context"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/carebook/carebook/app"

	"github.com/carebook/carebook/app/record"
)

// TestSearchFindsEntries types queries into the search box and checks the
// hits shown, then opens one and checks its details and section.
func TestSearchFindsEntries(t *testing.T) {
	test.NewTempApp(t)
	lightTheme(t)
	src := wendell(t)

	tests := []struct {
		query  string
		row    string   // the hit to open
		list   []string // shown in the hits
		detail []string // shown once the hit is open
	}{
		{"alendronic", "Alendronate",
			[]string{"Alendronate 10 mg tablet", "Medication"},
			[]string{"In your record under: Medications", "Prescribed on"}},
		{"dander", "Animal dander",
			[]string{"Animal dander allergy", "Allergy"},
			[]string{"In your record under: Allergies", "Risk: Low"}},
		{"ldl calculated", "LDL cholesterol (calculated)",
			[]string{"LDL cholesterol (calculated)", "Result", "Mar 12, 2024"},
			[]string{"In your record under: Results", "162 mg/dL", "High", "Normal range: up to 100 mg/dL"}},
		{"low density", `LDL cholesterol ("bad"`,
			[]string{`LDL cholesterol ("bad" cholesterol)`, "Result"},
			[]string{"In your record under: Results", "See trend (13 results)"}},
		{"walking", "After-visit summary",
			[]string{"After-visit summary", "Document"},
			[]string{"In your record under: Visits", "Keep walking thirty minutes a day", "Open PDF"}},
		{"prediabetes", "Prediabetes",
			[]string{"Prediabetes", "Condition"},
			[]string{"In your record under: Conditions", "Current"}},
	}
	for _, sz := range screenSizes {
		t.Run(sz.name, func(t *testing.T) {
			v, w := openRecord(t, src, sz.size)
			v.ShowSection("search")
			assertShows(t, w, "Type what you are looking for")
			box := v.current.search
			for i, tc := range tests {
				if i == 0 {
					// Typed key by key, as a patient would; the others
					// are set at once to keep the test fast under -race.
					box.entry.SetText("")
					test.Type(box.entry, tc.query)
				} else {
					box.entry.SetText(tc.query)
				}
				assertShows(t, w, tc.list...)
				selectRow(t, v, tc.row)
				assertShows(t, w, tc.detail...)
				assertFits(t, w)
				if i == 0 {
					screenshot(t, w, "search-"+sz.name)
				}
				if sz.name == "phone" {
					test.Tap(findButton(t, w.Content(), "Back"))
				}
			}

			box.entry.SetText("")
			test.Type(box.entry, "zzqxv")
			assertShows(t, w, "Nothing in your record matches “zzqxv”.")
		})
	}
}

// TestSearchInSpanish: with the system in Spanish, the search screen, the
// kinds of what it finds and its empty result speak Spanish, at phone size.
func TestSearchInSpanish(t *testing.T) {
	test.NewTempApp(t)
	lightTheme(t)
	speakSpanish(t)
	src := wendell(t)
	v, w := openRecord(t, src, screenSizes[0].size)
	v.ShowSection("search")
	assertShows(t, w, "Escriba lo que busca")
	box := v.current.search
	box.entry.SetText("prediabetes")
	assertShows(t, w, "Problema de salud")
	box.entry.SetText("zzqxv")
	assertShows(t, w, "Nada en su historial coincide con «zzqxv».")
	assertFits(t, w)
}

// TestSearchErrorIsPlain: a failing search says so in plain words.
func TestSearchErrorIsPlain(t *testing.T) {
	test.NewTempApp(t)
	src := newFakeRecord(extraResources(t))
	v, w := openRecord(t, src, screenSizes[0].size)
	v.ShowSection("search")
	src.err = errFakeLocked
	test.Type(v.current.search.entry, "ldl")
	assertShows(t, w, "Carebook could not read this part of your record.")
}

// TestSearchFindsMessagesAndStatements: a message is shown within its
// conversation, a statement under Billing, an appointment under Visits.
func TestSearchFindsMessagesAndStatements(t *testing.T) {
	test.NewTempApp(t)
	src := newFakeRecord(extraResources(t))
	tests := []struct {
		query, row string
		detail     []string
	}{
		{"recheck in three months", "Your LDL is a little high",
			[]string{"In your record under: Messages", "Your LDL is a little high", "Thank you, I will book a visit."}},
		{"established patient", "Statement",
			[]string{"In your record under: Billing", "Due within 30 days"}},
		{"annual checkup", "Annual checkup",
			[]string{"In your record under: Visits", "Main Street clinic"}},
	}
	v, w := openRecord(t, src, screenSizes[1].size)
	v.ShowSection("search")
	for _, tc := range tests {
		v.current.search.entry.SetText(tc.query)
		selectRow(t, v, tc.row)
		assertShows(t, w, tc.detail...)
	}
}

// countingRecord records the queries searched.
type countingRecord struct {
	*fakeRecord
	mu      sync.Mutex
	queries []string
}

func (c *countingRecord) Search(ctx context.Context, profileID, query string, limit int) ([]record.Hit, error) {
	c.mu.Lock()
	c.queries = append(c.queries, query)
	c.mu.Unlock()
	return c.fakeRecord.Search(ctx, profileID, query, limit)
}

// TestSearchWaitsForAPause: typing a word key by key searches the record
// once, for the whole word, not once per key.
func TestSearchWaitsForAPause(t *testing.T) {
	q := useQueue(t)
	test.NewTempApp(t)
	src := &countingRecord{fakeRecord: wendell(t)}
	v := buildRecordView(src, "profile-1", nil, false)
	w := test.NewWindow(v.CanvasObject())
	v.win = w
	defer w.Close()
	w.Resize(screenSizes[0].size)
	v.ShowSection("search")
	q.waitShows(t, w, "Type what you are looking for")

	test.Type(v.current.search.entry, "low density")
	q.waitShows(t, w, `LDL cholesterol ("bad" cholesterol)`)
	q.drain()
	src.mu.Lock()
	defer src.mu.Unlock()
	if len(src.queries) != 1 || src.queries[0] != "low density" {
		t.Fatalf("searched %q while typing, want one search for the whole words", src.queries)
	}
}

// readyLaterRecord's search index is getting ready on the first search.
type readyLaterRecord struct {
	*fakeRecord
	mu       sync.Mutex
	searches int
}

func (r *readyLaterRecord) Search(ctx context.Context, profileID, query string, limit int) ([]record.Hit, error) {
	r.mu.Lock()
	r.searches++
	first := r.searches == 1
	r.mu.Unlock()
	if first {
		return nil, &app.SearchNotReadyError{Done: 1, Total: 4}
	}
	return r.fakeRecord.Search(ctx, profileID, query, limit)
}

// TestSearchGettingReady: while the search index is built, the search
// says so, then shows the results by itself once it is ready.
func TestSearchGettingReady(t *testing.T) {
	q := useQueue(t)
	test.NewTempApp(t)
	src := &readyLaterRecord{fakeRecord: wendell(t)}
	v := buildRecordView(src, "profile-1", nil, false)
	w := test.NewWindow(v.CanvasObject())
	v.win = w
	defer w.Close()
	w.Resize(screenSizes[0].size)
	v.ShowSection("search")
	q.waitShows(t, w, "Type what you are looking for")
	test.Type(v.current.search.entry, "low density")
	q.waitShows(t, w, "Search is getting ready: 25% of your record is prepared for searching.")
	q.waitShows(t, w, `LDL cholesterol ("bad" cholesterol)`)
	q.drain()
}

// slowRecord's search for "ldl" runs until it is stopped.
type slowRecord struct {
	*fakeRecord
	started, stopped chan struct{}
}

func (r *slowRecord) Search(ctx context.Context, profileID, query string, limit int) ([]record.Hit, error) {
	if query != "ldl" {
		return r.fakeRecord.Search(ctx, profileID, query, limit)
	}
	r.started <- struct{}{}
	<-ctx.Done()
	r.stopped <- struct{}{}
	return nil, ctx.Err()
}

// TestSearchStopsWhenTypingOn: a key pressed while a search runs stops
// that search at once (its words are no longer the patient's), and the
// search for the whole words follows the pause.
func TestSearchStopsWhenTypingOn(t *testing.T) {
	q := useQueue(t)
	test.NewTempApp(t)
	src := &slowRecord{fakeRecord: wendell(t), started: make(chan struct{}, 1), stopped: make(chan struct{}, 1)}
	v := buildRecordView(src, "profile-1", nil, false)
	w := test.NewWindow(v.CanvasObject())
	v.win = w
	defer w.Close()
	w.Resize(screenSizes[0].size)
	v.ShowSection("search")
	q.waitShows(t, w, "Type what you are looking for")

	test.Type(v.current.search.entry, "ldl")
	deadline := time.After(uiWait)
	for started := false; !started; {
		select {
		case <-src.started:
			started = true
		case f := <-q:
			f()
		case <-deadline:
			t.Fatal("the search never started")
		}
	}
	// Typing on stops it without the UI goroutine running anything else.
	test.Type(v.current.search.entry, " calculated")
	select {
	case <-src.stopped:
	case <-time.After(uiWait):
		t.Fatal("the search for the words before went on while the patient typed")
	}
	q.waitShows(t, w, "LDL cholesterol (calculated)")
	q.drain()
}
