package ui

import (
	"fmt"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/carebook/carebook/app/record"
)

// bigChart is a record of n resources: lab reports of nine results each,
// a report every week, as years of a chronic patient's labs would be.
func bigChart(n int) *record.Chart {
	names := []struct{ code, name, unit string }{
		{"2339-0", "Glucose", "mg/dL"}, {"6299-2", "Urea Nitrogen", "mg/dL"}, {"38483-4", "Creatinine", "mg/dL"},
		{"49765-1", "Calcium", "mg/dL"}, {"2947-0", "Sodium", "mmol/L"}, {"6298-4", "Potassium", "mmol/L"},
		{"2069-3", "Chloride", "mmol/L"}, {"20565-8", "Carbon Dioxide", "mmol/L"}, {"4548-4", "Hemoglobin A1c", "%"},
	}
	var rs []record.Resource
	for rep := 0; len(rs) < n; rep++ {
		day := fmt.Sprintf("%04d-%02d-%02d", 1990+rep/52, 1+(rep/4)%12, 1+(rep%4)*7)
		var refs string
		for i, nm := range names {
			if len(rs) >= n-1 {
				break
			}
			id := fmt.Sprintf("obs-%d-%d", rep, i)
			if refs != "" {
				refs += ","
			}
			refs += fmt.Sprintf(`{"reference":"Observation/%s"}`, id)
			rs = append(rs, record.Resource{Type: "Observation", ID: id, JSON: []byte(fmt.Sprintf(
				`{"resourceType":"Observation","id":%q,"status":"final","category":[{"coding":[{"code":"laboratory"}]}],`+
					`"code":{"coding":[{"system":"http://loinc.org","code":%q,"display":%q}]},"effectiveDateTime":%q,`+
					`"valueQuantity":{"value":%d.%d,"unit":%q},"referenceRange":[{"low":{"value":3},"high":{"value":120}}]}`,
				id, nm.code, nm.name, day+"T08:00:00Z", 4+(rep*7+i)%130, rep%10, nm.unit))})
		}
		id := fmt.Sprintf("rep-%d", rep)
		rs = append(rs, record.Resource{Type: "DiagnosticReport", ID: id, JSON: []byte(fmt.Sprintf(
			`{"resourceType":"DiagnosticReport","id":%q,"status":"final","code":{"text":"Metabolic panel"},`+
				`"effectiveDateTime":%q,"result":[%s]}`, id, day+"T08:00:00Z", refs))})
	}
	return record.Load(rs)
}

// BenchmarkResultsSection20k builds the results section of a 20,000
// resource record (load, off the UI goroutine) and shows it in a
// phone-sized list (apply, on it). The sub-benchmarks time each half.
func BenchmarkResultsSection20k(b *testing.B) {
	test.NewTempApp(b)
	c := bigChart(20000)
	md := newMasterDetail(nil, "")
	w := test.NewWindow(md.root)
	defer w.Close()
	w.Resize(fyne.NewSize(360, 740))
	apply := func(m sectionModel) {
		md.setItems(m.items, m.empty)
		test.WidgetRenderer(md.list).Layout(md.list.Size())
	}
	b.Run("load+apply", func(b *testing.B) {
		for b.Loop() {
			apply(resultsSection(c))
		}
	})
	b.Run("load", func(b *testing.B) {
		for b.Loop() {
			resultsSection(c)
		}
	})
	b.Run("apply", func(b *testing.B) {
		m := resultsSection(c)
		for b.Loop() {
			apply(m)
		}
	})
}

// TestResultsListIsVirtualized: thousands of panels make only the rows a
// phone screen shows, and the list scrolls to the oldest.
func TestResultsListIsVirtualized(t *testing.T) {
	test.NewTempApp(t)
	c := bigChart(20000)
	m := resultsSection(c)
	if len(m.items) < 2000 {
		t.Fatalf("%d panels, want at least 2000", len(m.items))
	}
	md := newMasterDetail(nil, "")
	w := test.NewWindow(md.root)
	defer w.Close()
	w.Resize(fyne.NewSize(360, 740))
	md.setItems(m.items, m.empty)

	rows := 0
	walkVisible(w.Content(), func(o fyne.CanvasObject) {
		if _, ok := o.(*recordRow); ok {
			rows++
		}
	})
	if rows == 0 || rows > 40 {
		t.Errorf("%d rows built for %d panels, want only those on screen", rows, len(m.items))
	}
	md.list.ScrollToBottom()
	last := m.items[len(m.items)-1]
	assertShows(t, w, last.title, last.detail)
}
