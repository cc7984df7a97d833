package ui

import (
	"image/color"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/carebook/carebook/app/record"
)

// wendell is a Synthea patient with years of labs, vitals, medications,
// conditions, immunizations, visits, care plans and goals, plus the
// hand-made extras of testdata/record (a flagged result with a comment,
// an entry that cannot be read completely, a visit with a summary and a
// PDF, a high-risk allergy).
// The decoded record is shared by the tests (it is read-only), so it is
// read and indexed once.
func wendell(t *testing.T) *fakeRecord {
	t.Helper()
	wendellOnce.Lock()
	defer wendellOnce.Unlock()
	if wendellRecord == nil {
		rs := syntheaResources(t, "Wendell_Lesch")
		wendellRecord = newFakeRecord(append(rs, extraResources(t)...))
	}
	return &fakeRecord{chart: wendellRecord.chart, index: wendellRecord.index}
}

var (
	wendellOnce   sync.Mutex
	wendellRecord *fakeRecord
)

// TestRecordSectionsShowTheData opens every section at phone and desktop
// size and checks that values from the record are on screen, then writes
// a screenshot of each.
func TestRecordSectionsShowTheData(t *testing.T) {
	test.NewTempApp(t)
	lightTheme(t)
	src := wendell(t)

	steps := []struct {
		section string
		row     string   // a row of the list to open ("" = none)
		list    []string // shown in the list
		detail  []string // shown once row is open
	}{
		{"results", "Cholesterol panel",
			[]string{"Cholesterol check", "Mar 12, 2024", "1 abnormal"},
			// Synthea's last lipid panel, 17 May 2017: LDL 145.22436521764902 mg/dL.
			[]string{`LDL cholesterol ("bad" cholesterol)`, "145.2 mg/dL", "May 17, 2017", "See trend (13 results)"}},
		{"results", "Cholesterol check", nil,
			[]string{"LDL cholesterol (calculated)", "162 mg/dL", "High", "Normal range: up to 100 mg/dL",
				"let's talk about diet", "Your provider's comment", "LDL is high.", partialNote()}},
		{"vitals", "Blood pressure",
			[]string{"Weight", "BMI", "Blood pressure", "11 measurements"},
			[]string{"Systolic", "Diastolic", "11 measurements from"}},
		{"vitals", "Hemoglobin A1c",
			[]string{"Hemoglobin A1c (average blood sugar)"}, // as the results name it, not "A1c"
			[]string{"Hemoglobin A1c (average blood sugar)", "measurements from"}},
		{"medications", "Alendronate",
			[]string{"Active medications", "Alendronate 10 mg tablet", "Past medications"},
			[]string{"Active", "Prescribed on"}},
		{"allergies", "Animal dander",
			[]string{"Penicillin", "High risk", "Hives", "Animal dander allergy"},
			[]string{"Risk: Low", "Status: Active"}},
		{"conditions", "Prediabetes",
			[]string{"Current conditions", "Colon cancer", "since May 2, 2014"},
			[]string{"Current", "Began:"}},
		{"immunizations", "Tetanus and diphtheria booster",
			[]string{"Flu shot", "Jan 13, 2018"},
			[]string{"Tetanus and diphtheria booster (Td)"}},
		{"visits", "Follow-up visit",
			[]string{"Follow-up visit", "Mar 12, 2024", "1 document"},
			[]string{"Reason: Blood pressure check", "After-visit summary", "Keep walking thirty minutes a day", "Open PDF"}},
		{"visits", "Check-up",
			[]string{"Check-up", "Jan 13, 2018 · SAINT ANNE'S HOSPITAL"},
			[]string{"Measured at this visit", "Weight: 186.2 lb", "Blood pressure: 125.8/82.3 mmHg", "The practice has not shared a summary of this visit."}},
		{"care", "Diabetes self-care plan",
			[]string{"Care plans", "Cancer care plan", "Fracture care", "Completed · May 24, 2011 – Aug 22, 2011"},
			[]string{"Status: Active", "Step:"}},
	}
	for _, sz := range screenSizes {
		t.Run(sz.name, func(t *testing.T) {
			v, w := openRecord(t, src, sz.size)
			for _, st := range steps {
				v.ShowSection(st.section)
				v.current.md.clearDetail()
				assertShows(t, w, st.list...)
				if st.row == "" {
					continue
				}
				selectRow(t, v, st.row)
				assertShows(t, w, st.detail...)
				assertFits(t, w)
				screenshot(t, w, st.section+"-"+sz.name+"-"+strings.ReplaceAll(strings.ToLower(st.row), " ", "-"))
				if sz.name == "phone" {
					// The details replace the list; Back returns to it.
					if v.current.md.master.Visible() {
						t.Errorf("%s: the list is still on show next to the details at phone size", st.section)
					}
					test.Tap(findButton(t, w.Content(), "Back"))
					if !v.current.md.master.Visible() {
						t.Errorf("%s: Back did not return to the list", st.section)
					}
				}
			}
		})
	}
}

// TestRecordListsBeforeChoosing shows every section's list as it first
// appears, at both sizes, and captures it at phone size (the desktop
// captures of TestRecordSectionsShowTheData show the list beside the
// details).
func TestRecordListsBeforeChoosing(t *testing.T) {
	test.NewTempApp(t)
	lightTheme(t)
	src := wendell(t)
	for _, sz := range screenSizes {
		v, w := openRecord(t, src, sz.size)
		for _, def := range recordSections {
			v.ShowSection(def.name)
			if v.current.def.name != def.name {
				t.Fatalf("ShowSection(%q) shows %q", def.name, v.current.def.name)
			}
			assertFits(t, w)
			if sz.name == "phone" {
				screenshot(t, w, "list-"+def.name+"-"+sz.name)
			}
		}
	}
}

// TestResultTrendChart opens the trend of a result from its panel: the
// chart has one dot per LDL measurement of the record.
func TestResultTrendChart(t *testing.T) {
	test.NewTempApp(t)
	lightTheme(t)
	src := wendell(t)
	want := 0
	for _, o := range src.chart.Observations {
		if o.Code.Has(record.LOINC, "18262-6") {
			want++
		}
	}
	if want < 2 {
		t.Fatalf("fixture has %d LDL results, want several", want)
	}
	for _, sz := range screenSizes {
		t.Run(sz.name, func(t *testing.T) {
			v, w := openRecord(t, src, sz.size)
			selectRow(t, v, "Cholesterol panel")
			test.Tap(findButtonAfter(t, w.Content(), `LDL cholesterol ("bad" cholesterol)`, "See trend"))
			cs := charts(w.Content())
			if len(cs) != 1 {
				t.Fatalf("%d charts on show, want 1", len(cs))
			}
			if got := dots(cs[0]); got != want {
				t.Errorf("chart draws %d points, want %d (every LDL result)", got, want)
			}
			assertShows(t, w, "LDL cholesterol", "13 measurements", "145.2 mg/dL")
			assertFits(t, w)
			screenshot(t, w, "trend-ldl-"+sz.name)
			// Back returns to the panel, at any size.
			test.Tap(findButton(t, w.Content(), "Back"))
			if len(charts(w.Content())) != 0 {
				t.Error("Back did not leave the trend")
			}
			assertShows(t, w, "See trend")
		})
	}
}

// TestBloodPressureChartHasTwoLines: the blood pressure trend draws a
// systolic and a diastolic dot for every visit.
func TestBloodPressureChartHasTwoLines(t *testing.T) {
	test.NewTempApp(t)
	src := wendell(t)
	bp := 0
	for _, o := range src.chart.Observations {
		if len(o.Components) == 2 && (o.Code.Has(record.LOINC, "55284-4") || o.Code.Has(record.LOINC, record.LOINCBloodPressurePanel)) {
			bp++
		}
	}
	v, w := openRecord(t, src, screenSizes[1].size)
	v.ShowSection("vitals")
	selectRow(t, v, "Blood pressure")
	cs := charts(w.Content())
	if len(cs) != 1 {
		t.Fatalf("%d charts on show, want 1", len(cs))
	}
	if len(cs[0].model.lines) != 2 {
		t.Fatalf("blood pressure chart has %d lines, want 2", len(cs[0].model.lines))
	}
	if got := dots(cs[0]); got != 2*bp {
		t.Errorf("chart draws %d points, want %d (systolic and diastolic of %d readings)", got, 2*bp, bp)
	}
}

// TestEmptySectionsSayWhy: a record without allergies says so in words.
func TestEmptySectionsSayWhy(t *testing.T) {
	test.NewTempApp(t)
	src := newFakeRecord(syntheaResources(t, "Arla_Lang"))
	if len(src.chart.Allergies) != 0 {
		t.Fatal("fixture changed: Arla Lang has allergies now")
	}
	empty := newFakeRecord(nil)
	for _, sz := range screenSizes {
		v, w := openRecord(t, src, sz.size)
		v.ShowSection("allergies")
		assertShows(t, w, "No allergies on record at this practice.")

		v, w = openRecord(t, empty, sz.size)
		for _, tc := range []struct{ section, want string }{
			{"results", "No test results on record at this practice yet."},
			{"vitals", "No measurements taken more than once"},
			{"medications", "No medications on record at this practice."},
			{"conditions", "No conditions on record at this practice."},
			{"immunizations", "No immunizations on record at this practice."},
			{"visits", "No visits on record at this practice."},
			{"care", "No care plans or goals on record at this practice."},
			{"search", "Type what you are looking for"},
		} {
			v.ShowSection(tc.section)
			assertShows(t, w, tc.want)
		}
	}
}

// TestRecordLoadError: a failing source shows a plain message, and the
// section loads again next time.
func TestRecordLoadError(t *testing.T) {
	test.NewTempApp(t)
	src := newFakeRecord(nil)
	src.err = errFakeLocked
	v, w := openRecord(t, src, screenSizes[0].size)
	assertShows(t, w, "Carebook could not read this part of your record.")
	if strings.Contains(shownText(w.Content()), errFakeLocked.Error()) {
		t.Error("the error's own text is shown to the patient")
	}
	src.err = nil
	v.Refresh()
	assertShows(t, w, "No test results on record")
}

// TestOpenPDFCallsOpenDocument: a visit's PDF and a lab report sent as a
// PDF (DiagnosticReport presentedForm) open through the source, named by
// their resource and the attachment's position.
func TestOpenPDFCallsOpenDocument(t *testing.T) {
	test.NewTempApp(t)
	tests := []struct {
		section, row string
		size         fyne.Size
		want         string
	}{
		{"visits", "Follow-up visit", screenSizes[0].size, "DocumentReference/tv-doc-1#1"},
		{"results", "Cholesterol check", screenSizes[1].size, "DiagnosticReport/tv-rep-1#0"},
	}
	for _, tc := range tests {
		t.Run(tc.section, func(t *testing.T) {
			src := newFakeRecord(extraResources(t))
			v, w := openRecord(t, src, tc.size)
			v.ShowSection(tc.section)
			selectRow(t, v, tc.row)
			test.Tap(findButton(t, w.Content(), "Open PDF"))
			src.mu.Lock()
			defer src.mu.Unlock()
			if len(src.opened) != 1 || src.opened[0] != tc.want {
				t.Errorf("OpenDocument calls = %v, want [%s]", src.opened, tc.want)
			}
		})
	}
}

// TestResultsMarkedSeen: opening a result tells the app the patient has
// seen it; showing the list, or other sections, does not.
func TestResultsMarkedSeen(t *testing.T) {
	test.NewTempApp(t)
	src := newFakeRecord(extraResources(t))
	v, _ := openRecord(t, src, screenSizes[0].size)
	v.ShowSection("allergies")
	v.ShowSection("results")
	v.Refresh()
	src.mu.Lock()
	if len(src.seen) != 0 {
		t.Errorf("showing the list marked %v seen", src.seen)
	}
	src.mu.Unlock()
	first := -1
	for i, it := range v.current.md.items {
		if !it.header && it.key != "" {
			first = i
			break
		}
	}
	if first < 0 {
		t.Fatal("no report among the results")
	}
	v.current.md.list.Select(first)
	src.mu.Lock()
	defer src.mu.Unlock()
	if len(src.seen) != 1 || src.seen[0] != v.current.md.items[first].key {
		t.Errorf("opened %s; marked seen: %v", v.current.md.items[first].key, src.seen)
	}
	if src.touches == 0 {
		t.Error("showing sections did not count as activity (Touch)")
	}
}

// TestRefreshKeepsOpenEntry: a reload after a sync keeps the entry the
// patient is reading on show.
func TestRefreshKeepsOpenEntry(t *testing.T) {
	test.NewTempApp(t)
	src := wendell(t)
	for _, sz := range screenSizes {
		v, w := openRecord(t, src, sz.size)
		v.ShowSection("allergies")
		selectRow(t, v, "Animal dander")
		v.Refresh()
		assertShows(t, w, "Animal dander allergy", "Risk: Low")
		if sz.name == "phone" && v.current.md.master.Visible() {
			t.Error("phone: the list came back over the open entry after a refresh")
		}
	}
}

// TestRecordFollowsTheme: the chart and the flags take their colours from
// the theme on show, light or dark.
func TestRecordFollowsTheme(t *testing.T) {
	a := test.NewTempApp(t)
	src := wendell(t)
	for _, tc := range []struct {
		name    string
		variant fyne.ThemeVariant
	}{{"light", theme.VariantLight}, {"dark", theme.VariantDark}} {
		a.Settings().SetTheme(variantTheme{theme.DefaultTheme(), tc.variant})
		v, w := openRecord(t, src, screenSizes[0].size)
		selectRow(t, v, "Cholesterol panel")
		test.Tap(findButtonAfter(t, w.Content(), `LDL cholesterol ("bad" cholesterol)`, "See trend"))
		cs := charts(w.Content())
		if len(cs) != 1 {
			t.Fatalf("%s: %d charts", tc.name, len(cs))
		}
		fg := theme.DefaultTheme().Color(theme.ColorNameForeground, tc.variant)
		primary := theme.DefaultTheme().Color(theme.ColorNamePrimary, tc.variant)
		var texts, dotsOK int
		for _, o := range test.WidgetRenderer(cs[0]).Objects() {
			switch x := o.(type) {
			case *canvas.Text:
				if x.Color != fg {
					t.Errorf("%s: axis label %q drawn in %v, want the theme's foreground %v", tc.name, x.Text, x.Color, fg)
				}
				texts++
			case *canvas.Circle:
				if x.FillColor == primary {
					dotsOK++
				}
			}
		}
		if texts == 0 || dotsOK == 0 {
			t.Errorf("%s: %d axis labels, %d dots in the theme's primary colour", tc.name, texts, dotsOK)
		}
		screenshot(t, w, "trend-ldl-phone-"+tc.name)
	}
}

// variantTheme shows base in one variant, whatever the system prefers.
type variantTheme struct {
	fyne.Theme
	variant fyne.ThemeVariant
}

func (v variantTheme) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	return v.Theme.Color(n, v.variant)
}

// TestUpcomingAppointments: booked appointments still to come head the
// visits, soonest first, with when, with whom, where and the practice's
// note; past ones are not "coming up".
func TestUpcomingAppointments(t *testing.T) {
	test.NewTempApp(t)
	sectionClock = func() time.Time { return time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC) }
	defer func() { sectionClock = time.Now }()
	src := newFakeRecord(extraResources(t))
	for _, sz := range screenSizes {
		t.Run(sz.name, func(t *testing.T) {
			v, w := openRecord(t, src, sz.size)
			v.ShowSection("visits")
			assertShows(t, w, "Coming up", "Annual checkup with Dr. Lee", "Past visits", "Follow-up visit")
			if shown := shownText(w.Content()); strings.Contains(shown, "Flu shot") {
				t.Errorf("a past appointment is shown as coming up: %s", shown)
			}
			selectRow(t, v, "Annual checkup")
			assertShows(t, w, "Mar 14, 2030", "30 minutes", "Main Street clinic", "Please come 10 minutes early")
			assertFits(t, w)
		})
	}
}

// TestBilling: statements to pay come first with their amount, charges
// and terms; paid ones follow; accounts show their balance.
func TestBilling(t *testing.T) {
	test.NewTempApp(t)
	src := newFakeRecord(extraResources(t))
	for _, sz := range screenSizes {
		t.Run(sz.name, func(t *testing.T) {
			v, w := openRecord(t, src, sz.size)
			v.ShowSection("billing")
			assertShows(t, w, "To pay", "Statement of Mar 15, 2024", "$35.00", "Statements", "Statement of Nov 2, 2023", "Paid",
				"Accounts", "Balance $35.00")
			if first := v.current.md.items[1].title; first != "Statement of Mar 15, 2024" {
				t.Errorf("first statement is %q, want the one to pay", first)
			}
			selectRow(t, v, "Statement of Mar 15, 2024")
			assertShows(t, w, "Riverside Family Medicine", "Due within 30 days", "Office visit, established patient", "$120.00")
			assertFits(t, w)
		})
	}
}

// TestChooseOnlyWithEntries: the words that ask to choose an entry
// ("Choose a result to see its values.") are beside a list with entries
// only, not beside "Loading…", an error, or a list that is empty (a
// teenager's results her practice does not share, a search not typed
// yet): there is nothing to choose there.
func TestChooseOnlyWithEntries(t *testing.T) {
	test.NewTempApp(t)
	const choose = "Choose a result to see its values."
	entries := []listItem{{title: "Lipid panel", detail: "Oct 30, 2026", key: "a"}}
	for _, tc := range []struct {
		name string
		set  func(md *masterDetail)
		want bool
	}{
		{"loading", func(md *masterDetail) {}, false},
		{"error", func(md *masterDetail) { md.setStatus("Carebook could not read this part of your record.", true) }, false},
		{"empty", func(md *masterDetail) { md.setItems(nil, "Her practice does not share her test results with you.") }, false},
		{"entries", func(md *masterDetail) { md.setItems(entries, "") }, true},
		{"entries, then loading again", func(md *masterDetail) {
			md.setItems(entries, "")
			md.setStatus("Loading…", false)
		}, false},
		{"empty, then entries", func(md *masterDetail) {
			md.setItems(nil, "No results yet.")
			md.setItems(entries, "")
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			md := newMasterDetail(nil, choose)
			w := test.NewWindow(md.root)
			defer w.Close()
			w.Resize(fyne.NewSize(1280, 800))
			tc.set(md)
			if got := strings.Contains(shownText(w.Content()), choose); got != tc.want {
				t.Errorf("shows %q: %v, want %v; screen shows: %s", choose, got, tc.want, shownText(w.Content()))
			}
		})
	}
}

// TestRowLinesAsDrawn: a row of a section's list is two lines tall for
// its title (or its detail) exactly when the text needs them at the
// width the row really has: never one line for a text that runs under
// the flag, and no empty line under a text that fits (seen at 412 wide:
// "Hemoglobin A1c (average blood sugar)" on one line with a blank line
// below it, the rows measured 8 points narrower than they are; then, in
// Spanish at 360, a detail a point short of its room given two lines).
func TestRowLinesAsDrawn(t *testing.T) {
	test.NewTempApp(t)
	lightTheme(t)
	items := []listItem{
		{title: "Hemoglobin A1c (average blood sugar)", detail: "Oct 30, 2026 · not reviewed yet", flag: "1 abnormal", key: "a"},
		{title: "Blood pressure", detail: "13 measurements · latest 124/85 mmHg on Oct 30, 2026", key: "b"},
		{title: "Comprehensive metabolic panel", detail: "Oct 30, 2026 · not reviewed yet", flag: "1 abnormal", key: "c"},
		{title: "Oxycodone and acetaminophen 5/325 mg tablet", detail: "Completed · Take 1 tablet by mouth every 6 hours", key: "d"},
		// Two or three lines, as the width goes (desktop-record-medications.png
		// had a blank third line under it).
		{title: "Oxycodone and acetaminophen 5/325 mg tablet", detail: "Completed · Take 1 tablet by mouth every 6 hours as needed for severe pain. Do not drive. · prescribed Aug 16, 2024", key: "f"},
		// One point short of its room at 360 (es-phone-record-results.png).
		{title: "Hemograma completo", detail: "30 oct 2026 · aún sin revisar", flag: "1 fuera de rango", key: "e"},
	}
	md := newMasterDetail(nil, "")
	w := test.NewWindow(md.root)
	defer w.Close()
	w.Resize(fyne.NewSize(360, 740))
	md.setItems(items, "")
	bold := fyne.TextStyle{Bold: true}
	// Each width here is measured anew (it changes by more than a point),
	// so the rows match their text but for rounding.
	const slack = 0.1
	for width := float32(339); width <= 480; width += 3 { // 360 among them
		w.Resize(fyne.NewSize(width, 740))
		walkPlaced(w.Content(), fyne.NewPos(0, 0), func(o fyne.CanvasObject, _ fyne.Position) {
			r, ok := o.(*recordRow)
			if !ok || r.title.Text == "" {
				return
			}
			room := r.title.Size().Width - 2*theme.InnerPadding()
			need := fyne.MeasureText(r.title.Text, theme.TextSize(), bold).Width
			if !r.twoLines && need > room+slack {
				t.Errorf("at %.0f wide, %q needs %.1f on one line of %.1f: it runs under the flag", width, r.title.Text, need, room)
			}
			if r.twoLines && need <= room-slack {
				t.Errorf("at %.0f wide, %q fits one line (%.1f of %.1f) but its row is two lines tall", width, r.title.Text, need, room)
			}
			room = r.detail.Size().Width - 2*theme.InnerPadding()
			need = fyne.MeasureText(r.detail.Text, theme.TextSize(), fyne.TextStyle{}).Width
			if r.detailLines == 1 && need > room+slack {
				t.Errorf("at %.0f wide, detail %q needs %.1f on one line of %.1f", width, r.detail.Text, need, room)
			}
			if r.detailLines > 1 && need <= room-slack {
				t.Errorf("at %.0f wide, detail %q fits one line (%.1f of %.1f) but has %d", width, r.detail.Text, need, room, r.detailLines)
			}
			// A detail on several lines has as many as the label draws,
			// and none cut short.
			if r.detailLines > 1 {
				var drawn []string
				walkVisible(r.detail, func(o fyne.CanvasObject) {
					if txt, ok := o.(*canvas.Text); ok && strings.TrimSpace(txt.Text) != "" {
						drawn = append(drawn, txt.Text)
					}
				})
				if len(drawn) != r.detailLines || strings.HasSuffix(drawn[len(drawn)-1], "…") {
					t.Errorf("at %.0f wide, detail %q has %d lines, the label draws %q", width, r.detail.Text, r.detailLines, drawn)
				}
			}
		})
	}
}

// TestRowLinesAfterFlag: a row whose flag goes (a conversation once read
// loses "2 new") gives its detail the flag's room: no blank line is left
// under a detail that now fits on one line (desktop-record-messages-detail.png).
func TestRowLinesAfterFlag(t *testing.T) {
	test.NewTempApp(t)
	lightTheme(t)
	item := listItem{title: "Your recent lab results", flag: "2 new", key: "a"}
	md := newMasterDetail(nil, "")
	w := test.NewWindow(md.root)
	defer w.Close()
	w.Resize(fyne.NewSize(1280, 800))
	md.setItems([]listItem{item}, "")
	// A detail that needs two lines beside the flag and one without it.
	words := strings.Fields("Dr. Elena Park, MD · Nov 11 · Of course. A copy of the report is now in your documents, and more words to come")
	for n := range words {
		item.detail = strings.Join(words[:n+1], " ")
		none := item
		none.flag = ""
		if detailLines(item, md.textWidth) == 2 && detailLines(none, md.textWidth) == 1 {
			break
		}
	}
	md.setItems([]listItem{item}, "")
	md.setFlag(0, "")
	var row *recordRow
	walkVisible(w.Content(), func(o fyne.CanvasObject) {
		if r, ok := o.(*recordRow); ok && r.title.Text == item.title {
			row = r
		}
	})
	if row == nil {
		t.Fatal("no row")
	}
	room := row.detail.Size().Width - 2*theme.InnerPadding()
	need := fyne.MeasureText(row.detail.Text, theme.TextSize(), fyne.TextStyle{}).Width
	if need > room || row.detailLines != 1 || row.flag.Visible() {
		t.Errorf("after the flag went, detail %q (%.0f of %.0f) has %d lines, flag shown %v; want 1 line, no flag", row.detail.Text, need, room, row.detailLines, row.flag.Visible())
	}
	if h, want := row.Size().Height, row.MinSize().Height; h != want {
		t.Errorf("the row is %.0f tall, its lines need %.0f", h, want)
	}
}
