package ui

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/carebook/carebook/app/record"
	"github.com/carebook/carebook/practice/synth"
)

// mayaResources is the demo patient's record as the practice generates it.
func mayaResources(t *testing.T) []record.Resource {
	t.Helper()
	bundles, _, err := synth.Generate(synth.Options{Seed: 1, Now: time.Now()})
	if err != nil {
		t.Fatalf("generate the practice's data: %v", err)
	}
	var out []record.Resource
	for _, raw := range bundles {
		var b struct {
			Entry []struct {
				Resource json.RawMessage `json:"resource"`
			} `json:"entry"`
		}
		if err := json.Unmarshal(raw, &b); err != nil {
			t.Fatalf("parse a practice bundle: %v", err)
		}
		for _, e := range b.Entry {
			r := resourceOf(t, e.Resource)
			if strings.HasPrefix(r.ID, "maya-") || r.ID == synth.MayaID {
				out = append(out, r)
			}
		}
	}
	return out
}

// TestResultMeaningInTheWindow: a result says what it means. The panel
// released before the doctor reviewed it says so in the list and on top
// of its page; each value sits on a bar against its normal range with the
// words beside it; the technical name is one tap away; "Learn more" asks
// before it opens MedlinePlus Connect's page for the LOINC code in the
// browser. An earlier, reviewed panel carries no such notice.
func TestResultMeaningInTheWindow(t *testing.T) {
	src := newFakeRecord(mayaResources(t))
	for _, size := range []fyne.Size{{Width: 360, Height: 740}, {Width: 1280, Height: 800}} {
		t.Run(fmtSize(size), func(t *testing.T) {
			lightTheme(t)
			var opened []string
			old := openURL
			openURL = func(u *url.URL) error { opened = append(opened, u.String()); return nil }
			t.Cleanup(func() { openURL = old })

			v, w := openRecord(t, src, size)
			assertShows(t, w, "not reviewed yet")
			var panels []int
			for i, it := range v.current.md.items {
				if strings.HasPrefix(it.title, "Cholesterol panel") {
					panels = append(panels, i)
				}
			}
			if len(panels) < 2 || !strings.Contains(v.current.md.items[panels[0]].detail, "not reviewed yet") ||
				strings.Contains(v.current.md.items[panels[1]].detail, "not reviewed yet") {
				t.Fatalf("want the latest cholesterol panel not reviewed yet and an earlier one reviewed: rows %v", panels)
			}

			v.current.md.list.Select(panels[0])
			assertShows(t, w, record.NotReviewedNote(), `LDL cholesterol ("bad" cholesterol)`, "normal range.", "Learn more", "Technical name")
			bars := 0
			walkVisible(w.Content(), func(o fyne.CanvasObject) {
				if _, ok := o.(*rangeBar); ok {
					bars++
				}
			})
			if bars < 4 {
				t.Errorf("%d range bars shown, want one per result of the panel", bars)
			}
			screenshot(t, w, "result-meaning-"+fmtSize(size))
			assertTouchTargets(t, w)

			test.Tap(findButton(t, w.Content(), "Technical name"))
			assertShows(t, w, "Technical name: Cholesterol [Mass/volume] in Serum or Plasma · LOINC 2093-3")

			test.Tap(findButton(t, w.Content(), "Learn more"))
			top := w.Canvas().Overlays().Top()
			if top == nil || !strings.Contains(shownText(top), "MedlinePlus") || !strings.Contains(shownText(top), "connect.medlineplus.gov") {
				t.Fatalf("no confirmation naming MedlinePlus before leaving: %v", top)
			}
			test.Tap(findButton(t, top, "Open"))
			if len(opened) != 1 {
				t.Fatalf("opened %v, want one page", opened)
			}
			u, err := url.Parse(opened[0])
			if err != nil || u.Host != "connect.medlineplus.gov" || u.Query().Get("mainSearchCriteria.v.cs") != "2.16.840.1.113883.6.1" ||
				u.Query().Get("mainSearchCriteria.v.c") != "2093-3" {
				t.Errorf("opened %q, want MedlinePlus Connect for LOINC 2093-3", opened[0])
			}

			if size.Width < wideWidth {
				test.Tap(findButton(t, w.Content(), "Back"))
			}
			v.current.md.list.Select(panels[1])
			assertShows(t, w, "Your provider's comment")
			if strings.Contains(shownText(w.Content()), record.NotReviewedNote()) {
				t.Errorf("a reviewed panel says %q", record.NotReviewedNote())
			}
		})
	}
}
