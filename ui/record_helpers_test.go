package ui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/carebook/carebook/app/record"
)

// fakeRecord is a recordSource over a chart built from real data.
type fakeRecord struct {
	chart *record.Chart
	index *record.Index
	err   error // returned by Chart and Search when set

	mu      sync.Mutex
	opened  []string // "docRef#attachment"
	seen    []string // result groups opened (MarkResultOpened)
	touches int
}

func newFakeRecord(resources []record.Resource) *fakeRecord {
	c := record.Load(resources)
	return &fakeRecord{chart: c, index: record.BuildChart(c)}
}

// ChartOfEntries is the whole chart, whatever the keys: the details read
// what they need of it.
func (f *fakeRecord) ChartOfEntries(ctx context.Context, profileID string, keys ...string) (*record.Chart, error) {
	return f.ChartOf(ctx, profileID)
}

// ChartOf is the whole chart, whatever the types: the sections read what
// they need of it.
func (f *fakeRecord) ChartOf(ctx context.Context, profileID string, types ...string) (*record.Chart, error) {
	if f.err != nil {
		return nil, f.err
	}
	return f.chart, nil
}

func (f *fakeRecord) Search(ctx context.Context, profileID, query string, limit int) ([]record.Hit, error) {
	if f.err != nil {
		return nil, f.err
	}
	return f.index.Search(query, limit), nil
}

func (f *fakeRecord) OpenDocument(ctx context.Context, profileID, docRef string, attachment int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.opened = append(f.opened, docRef+"#"+string(rune('0'+attachment)))
	return nil
}

func (f *fakeRecord) MarkResultOpened(ctx context.Context, profileID string, keys ...string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seen = append(f.seen, keys...)
	return nil
}

func (f *fakeRecord) Touch() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.touches++
}

var errFakeLocked = errors.New("fake: locked")

// repoFixtures finds ../shared/fixtures next to the repository root, or
// skips the test.
func repoFixtures(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("getwd: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("fixtures: no go.mod above the package directory")
		}
		dir = parent
	}
	fx := filepath.Join(dir, "..", "shared", "fixtures")
	if _, err := os.Stat(fx); err != nil {
		t.Skipf("fixtures: %s not found; the real FHIR test data (Synthea bundles) lives there in the team workspace", fx)
	}
	return fx
}

// syntheaResources reads one Synthea bundle (by the start of its file
// name) as the cache would hand it over.
func syntheaResources(t testing.TB, prefix string) []record.Resource {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(repoFixtures(t), "synthea", prefix+"*.json"))
	if len(paths) == 0 {
		t.Skipf("fixtures: no Synthea bundle named %s*", prefix)
	}
	raw, err := os.ReadFile(paths[0])
	if err != nil {
		t.Fatalf("read bundle: %v", err)
	}
	var b struct {
		Entry []struct {
			Resource json.RawMessage `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		t.Fatalf("parse bundle: %v", err)
	}
	out := make([]record.Resource, 0, len(b.Entry))
	for _, e := range b.Entry {
		out = append(out, resourceOf(t, e.Resource))
	}
	return out
}

// extraResources reads testdata/record/extras.json: a lab report with a
// flagged result and comment, an entry that cannot be read completely, a
// visit with a text summary and a PDF, a high-risk allergy.
func extraResources(t testing.TB) []record.Resource {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "record", "extras.json"))
	if err != nil {
		t.Fatalf("read extras: %v", err)
	}
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		t.Fatalf("parse extras: %v", err)
	}
	var out []record.Resource
	for _, r := range list {
		out = append(out, resourceOf(t, r))
	}
	return out
}

func resourceOf(t testing.TB, raw json.RawMessage) record.Resource {
	var head struct {
		ResourceType string `json:"resourceType"`
		ID           string `json:"id"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		t.Fatalf("parse resource: %v", err)
	}
	return record.Resource{Type: head.ResourceType, ID: head.ID, JSON: raw}
}

// screenSizes are the windows every screen must work in.
var screenSizes = []struct {
	name string
	size fyne.Size
}{
	{"phone", fyne.NewSize(360, 740)},
	{"desktop", fyne.NewSize(1280, 800)},
}

// openRecord shows a record view of src in a test window of size, with
// loads run inline.
func openRecord(t *testing.T, src recordSource, size fyne.Size) (*recordView, fyne.Window) {
	t.Helper()
	v := buildRecordView(src, "profile-1", nil, true)
	w := test.NewWindow(v.CanvasObject())
	v.win = w
	t.Cleanup(w.Close)
	w.Resize(size)
	v.ShowSection("results")
	return v, w
}

// shownText is every text drawn in o that is visible (hidden objects and
// their children are left out), joined by spaces. Wrapped labels are drawn
// line by line, so words stay separated by single spaces.
func shownText(o fyne.CanvasObject) string {
	var parts []string
	walkVisible(o, func(o fyne.CanvasObject) {
		if t, ok := o.(*canvas.Text); ok && strings.TrimSpace(t.Text) != "" {
			parts = append(parts, strings.TrimSpace(t.Text))
		}
	})
	return strings.Join(parts, " ")
}

// walkVisible calls fn for o and every visible object under it.
func walkVisible(o fyne.CanvasObject, fn func(fyne.CanvasObject)) {
	walkPlaced(o, fyne.NewPos(0, 0), func(o fyne.CanvasObject, _ fyne.Position) { fn(o) })
}

// walkPlaced calls fn for o and every visible object under it, with its
// position in the window (o's parent being at origin).
func walkPlaced(o fyne.CanvasObject, origin fyne.Position, fn func(fyne.CanvasObject, fyne.Position)) {
	if o == nil || !o.Visible() {
		return
	}
	pos := origin.Add(o.Position())
	fn(o, pos)
	switch x := o.(type) {
	case *fyne.Container:
		for _, c := range x.Objects {
			walkPlaced(c, pos, fn)
		}
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(x).Objects() {
			walkPlaced(c, pos, fn)
		}
	}
}

// findButton returns the visible button under o whose text starts with
// prefix.
func findButton(t *testing.T, o fyne.CanvasObject, prefix string) *widget.Button {
	t.Helper()
	var found *widget.Button
	walkVisible(o, func(o fyne.CanvasObject) {
		switch b := o.(type) {
		case *widget.Button:
			if found == nil && strings.HasPrefix(b.Text, prefix) {
				found = b
			}
		case *wrapButton:
			if found == nil && strings.HasPrefix(b.Text(), prefix) {
				found = b.button
			}
		}
	})
	if found == nil {
		t.Fatalf("no visible button %q; screen shows: %s", prefix, shownText(o))
	}
	return found
}

// findButtonAfter returns the first visible button whose text starts with
// prefix that comes after a text containing after.
func findButtonAfter(t *testing.T, o fyne.CanvasObject, after, prefix string) *widget.Button {
	t.Helper()
	var found *widget.Button
	seen := false
	walkVisible(o, func(o fyne.CanvasObject) {
		switch x := o.(type) {
		case *canvas.Text:
			seen = seen || strings.Contains(x.Text, after)
		case *widget.Button:
			if seen && found == nil && strings.HasPrefix(x.Text, prefix) {
				found = x
			}
		case *wrapButton:
			if seen && found == nil && strings.HasPrefix(x.Text(), prefix) {
				found = x.button
			}
		}
	})
	if found == nil {
		t.Fatalf("no visible button %q after %q; screen shows: %s", prefix, after, shownText(o))
	}
	return found
}

// charts returns the visible trend charts under o.
func charts(o fyne.CanvasObject) []*trendChart {
	var out []*trendChart
	walkVisible(o, func(o fyne.CanvasObject) {
		if c, ok := o.(*trendChart); ok {
			out = append(out, c)
		}
	})
	return out
}

// dots counts the measurement dots a chart draws.
func dots(c *trendChart) int {
	n := 0
	for _, o := range test.WidgetRenderer(c).Objects() {
		if _, ok := o.(*canvas.Circle); ok && o.Visible() {
			n++
		}
	}
	return n
}

// selectRow selects the first row of the current section whose title
// contains title, and returns its index.
func selectRow(t *testing.T, v *recordView, title string) int {
	t.Helper()
	md := v.current.md
	for i, it := range md.items {
		if !it.header && strings.Contains(it.title, title) {
			md.list.Select(i)
			return i
		}
	}
	titles := make([]string, 0, len(md.items))
	for _, it := range md.items {
		titles = append(titles, it.title)
	}
	t.Fatalf("section %s has no row %q; rows: %s", v.current.def.name, title, strings.Join(titles, " | "))
	return -1
}

// assertShows fails unless the window shows every one of wants.
func assertShows(t *testing.T, w fyne.Window, wants ...string) {
	t.Helper()
	got := shownText(w.Content())
	for _, want := range wants {
		if !strings.Contains(got, want) {
			t.Errorf("window does not show %q; it shows: %s", want, got)
		}
	}
}

// assertFits fails when a visible text of the window ends beyond its right
// edge (cut off).
func assertFits(t *testing.T, w fyne.Window) {
	t.Helper()
	width := w.Canvas().Size().Width
	walkPlaced(w.Content(), fyne.NewPos(0, 0), func(o fyne.CanvasObject, pos fyne.Position) {
		txt, ok := o.(*canvas.Text)
		if !ok || txt.Text == "" {
			return
		}
		if end := pos.X + txt.MinSize().Width; end > width+1 {
			t.Errorf("text %q ends at x=%.0f, beyond the window's %.0f", txt.Text, end, width)
		}
	})
}

// screenshot writes the window as PNG into $CAREBOOK_SHOTS for people
// to look at. Without it the window is still painted whole (a screen that
// cannot be drawn fails the test), but no file is written: nobody would
// see it, and encoding it was about 3 % of the CPU time of the screens'
// tests under the race detector.
func screenshot(t *testing.T, w fyne.Window, name string) {
	t.Helper()
	img := w.Canvas().Capture()
	dir := os.Getenv("CAREBOOK_SHOTS")
	if dir == "" {
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("shots dir: %v", err)
	}
	f, err := os.Create(filepath.Join(dir, name+".png"))
	if err != nil {
		t.Fatalf("create shot: %v", err)
	}
	defer f.Close()
	enc := png.Encoder{CompressionLevel: png.BestSpeed} // tests stay fast under -race
	if err := enc.Encode(f, img); err != nil {
		t.Fatalf("encode shot: %v", err)
	}
}

// screenshotBothSizes writes the window at desktop size and at phone
// size (name-1280x800, name-360x740) and checks that nothing is cut off or
// too wide at phone size; the window gets its size back.
func screenshotBothSizes(t *testing.T, w fyne.Window, name string) {
	t.Helper()
	was := w.Canvas().Size()
	for _, size := range []fyne.Size{{Width: 1280, Height: 800}, {Width: 360, Height: 740}} {
		w.Resize(size)
		screenshot(t, w, name+"-"+fmtSize(size))
		if size.Width < wideWidth {
			assertFits(t, w)
			assertMinFits(t, w, size.Width)
		}
	}
	w.Resize(was)
}

// lightTheme applies Carebook's theme in its light look, so captures and
// sizes are the real window's (in daylight colours). It asks as a patient
// does, in the current app's saved settings (Settings › Appearance), so
// that a main window opened next, which applies the saved look, keeps it.
func lightTheme(t *testing.T) {
	prefs := fyne.CurrentApp().Preferences()
	prefs.SetString(prefLook, "light")
	test.ApplyTheme(t, savedTheme(prefs))
}

// assertMinFits fails when the window content asks for more width than the
// window has: a real window would grow past a phone's screen. The message
// names the chain of objects that asks for the width.
func assertMinFits(t *testing.T, w fyne.Window, width float32) {
	t.Helper()
	if w.Padded() {
		width -= 2 * theme.Padding() // a padded window puts this around the content
	}
	if min := w.Content().MinSize().Width; min > width {
		t.Errorf("content needs %.0f px, wider than the %.0f the window has for it: %s", min, width, widestChain(w.Content(), width))
	}
}

// widestChain follows, from o down, the children whose minimum width is
// more than width.
func widestChain(o fyne.CanvasObject, width float32) string {
	var chain []string
	for o != nil {
		chain = append(chain, fmt.Sprintf("%T(%.0f)", o, o.MinSize().Width))
		var children []fyne.CanvasObject
		switch x := o.(type) {
		case *fyne.Container:
			children = x.Objects
		case fyne.Widget:
			children = test.WidgetRenderer(x).Objects()
		}
		var next fyne.CanvasObject
		for _, c := range children {
			if c.Visible() && c.MinSize().Width > width {
				next = c
				break
			}
		}
		if next == nil {
			for _, c := range children {
				if c.Visible() {
					chain = append(chain, fmt.Sprintf("  child %T(%.0f)", c, c.MinSize().Width))
					if txt, ok := c.(*canvas.Text); ok {
						chain = append(chain, fmt.Sprintf("%q", txt.Text))
					}
				}
			}
		}
		o = next
	}
	return strings.Join(chain, " > ")
}
