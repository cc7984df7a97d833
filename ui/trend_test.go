package ui

import (
	"math"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"

	"github.com/carebook/carebook/app/record"
)

func TestNiceTicks(t *testing.T) {
	tests := []struct {
		lo, hi     float64
		first, end float64
		digits     int
	}{
		{78.3, 145.2, 60, 160, 0},
		{5.4, 6.4, 5.4, 6.4, 1},
		{0, 1, 0, 1, 1},
		{102.7, 132.8, 100, 140, 0},
		{-3, 3, -4, 4, 0},
		{0.012, 0.019, 0.012, 0.02, 3},
	}
	for _, tt := range tests {
		ticks, digits := niceTicks(tt.lo, tt.hi, 5)
		if !near(ticks[0], tt.first) || !near(ticks[len(ticks)-1], tt.end) || digits != tt.digits {
			t.Errorf("niceTicks(%v, %v) = %v (%d decimals), want %v…%v (%d decimals)",
				tt.lo, tt.hi, ticks, digits, tt.first, tt.end, tt.digits)
		}
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9*math.Max(1, math.Abs(b)) }

// FuzzNiceTicks: whatever values a record holds, the axis covers them
// with a handful of increasing ticks.
func FuzzNiceTicks(f *testing.F) {
	f.Add(78.3, 145.2)
	f.Add(0.0, 1e-9)
	f.Add(-1e300, 1e300)
	f.Add(1e15, 1e15+1)
	f.Fuzz(func(t *testing.T, a, b float64) {
		if !finite(a) || !finite(b) {
			t.Skip()
		}
		lo, hi := math.Min(a, b), math.Max(a, b)
		if hi-lo < 1e-9*math.Max(1, math.Abs(hi)) || math.IsInf(hi-lo, 0) {
			t.Skip() // newTrendChart widens these before asking for ticks
		}
		ticks, _ := niceTicks(lo, hi, 5)
		if len(ticks) < 2 || len(ticks) > 22 {
			t.Fatalf("niceTicks(%v, %v) gave %d ticks", lo, hi, len(ticks))
		}
		if ticks[0] > lo {
			t.Fatalf("niceTicks(%v, %v) starts at %v, above the lowest value", lo, hi, ticks[0])
		}
		for i := 1; i < len(ticks); i++ {
			if !(ticks[i] > ticks[i-1]) {
				t.Fatalf("niceTicks(%v, %v) = %v: not increasing", lo, hi, ticks)
			}
		}
	})
}

func point(day string, v float64, id string) record.Point {
	d, err := record.ParseDate(day)
	if err != nil {
		panic(err)
	}
	return record.Point{Date: d, Value: v, ObservationID: id}
}

// TestTrendChartPlacesPoints checks the drawing itself: one dot per value,
// higher values higher up, later ones further right, the normal range
// shaded between its bounds, and values no chart can place left off.
func TestTrendChartPlacesPoints(t *testing.T) {
	test.NewTempApp(t)
	model := trendModel{
		title: "A1c", unit: "%",
		lines: []trendLine{{name: "A1c", points: []record.Point{
			point("2020-01-10", 5.6, "a"), point("2021-01-10", 6.4, "b"),
			point("2021-06-10", math.NaN(), "c"), point("2022-01-10", 7.1, "d"),
		}}},
		high: 5.7, hasHigh: true,
	}
	c := newTrendChart(model)
	w := test.NewWindow(c)
	defer w.Close()
	w.Resize(fyne.NewSize(360, 260))
	screenshot(t, w, "chart-with-range")

	var circles []*canvas.Circle
	var band *canvas.Rectangle
	for _, o := range test.WidgetRenderer(c).Objects() {
		switch x := o.(type) {
		case *canvas.Circle:
			circles = append(circles, x)
		case *canvas.Rectangle:
			band = x
		}
	}
	if len(circles) != 3 {
		t.Fatalf("%d dots, want 3 (the NaN value left off)", len(circles))
	}
	for i := 1; i < len(circles); i++ {
		prev, cur := circles[i-1].Position(), circles[i].Position()
		if cur.X <= prev.X || cur.Y >= prev.Y {
			t.Errorf("dot %d at %v is not right of and above dot %d at %v", i, cur, i-1, prev)
		}
	}
	if band == nil || !band.Visible() {
		t.Fatal("no normal range band")
	}
	// The band runs from the bottom of the plot up to 5.7: the first dot
	// (5.6) lies inside it, the others above it.
	top := band.Position().Y
	if y := circles[0].Position().Y + circles[0].Size().Height/2; y < top {
		t.Errorf("5.6 drawn at y=%v, above the band's top %v", y, top)
	}
	if y := circles[1].Position().Y + circles[1].Size().Height/2; y > top {
		t.Errorf("6.4 drawn at y=%v, inside the band (top %v)", y, top)
	}
}

func TestNumberText(t *testing.T) {
	tests := map[float64]string{
		120: "120", 5.45: "5.45", 114.76681875680723: "114.8", 5.3861: "5.39",
		0.012345: "0.0123", 79.20825562572136: "79.2", -2.5: "-2.5", 0: "0",
	}
	for in, want := range tests {
		if got := numberText(in); got != want {
			t.Errorf("numberText(%v) = %q, want %q", in, got, want)
		}
	}
}

func TestFlagText(t *testing.T) {
	tests := []struct {
		flag record.Flag
		want string
	}{
		{record.Flag{Code: "N"}, ""},
		{record.Flag{Code: "H", Abnormal: true, Source: record.FlagFromInterpretation}, "High"},
		{record.Flag{Code: "LL", Abnormal: true}, "Critically low"},
		{record.Flag{Code: "A", Text: "Abnormal result", Abnormal: true}, "Abnormal result"},
		{record.Flag{Code: "A", Abnormal: true}, "Abnormal"},
		{record.Flag{Code: "H", Abnormal: true, Source: record.FlagComputed}, "High (outside the normal range)"},
	}
	for _, tt := range tests {
		if got := flagText(tt.flag); got != tt.want {
			t.Errorf("flagText(%+v) = %q, want %q", tt.flag, got, tt.want)
		}
	}
}

func TestRangeAndUnitText(t *testing.T) {
	q := func(v float64, unit string) record.Quantity {
		return record.Quantity{Value: v, HasValue: true, Unit: unit}
	}
	tests := []struct {
		r    *record.RefRange
		want string
	}{
		{nil, ""},
		{&record.RefRange{Low: q(3.5, "mmol/L"), High: q(5, "mmol/L")}, "3.5–5 mmol/L"},
		{&record.RefRange{High: q(100, "mg/dL")}, "up to 100 mg/dL"},
		{&record.RefRange{Low: q(40, "mg/dL")}, "40 mg/dL or more"},
		{&record.RefRange{High: q(140, "mm[Hg]")}, "up to 140 mmHg"},
		{&record.RefRange{Text: "negative"}, "negative"},
	}
	for _, tt := range tests {
		if got := rangeText(tt.r); got != tt.want {
			t.Errorf("rangeText(%+v) = %q, want %q", tt.r, got, tt.want)
		}
	}
	for in, want := range map[string]string{"kg/m2": "kg/m²", "{score}": "", "mg/dL": "mg/dL", "Cel": "°C"} {
		if got := unitText(in); got != want {
			t.Errorf("unitText(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDayTextRespectsPrecision(t *testing.T) {
	tests := map[string]string{
		"2019":                      "2019",
		"2019-03":                   "Mar 2019",
		"2024-03-12":                "Mar 12, 2024",
		"2024-03-12T09:30:00+01:00": "Mar 12, 2024",
		"":                          "",
	}
	for in, want := range tests {
		var d record.Date
		if in != "" {
			var err error
			if d, err = record.ParseDate(in); err != nil {
				t.Fatalf("ParseDate(%q): %v", in, err)
			}
		}
		if got := dayText(d); got != want {
			t.Errorf("dayText(%q) = %q, want %q", in, got, want)
		}
	}
	if got := periodText(record.Period{Start: mustDate(t, "2011-05-24"), End: mustDate(t, "2011-08-22")}); got != "May 24, 2011 – Aug 22, 2011" {
		t.Errorf("periodText = %q", got)
	}
}

func mustDate(t *testing.T, s string) record.Date {
	t.Helper()
	d, err := record.ParseDate(s)
	if err != nil {
		t.Fatalf("ParseDate(%q): %v", s, err)
	}
	return d
}
