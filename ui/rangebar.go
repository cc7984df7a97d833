package ui

import (
	"image/color"
	"net/url"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/carebook/carebook/app/record"
)

// rangeBarModel places a numeric result in its reference range: the scale
// runs from min to max, the normal band from low to high (either bound
// may be open), and the marker sits at value.
type rangeBarModel struct {
	value, min, max    float64
	low, high          float64
	hasLow, hasHigh    bool
	below, above, open bool // where value lies; open: a one-sided range
}

// rangeOf builds the bar and the words saying where a value lies in its
// reference range ("Higher than the normal range"), or nil and "" when
// the value is not a number or there is no numeric bound.
func rangeOf(v record.Value, r *record.RefRange) (*rangeBarModel, string) {
	x, ok := v.Number()
	if !ok || r == nil || (!r.Low.HasValue && !r.High.HasValue) {
		return nil, ""
	}
	m := &rangeBarModel{value: x, low: r.Low.Value, high: r.High.Value, hasLow: r.Low.HasValue, hasHigh: r.High.HasValue}
	lo, hi := m.low, m.high
	switch {
	case !m.hasLow:
		lo = min(0, x, hi)
		m.open = true
	case !m.hasHigh:
		hi = max(lo*2, x*1.2, lo+1)
		m.open = true
	}
	pad := (hi - lo) * 0.4
	if pad <= 0 {
		pad = max(1, abs(hi)*0.2)
	}
	m.min, m.max = min(lo-pad, x), max(hi+pad, x)
	if !m.hasLow && lo == 0 && x >= 0 {
		m.min = 0 // a count or level cannot go below zero
	}
	m.below = m.hasLow && x < m.low
	m.above = m.hasHigh && x > m.high
	switch {
	case m.above:
		return m, lang.L("Higher than the normal range.")
	case m.below:
		return m, lang.L("Lower than the normal range.")
	}
	return m, lang.L("Within the normal range.")
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

// frac is where x lies on the bar's scale, from 0 to 1.
func (m rangeBarModel) frac(x float64) float32 {
	if m.max <= m.min {
		return 0.5
	}
	f := (x - m.min) / (m.max - m.min)
	return float32(max(0, min(1, f)))
}

// rangeBar draws a rangeBarModel: a grey track, the normal band in the
// success colour, and a round marker at the value (in the error colour
// when it is outside the range). The words beside it say the same, so
// colour is never the only sign.
type rangeBar struct {
	widget.BaseWidget
	m rangeBarModel
}

func newRangeBar(m rangeBarModel) *rangeBar {
	b := &rangeBar{m: m}
	b.ExtendBaseWidget(b)
	return b
}

// rangeBarHeight is the bar's height: the marker's diameter.
const rangeBarHeight = 16

func (b *rangeBar) MinSize() fyne.Size { return fyne.NewSize(120, rangeBarHeight) }

func (b *rangeBar) CreateRenderer() fyne.WidgetRenderer {
	r := &rangeBarRenderer{bar: b, track: canvas.NewRectangle(color.Transparent),
		band: canvas.NewRectangle(color.Transparent), marker: canvas.NewCircle(color.Transparent)}
	r.track.CornerRadius, r.band.CornerRadius = 3, 3
	r.refreshColors()
	return r
}

type rangeBarRenderer struct {
	bar         *rangeBar
	track, band *canvas.Rectangle
	marker      *canvas.Circle
}

func (r *rangeBarRenderer) refreshColors() {
	v := fyne.CurrentApp().Settings().ThemeVariant()
	th := r.bar.Theme()
	r.track.FillColor = th.Color(theme.ColorNameInputBorder, v)
	band := th.Color(theme.ColorNameSuccess, v)
	r.band.FillColor = band
	r.marker.FillColor = th.Color(theme.ColorNameForeground, v)
	if r.bar.m.above || r.bar.m.below {
		r.marker.FillColor = th.Color(theme.ColorNameError, v)
	}
	r.marker.StrokeColor = th.Color(theme.ColorNameBackground, v)
	r.marker.StrokeWidth = 2
}

func (r *rangeBarRenderer) Layout(size fyne.Size) {
	m := r.bar.m
	const trackH = 6
	inset := float32(rangeBarHeight / 2) // the marker stays inside the widget
	w := size.Width - 2*inset
	y := (size.Height - trackH) / 2
	r.track.Move(fyne.NewPos(inset, y))
	r.track.Resize(fyne.NewSize(w, trackH))
	from, to := m.frac(m.low), m.frac(m.high)
	if !m.hasLow {
		from = 0
	}
	if !m.hasHigh {
		to = 1
	}
	r.band.Move(fyne.NewPos(inset+from*w, y))
	r.band.Resize(fyne.NewSize((to-from)*w, trackH))
	x := inset + m.frac(m.value)*w
	r.marker.Move(fyne.NewPos(x-rangeBarHeight/2, (size.Height-rangeBarHeight)/2))
	r.marker.Resize(fyne.NewSize(rangeBarHeight, rangeBarHeight))
}

func (r *rangeBarRenderer) MinSize() fyne.Size { return r.bar.MinSize() }

func (r *rangeBarRenderer) Refresh() {
	r.refreshColors()
	r.Layout(r.bar.Size())
	canvas.Refresh(r.bar)
}

func (r *rangeBarRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.track, r.band, r.marker}
}

func (r *rangeBarRenderer) Destroy() {}

// learnLang is the language MedlinePlus pages are asked for: Spanish for
// a Spanish-speaking device, English otherwise.
func learnLang() string {
	if appLocale().Language() == "es" {
		return "es"
	}
	return "en"
}

// aboutRow offers, under an entry's plain name, what the practice
// recorded (one tap shows it: the technical name, the value in the unit it
// was measured in) and a "Learn more" page at MedlinePlus, opened in the
// browser after confirmLeaving. UI goroutine.
func (v *recordView) aboutRow(technical, original, learn string) fyne.CanvasObject {
	box := container.NewVBox()
	var buttons, shown []fyne.CanvasObject
	reveal := func(label, value string) {
		f := fieldText(label, value)
		f.Hide()
		var show *widget.Button
		show = &widget.Button{Text: label, Icon: theme.InfoIcon(), Importance: widget.LowImportance, OnTapped: func() {
			v.src.Touch()
			f.Show()
			show.Hide()
			box.Refresh()
		}}
		buttons = append(buttons, show)
		shown = append(shown, f)
	}
	if original != "" {
		reveal(lang.L("As recorded"), original)
	}
	if technical != "" {
		reveal(lang.L("Technical name"), technical)
	}
	defer func() {
		for _, f := range shown {
			box.Add(f)
		}
	}()
	if learn != "" {
		open, win := openURL, v.win
		buttons = append(buttons, &widget.Button{Text: lang.L("Learn more"), Icon: theme.HelpIcon(), Importance: widget.LowImportance, OnTapped: func() {
			v.src.Touch()
			confirmLeaving(win, lang.L("Learn more"), lang.L("MedlinePlus, health information from the U.S. National Library of Medicine"), learn, func() {
				if u, err := url.Parse(learn); err == nil {
					_ = open(u)
				}
			})
		}})
	}
	box.Add(container.NewHBox(buttons...))
	return box
}
