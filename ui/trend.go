package ui

import (
	"image/color"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/carebook/carebook/app/record"
)

// maxListedPoints caps the measurements a trend lists under its chart (the
// chart itself shows them all).
const maxListedPoints = 100

// trendLine is one line of a trend chart.
type trendLine struct {
	name   string
	points []record.Point // oldest first
}

// trendModel is a trend chart's data: one line, or two for blood pressure.
type trendModel struct {
	title   string
	unit    string // readable unit
	lines   []trendLine
	low     float64 // the normal range, drawn as a band
	high    float64
	hasLow  bool
	hasHigh bool
	rng     string // the normal range in words
	// from, in a merged view, is the practice of each point of lines[0]
	// (parallel to its points); nil otherwise.
	from []string
}

// count is how many measurements the chart holds (of its first line).
func (t trendModel) count() int {
	if len(t.lines) == 0 {
		return 0
	}
	return len(t.lines[0].points)
}

// trendIndex finds the series a result belongs to.
type trendIndex struct {
	series []record.Series
	// of gives the indexes into series of the series a result is a point
	// of; byObs, when of is nil, by Observation id.
	of    func(o record.Observation) []int32
	byObs map[string][]int32
}

// newTrendIndex is the trends of c's results, computed once per chart
// (record.Chart.Trends).
func newTrendIndex(c *record.Chart) *trendIndex {
	t := c.Trends()
	return &trendIndex{series: t.Series, of: t.Of}
}

// forObservation returns the trend of o's value (both lines of a blood
// pressure), or false when o has no numeric history.
func (t *trendIndex) forObservation(o record.Observation) (trendModel, bool) {
	idx := t.byObs[o.ID]
	if t.of != nil {
		idx = t.of(o)
	}
	if len(idx) == 0 {
		return trendModel{}, false
	}
	series := make([]record.Series, 0, len(idx))
	for _, i := range idx {
		series = append(series, t.series[i])
	}
	m := trendOf(series...)
	if len(series) == 1 {
		m = inLocaleUnits(m, series[0].Unit)
	}
	return m, true
}

// isSeries reports whether s is LOINC code.
func isSeries(s record.Series, code string) bool {
	return strings.EqualFold(s.Code.System, record.LOINC) && s.Code.Code == code
}

// trendOf makes a chart of series: a systolic and a diastolic series
// become one blood pressure chart with two lines.
func trendOf(series ...record.Series) trendModel {
	first := series[0]
	t := trendModel{title: first.Name, unit: unitText(first.Unit)}
	if len(series) == 2 && isSeries(series[0], record.LOINCDiastolic) {
		series[0], series[1] = series[1], series[0]
	}
	if len(series) == 2 && isSeries(series[0], record.LOINCSystolic) && isSeries(series[1], record.LOINCDiastolic) {
		// Named as its results are (the blood pressure panel's plain name).
		t.title = record.FriendlyName(record.LOINCBloodPressurePanel)
		t.lines = []trendLine{{lang.L("Systolic"), series[0].Points}, {lang.L("Diastolic"), series[1].Points}}
		var rs []string
		if r := rangeText(series[0].Range); r != "" {
			rs = append(rs, lang.L("systolic {{.Range}}", map[string]any{"Range": r}))
		}
		if r := rangeText(series[1].Range); r != "" {
			rs = append(rs, lang.L("diastolic {{.Range}}", map[string]any{"Range": r}))
		}
		t.rng = strings.Join(rs, ", ")
		return t
	}
	for _, s := range series {
		t.lines = append(t.lines, trendLine{s.Name, s.Points})
	}
	if r := first.Range; r != nil && len(series) == 1 {
		t.low, t.hasLow = r.Low.Value, r.Low.HasValue
		t.high, t.hasHigh = r.High.Value, r.High.HasValue
		t.rng = rangeText(r)
	}
	return t
}

// inLocaleUnits draws a chart of body weight, height or temperature in
// the units of the device's locale (lb, in, °F in the United States), as
// the values are written elsewhere.
func inLocaleUnits(t trendModel, unit string) trendModel {
	to, convert, ok := appLocale().BodyScale(unit)
	if !ok {
		return t
	}
	t.unit = to
	for i, l := range t.lines {
		pts := make([]record.Point, len(l.points))
		for j, p := range l.points {
			p.Value, p.Unit = convert(p.Value), to
			pts[j] = p
		}
		t.lines[i].points = pts
	}
	t.low, t.high = convert(t.low), convert(t.high)
	return t
}

// vitalsSection lists the measurements worth a chart (weight, BMI, blood
// pressure, A1c, LDL…, then the rest by name); each opens its trend.
// Any goroutine.
func vitalsSection(c *record.Chart) sectionModel {
	return vitalsOf(c.Trends().Series, nil, nil, lang.L("No measurements taken more than once are on record at this practice yet."))
}

// vitalsOf is the trends section of series; from, when set, says where
// each series' points come from (by Series.Key), for merged views.
func vitalsOf(series []record.Series, from map[string]string, pointsFrom map[string][]string, empty string) sectionModel {
	candidates := record.ChartCandidates(series)
	var sources []string // parallel to trends
	var trends []trendModel
	used := make([]bool, len(candidates))
	for i, s := range candidates {
		if used[i] {
			continue
		}
		used[i] = true
		group := []record.Series{s}
		if isSeries(s, record.LOINCSystolic) || isSeries(s, record.LOINCDiastolic) {
			for j := i + 1; j < len(candidates); j++ {
				o := candidates[j]
				if !used[j] && strings.EqualFold(o.Unit, s.Unit) && (isSeries(o, record.LOINCSystolic) || isSeries(o, record.LOINCDiastolic)) && o.Code.Code != s.Code.Code {
					used[j] = true
					group = append(group, o)
					break
				}
			}
		}
		t := trendOf(group...)
		for _, g := range group {
			// The series drawn first (systolic of a blood pressure).
			if pf := pointsFrom[g.Key]; len(pf) == len(g.Points) && len(g.Points) > 0 && &t.lines[0].points[0] == &g.Points[0] {
				t.from = pf
			}
		}
		if len(group) == 1 {
			t = inLocaleUnits(t, s.Unit)
		}
		trends = append(trends, t)
		sources = append(sources, from[s.Key])
	}
	items := make([]listItem, len(trends))
	for i, t := range trends {
		items[i] = listItem{title: t.title, detail: trendSummary(t, false), source: fromText(sources[i])}
	}
	return sectionModel{
		items: items,
		empty: empty,
		detail: func(i int) detailModel {
			d := trendDetail(trends[i])
			d.addField(lang.L("From"), sources[i])
			return d
		},
	}
}

// latestText is the newest measurement of t: "82.3 kg" or "120/80 mmHg".
func latestText(t trendModel) (value string, when record.Date) {
	if t.count() == 0 {
		return "", record.Date{}
	}
	last := t.lines[0].points[len(t.lines[0].points)-1]
	value = numberText(last.Value)
	if len(t.lines) == 2 {
		for _, p := range t.lines[1].points {
			if p.ObservationID == last.ObservationID {
				value += "/" + numberText(p.Value)
			}
		}
	}
	return joinNonEmpty(" ", value, t.unit), last.Date
}

// trendSummary says how many measurements t holds, over which time, and
// the latest one.
func trendSummary(t trendModel, long bool) string {
	n := t.count()
	if n == 0 {
		return lang.L("No measurements.")
	}
	pts := t.lines[0].points
	value, when := latestText(t)
	if !long {
		return lang.N("{{.Count}} measurements · latest {{.Value}} on {{.Date}}", n,
			map[string]any{"Count": n, "Value": value, "Date": dayText(when)})
	}
	return lang.N("{{.Count}} measurements from {{.From}} to {{.To}}. Latest: {{.Value}} on {{.To}}.", n,
		map[string]any{"Count": n, "From": dayText(pts[0].Date), "To": dayText(when), "Value": value})
}

// trendDetail is a trend's page: the chart, its summary and range, and
// the measurements newest first.
func trendDetail(t trendModel) detailModel {
	m := detailModel{title: t.title, subtitle: trendSummary(t, true)}
	m.trend = &t
	if t.count() == 0 {
		return m
	}
	m.addField(lang.L("Normal range"), t.rng)
	pts := t.lines[0].points
	second := map[string]float64{}
	if len(t.lines) == 2 {
		for _, p := range t.lines[1].points {
			second[p.ObservationID] = p.Value
		}
	}
	shown := 0
	for i := len(pts) - 1; i >= 0 && shown < maxListedPoints; i-- {
		p := pts[i]
		v := numberText(p.Value)
		if d, ok := second[p.ObservationID]; ok {
			v += "/" + numberText(d)
		}
		value := joinNonEmpty(" ", v, t.unit)
		if i < len(t.from) {
			value += " · " + t.from[i]
		}
		m.fields = append(m.fields, field{dayText(p.Date), value})
		shown++
	}
	if len(pts) > shown {
		m.addText(lang.L("Earlier measurements"), lang.L("The chart shows all {{.All}} measurements; this list shows the latest {{.Shown}}.",
			map[string]any{"All": len(pts), "Shown": shown}))
	}
	return m
}

// trendPage is a trend shown on top of a lab panel. UI goroutine.
func (v *recordView) trendPage(t trendModel) fyne.CanvasObject {
	return v.detailPage(nil, trendDetail(t))
}

// trendObjects are the chart of t and its legend. UI goroutine.
func trendObjects(t trendModel) []fyne.CanvasObject {
	if t.count() == 0 {
		return nil
	}
	var objs []fyne.CanvasObject
	if t.unit != "" {
		objs = append(objs, widget.NewLabel(lang.L("Values in {{.Unit}}", map[string]any{"Unit": t.unit})))
	}
	objs = append(objs, newTrendChart(t))
	// A legend for what the title does not already say: the two lines of
	// a blood pressure, and the shaded normal range.
	if len(t.lines) > 1 {
		for i, l := range t.lines {
			objs = append(objs, legendRow(func() color.Color { return theme.Color(lineColors[i%len(lineColors)]) }, 4, l.name))
		}
	}
	if t.hasLow || t.hasHigh {
		objs = append(objs, legendRow(bandColor, 12, lang.L("Shaded: normal range")))
	}
	return objs
}

// legendRow is a colour swatch and what it stands for.
func legendRow(c func() color.Color, height float32, text string) fyne.CanvasObject {
	return container.NewHBox(container.NewCenter(newSwatch(c, height)), widget.NewLabel(text))
}

// swatch is a small block of a theme colour that follows theme changes.
type swatch struct {
	widget.BaseWidget
	color  func() color.Color
	height float32
}

func newSwatch(c func() color.Color, height float32) *swatch {
	s := &swatch{color: c, height: height}
	s.ExtendBaseWidget(s)
	return s
}

func (s *swatch) CreateRenderer() fyne.WidgetRenderer {
	rect := canvas.NewRectangle(s.color())
	rect.SetMinSize(fyne.NewSize(18, s.height))
	return &swatchRenderer{s: s, rect: rect}
}

type swatchRenderer struct {
	s    *swatch
	rect *canvas.Rectangle
}

func (r *swatchRenderer) Layout(size fyne.Size)        { r.rect.Resize(size) }
func (r *swatchRenderer) MinSize() fyne.Size           { return r.rect.MinSize() }
func (r *swatchRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.rect} }
func (r *swatchRenderer) Destroy()                     {}
func (r *swatchRenderer) Refresh() {
	r.rect.FillColor = r.s.color()
	r.rect.Refresh()
}
