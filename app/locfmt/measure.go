package locfmt

import (
	"math"
	"strings"
)

// Measure is a body measurement converted for the locale: Text is what to
// show ("176 lb", "5 ft 7 in", "98.6 °F", "79.8 kg"), and Converted says
// whether it differs from the original, which the caller keeps one tap
// away.
type Measure struct {
	Text      string
	Converted bool
}

// The UCUM units of body measurements that Measure converts.
const (
	kg, g, lb      = "kg", "g", "[lb_av]"
	cm, m, in, ft  = "cm", "m", "[in_i]", "[ft_i]"
	cel, degF      = "Cel", "[degF]"
	kgPerLb        = 0.45359237
	cmPerIn        = 2.54
	inchesPerFoot  = 12
	metricDecimals = 1
)

// BodyMeasure converts a body weight, height or temperature in UCUM unit
// to the units people of l's region use: pounds, feet and inches and °F
// where the locale is Imperial, kilograms, centimetres and °C elsewhere.
// ok is false for any other unit, which the caller formats as it is.
func (l Locale) BodyMeasure(v float64, unit string) (Measure, bool) {
	imp := l.Imperial()
	switch strings.TrimSpace(unit) {
	case kg, g, lb:
		kilos := v
		switch unit {
		case g:
			kilos = v / 1000
		case lb:
			kilos = v * kgPerLb
		}
		if imp {
			return Measure{Text: l.Number(kilos/kgPerLb, 1) + " lb", Converted: unit != lb}, true
		}
		return Measure{Text: l.Number(kilos, metricDecimals) + " kg", Converted: unit != kg}, true
	case cm, m, in, ft:
		cms := v
		switch unit {
		case m:
			cms = v * 100
		case in:
			cms = v * cmPerIn
		case ft:
			cms = v * cmPerIn * inchesPerFoot
		}
		if imp {
			inches := math.Round(cms / cmPerIn)
			feet := math.Floor(inches / inchesPerFoot)
			rest := inches - feet*inchesPerFoot
			if feet == 0 {
				return Measure{Text: l.Number(cms/cmPerIn, 1) + " in", Converted: unit != in}, true
			}
			return Measure{Text: l.Number(feet, 0) + " ft " + l.Number(rest, 0) + " in", Converted: true}, true
		}
		return Measure{Text: l.Number(cms, metricDecimals) + " cm", Converted: unit != cm}, true
	case cel, degF:
		c := v
		if unit == degF {
			c = (v - 32) * 5 / 9
		}
		if imp {
			return Measure{Text: l.Number(c*9/5+32, 1) + " °F", Converted: unit != degF}, true
		}
		return Measure{Text: l.Number(c, 1) + " °C", Converted: unit != cel}, true
	}
	return Measure{}, false
}
