package ui

import (
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"

	"github.com/carebook/carebook/app/record"
)

// cutOff returns the text of a row's title or detail line that the list
// draws cut off with an ellipsis, or "".
func cutOff(r *recordRow) string {
	var cut string
	for _, l := range []fyne.CanvasObject{r.title, r.detail} {
		walkVisible(l, func(o fyne.CanvasObject) {
			if t, ok := o.(*canvas.Text); ok && strings.HasSuffix(t.Text, "…") && cut == "" {
				cut = t.Text
			}
		})
	}
	return cut
}

// mayaName names the demo patient's record in TestNothingCutOffAtPhoneSize,
// whose sections it also captures (plain-<section>-360x740.png, and
// plain-es-<section>-360x740.png in Spanish).
const mayaName = "Maya (the practice's demo data)"

// TestNothingCutOffAtPhoneSize renders every section of the record at
// 360x740, for the practice's demo patient and every Synthea patient, scrolls
// through every row and fails when the first two lines of an item (its
// title and its detail line) are cut off with an ellipsis: a line that
// does not fit wraps instead.
//
// Spanish runs about a quarter longer than English: the demo patient's
// record, which has every section, is checked once more with the system
// set to Spanish (not every record twice: make test's time;
// TestRecordInSpanish checks the rows on show of a Synthea record).
func TestNothingCutOffAtPhoneSize(t *testing.T) {
	layoutCheck(t)
	lightTheme(t)
	sources := map[string][]record.Resource{mayaName: mayaResources(t)}
	paths, _ := filepath.Glob(filepath.Join(repoFixtures(t), "synthea", "*.json"))
	for _, p := range paths {
		name := strings.TrimSuffix(filepath.Base(p), ".json")
		sources[name] = syntheaResources(t, name)
	}
	rows := 0
	for name, rs := range sources {
		rows += checkNothingCutOff(t, name, rs, "plain-")
	}
	if rows < 200 {
		t.Errorf("looked at %d rows, want every section's rows (at least 200)", rows)
	}
	t.Run("Spanish", func(t *testing.T) {
		speakSpanish(t)
		if n := checkNothingCutOff(t, mayaName, sources[mayaName], "plain-es-"); n < 40 {
			t.Errorf("looked at %d rows of the demo record in Spanish, want every section's rows (at least 40)", n)
		}
	})
}

// checkNothingCutOff opens the record of resources rs at 360x740, scrolls
// through every row of every section and fails for a row whose title or
// detail line is cut off; it captures the demo patient's sections (shots
// named prefix+section) and returns how many rows it looked at.
func checkNothingCutOff(t *testing.T, name string, rs []record.Resource, prefix string) int {
	t.Helper()
	rows := 0
	v, w := openRecord(t, newFakeRecord(rs), fyne.NewSize(360, 740))
	for _, def := range recordSections {
		if def.build == nil && def.buildWithAppts == nil {
			continue
		}
		v.ShowSection(def.name)
		md := v.current.md
		if md == nil || md.list == nil {
			continue
		}
		if name == mayaName {
			md.list.ScrollToTop()
			screenshot(t, w, prefix+def.name+"-360x740")
		}
		seen := map[string]bool{}
		for i := 0; i < len(md.items); i += 4 {
			md.list.ScrollTo(i)
			walkVisible(w.Content(), func(o fyne.CanvasObject) {
				r, ok := o.(*recordRow)
				if !ok || r.title.Text == "" {
					return
				}
				key := r.title.Text + "\x00" + r.detail.Text
				if seen[key] {
					return
				}
				seen[key] = true
				rows++
				if cut := cutOff(r); cut != "" {
					t.Errorf("%s, %s: %q is cut off as %q", name, def.name, firstText(r.title.Text)+" / "+r.detail.Text, cut)
				}
			})
		}
	}
	return rows
}
