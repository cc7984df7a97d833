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

// BodyScale says how a chart of body measurements in UCUM unit is drawn
// in the locale's units: the unit people read ("lb", "in", "°F", "kg",
// "cm", "°C") and the conversion of each value. ok is false when the
// values stay as they are (another unit, or already the locale's).
func (l Locale) BodyScale(unit string) (to string, convert func(float64) float64, ok bool) {
	imp := l.Imperial()
	switch strings.TrimSpace(unit) {
	case kg:
		if imp {
			return "lb", func(v float64) float64 { return v / kgPerLb }, true
		}
	case g:
		if imp {
			return "lb", func(v float64) float64 { return v / 1000 / kgPerLb }, true
		}
		return "kg", func(v float64) float64 { return v / 1000 }, true
	case lb:
		if !imp {
			return "kg", func(v float64) float64 { return v * kgPerLb }, true
		}
	case cm:
		if imp {
			return "in", func(v float64) float64 { return v / cmPerIn }, true
		}
	case m:
		if imp {
			return "in", func(v float64) float64 { return v * 100 / cmPerIn }, true
		}
		return "cm", func(v float64) float64 { return v * 100 }, true
	case in:
		if !imp {
			return "cm", func(v float64) float64 { return v * cmPerIn }, true
		}
	case cel:
		if imp {
			return "°F", func(v float64) float64 { return v*9/5 + 32 }, true
		}
	case degF:
		if !imp {
			return "°C", func(v float64) float64 { return (v - 32) * 5 / 9 }, true
		}
	}
	return "", nil, false
}
