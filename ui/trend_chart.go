package ui

import (
	"image/color"
	"math"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// lineColors are the theme colours of a chart's lines, in order.
var lineColors = []fyne.ThemeColorName{theme.ColorNamePrimary, theme.ColorNameWarning}

// bandColor is the translucent fill of a chart's normal range, derived
// from the theme's success colour so it follows light and dark themes.
func bandColor() color.Color {
	r, g, b, _ := theme.Color(theme.ColorNameSuccess).RGBA()
	return color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: 0x48}
}

// trendChart draws measurements over time: a line with a dot per
// measurement (two lines for blood pressure), value labels on the left,
// dates below, and the normal range as a shaded band.
type trendChart struct {
	widget.BaseWidget
	model trendModel

	// The value axis, computed once from the data: ticks from lo to hi.
	lo, hi float64
	ticks  []float64
	digits int // decimals of the tick labels
	// The time axis.
	start, end time.Time
}

// chartMinHeight keeps a chart readable on a phone.
const chartMinHeight = 220

// newTrendChart builds a chart of t. UI goroutine.
func newTrendChart(t trendModel) *trendChart {
	c := &trendChart{model: t}
	c.model.lines = append([]trendLine(nil), t.lines...)
	lo, hi := math.Inf(1), math.Inf(-1)
	for li, l := range t.lines {
		// A value no chart can place (NaN or infinite, from a server that
		// wrote "NaN" as a number) is left off the chart, not drawn at 0.
		kept := l.points[:0:0]
		for _, p := range l.points {
			if finite(p.Value) {
				kept = append(kept, p)
			}
		}
		c.model.lines[li].points = kept
		for _, p := range kept {
			lo, hi = math.Min(lo, p.Value), math.Max(hi, p.Value)
			if c.start.IsZero() || p.Date.Time.Before(c.start) {
				c.start = p.Date.Time
			}
			if p.Date.Time.After(c.end) {
				c.end = p.Date.Time
			}
		}
	}
	c.model.hasLow = t.hasLow && finite(t.low)
	c.model.hasHigh = t.hasHigh && finite(t.high)
	t = c.model
	if t.hasLow {
		lo, hi = math.Min(lo, t.low), math.Max(hi, t.low)
	}
	if t.hasHigh {
		lo, hi = math.Min(lo, t.high), math.Max(hi, t.high)
	}
	if math.IsInf(lo, 0) {
		lo, hi = 0, 1
	}
	if span := hi - lo; math.IsInf(span, 0) || math.IsNaN(span) {
		lo, hi = -math.MaxFloat64/4, math.MaxFloat64/4 // absurd, but finite
	}
	if hi-lo < 1e-9*math.Max(1, math.Abs(hi)) {
		pad := math.Max(math.Abs(lo)*0.1, 1)
		lo, hi = lo-pad, hi+pad
	}
	c.ticks, c.digits = niceTicks(lo, hi, 5)
	c.lo, c.hi = c.ticks[0], c.ticks[len(c.ticks)-1]
	c.ExtendBaseWidget(c)
	return c
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// niceTicks returns about n round values covering lo..hi (steps of 1, 2
// or 5 times a power of ten) and the decimals their labels need.
func niceTicks(lo, hi float64, n int) ([]float64, int) {
	raw := (hi - lo) / float64(n-1)
	exp := math.Floor(math.Log10(raw))
	base := math.Pow(10, exp)
	var step float64
	switch f := raw / base; {
	case f < 1.5:
		step = base
	case f < 3:
		step = 2 * base
	case f < 7:
		step = 5 * base
	default:
		step = 10 * base
	}
	digits := max(0, int(-math.Floor(math.Log10(step))))
	first := math.Floor(lo/step) * step
	var ticks []float64
	for i := 0; ; i++ {
		v := first + float64(i)*step
		ticks = append(ticks, v)
		if v >= hi-step*1e-9 || i > 20 {
			break
		}
	}
	return ticks, digits
}

func (c *trendChart) MinSize() fyne.Size {
	c.ExtendBaseWidget(c)
	return fyne.NewSize(220, chartMinHeight)
}

func (c *trendChart) CreateRenderer() fyne.WidgetRenderer {
	r := &trendRenderer{chart: c}
	r.band = canvas.NewRectangle(color.Transparent)
	r.objects = append(r.objects, r.band)
	for _, v := range c.ticks {
		grid := canvas.NewLine(color.Transparent)
		label := canvas.NewText(appLocale().Number(v, c.digits), color.Transparent)
		label.Alignment = fyne.TextAlignTrailing
		r.grid = append(r.grid, grid)
		r.tickLabels = append(r.tickLabels, label)
		r.objects = append(r.objects, grid, label)
	}
	format := appLocale().Date
	if c.end.Sub(c.start) > 365*24*time.Hour {
		format = appLocale().MonthYear
	}
	for _, t := range []time.Time{c.start, c.start.Add(c.end.Sub(c.start) / 2), c.end} {
		label := canvas.NewText(format(t), color.Transparent)
		r.dateLabels = append(r.dateLabels, label)
		r.objects = append(r.objects, label)
	}
	r.axis = canvas.NewLine(color.Transparent)
	r.objects = append(r.objects, r.axis)
	for _, l := range c.model.lines {
		var segs []*canvas.Line
		var dots []*canvas.Circle
		for i := range l.points {
			if i > 0 {
				seg := canvas.NewLine(color.Transparent)
				seg.StrokeWidth = 2
				segs = append(segs, seg)
				r.objects = append(r.objects, seg)
			}
		}
		for range l.points {
			dot := canvas.NewCircle(color.Transparent)
			dots = append(dots, dot)
			r.objects = append(r.objects, dot)
		}
		r.segments = append(r.segments, segs)
		r.dots = append(r.dots, dots)
	}
	r.Refresh()
	return r
}

type trendRenderer struct {
	chart      *trendChart
	band       *canvas.Rectangle
	grid       []*canvas.Line
	tickLabels []*canvas.Text
	dateLabels []*canvas.Text
	axis       *canvas.Line
	segments   [][]*canvas.Line
	dots       [][]*canvas.Circle
	objects    []fyne.CanvasObject
}

func (r *trendRenderer) Layout(size fyne.Size) {
	c := r.chart
	pad := theme.Padding()
	textSize := theme.CaptionTextSize()
	textH := fyne.MeasureText("0", textSize, fyne.TextStyle{}).Height
	var labelW float32
	for _, l := range r.tickLabels {
		labelW = max(labelW, fyne.MeasureText(l.Text, textSize, l.TextStyle).Width)
	}
	radius := float32(3.5)
	if c.model.count() > 120 {
		radius = 2
	}
	// The right margin clears the scroll bar a page may draw over it.
	x0, x1 := labelW+2*pad, size.Width-3*pad-radius
	y0, y1 := textH/2, size.Height-textH-2*pad
	if x1 <= x0 || y1 <= y0 {
		return
	}
	xOf := func(t time.Time) float32 {
		span := c.end.Sub(c.start)
		if span <= 0 {
			return (x0 + x1) / 2
		}
		return x0 + float32(float64(t.Sub(c.start))/float64(span))*(x1-x0)
	}
	yOf := func(v float64) float32 {
		return y1 - float32((v-c.lo)/(c.hi-c.lo))*(y1-y0)
	}

	for i, v := range c.ticks {
		y := yOf(v)
		r.grid[i].Position1, r.grid[i].Position2 = fyne.NewPos(x0, y), fyne.NewPos(x1, y)
		l := r.tickLabels[i]
		l.TextSize = textSize
		l.Move(fyne.NewPos(0, y-textH/2))
		l.Resize(fyne.NewSize(labelW+pad, textH))
	}
	r.axis.Position1, r.axis.Position2 = fyne.NewPos(x0, y1), fyne.NewPos(x1, y1)

	m := c.model
	r.band.Hidden = !m.hasLow && !m.hasHigh
	if !r.band.Hidden {
		top, bottom := y0, y1
		if m.hasHigh {
			top = max(y0, min(y1, yOf(m.high)))
		}
		if m.hasLow {
			bottom = max(y0, min(y1, yOf(m.low)))
		}
		r.band.Move(fyne.NewPos(x0, top))
		r.band.Resize(fyne.NewSize(x1-x0, max(bottom-top, 1)))
	}

	// Dates: first at the left, last at the right, the middle one only
	// when there is room for three and the chart spans time at all.
	dateY := y1 + pad
	single := c.end.Equal(c.start)
	for i, l := range r.dateLabels {
		l.TextSize = textSize
		w := fyne.MeasureText(l.Text, textSize, l.TextStyle).Width
		var x float32
		switch i {
		case 0:
			x, l.Hidden = x0, single
		case 1:
			x, l.Hidden = (x0+x1)/2-w/2, !single && x1-x0 < 3*w+4*pad
		default:
			x, l.Hidden = x1-w, single
		}
		l.Move(fyne.NewPos(max(0, x), dateY))
		l.Resize(fyne.NewSize(w, textH))
	}

	for li, l := range m.lines {
		for i, p := range l.points {
			pos := fyne.NewPos(xOf(p.Date.Time), yOf(p.Value))
			dot := r.dots[li][i]
			dot.Move(fyne.NewPos(pos.X-radius, pos.Y-radius))
			dot.Resize(fyne.NewSize(2*radius, 2*radius))
			if i > 0 {
				seg := r.segments[li][i-1]
				prev := l.points[i-1]
				seg.Position1 = fyne.NewPos(xOf(prev.Date.Time), yOf(prev.Value))
				seg.Position2 = pos
			}
		}
	}
}

func (r *trendRenderer) MinSize() fyne.Size { return r.chart.MinSize() }

// Refresh re-reads the theme's colours (light or dark may have changed).
func (r *trendRenderer) Refresh() {
	fg := theme.Color(theme.ColorNameForeground)
	r.band.FillColor = bandColor()
	for _, g := range r.grid {
		g.StrokeColor = theme.Color(theme.ColorNameSeparator)
		g.StrokeWidth = 1
	}
	r.axis.StrokeColor = theme.Color(theme.ColorNameDisabled)
	r.axis.StrokeWidth = 1
	for _, l := range r.tickLabels {
		l.Color = fg
	}
	for _, l := range r.dateLabels {
		l.Color = fg
	}
	for li := range r.segments {
		col := theme.Color(lineColors[li%len(lineColors)])
		for _, s := range r.segments[li] {
			s.StrokeColor = col
		}
		for _, d := range r.dots[li] {
			d.FillColor = col
		}
	}
	r.Layout(r.chart.Size())
	for _, o := range r.objects {
		o.Refresh()
	}
}

func (r *trendRenderer) Objects() []fyne.CanvasObject { return r.objects }

func (r *trendRenderer) Destroy() {}
