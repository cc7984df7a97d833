package locfmt

import (
	"math"
	"testing"
)

// numberLocales are locales of the languages Carebook formats, with
// regions whose numbers differ (separators, grouping).
var numberLocales = []string{"en-US", "en-GB", "en-IN", "en-ZA", "es-ES", "es-MX", "es-419", "de-DE", "de-CH", "de-AT", "en", "es", "de"}

func TestNumberUnderAThousand(t *testing.T) {
	tests := []struct {
		locale  string
		v       float64
		maxFrac int
		want    string
	}{
		{"en-US", 7.5, 2, "7.5"},
		{"en-US", -0.25, 2, "-0.25"},
		{"en-US", 120, 0, "120"},
		{"en-US", 0, 2, "0"},
		{"en-US", 999.999, 3, "999.999"},
		{"en-US", 999.999, 2, "1,000"}, // rounded: the printer writes it
		{"en-US", 0.12345, 4, "0.1235"},
		{"es-ES", 98.6, 1, "98,6"},
		{"es-ES", -3.25, 2, "-3,25"},
		{"de-DE", 0.85, 2, "0,85"},
		{"de-CH", 13.2, 1, "13.2"},
	}
	for _, tt := range tests {
		if got := Parse(tt.locale).Number(tt.v, tt.maxFrac); got != tt.want {
			t.Errorf("%s Number(%v, %d) = %q, want %q", tt.locale, tt.v, tt.maxFrac, got, tt.want)
		}
	}
}

// FuzzNumber: Number writes every number as the locale's printer does
// (printedNumber, how every number was written before plainNumber): v,
// and digits/10^decimals, which a record's values mostly are.
func FuzzNumber(f *testing.F) {
	for _, v := range []float64{0, math.Copysign(0, -1), 1, -1, 7.5, 0.85, -0.001, 12.345, 98.6, 999.999, 999.9995,
		-999.5, 1000, 123456.78, 1e-7, 5e-324, 0.1 + 0.2} {
		for _, frac := range []int{0, 1, 2, 3, 4, 12, 13} {
			f.Add(v, int32(v*1000), uint8(3), frac)
		}
	}
	f.Fuzz(func(t *testing.T, v float64, digits int32, decimals uint8, maxFrac int) {
		maxFrac %= 20
		for _, v := range []float64{v, float64(digits) / math.Pow10(int(decimals%16))} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				continue // neither is written by the printer
			}
			for _, tag := range numberLocales {
				l := Parse(tag)
				if got, want := l.Number(v, maxFrac), l.printedNumber(v, maxFrac); got != want {
					t.Errorf("%s Number(%v, %d) = %q, the printer writes %q", tag, v, maxFrac, got, want)
				}
			}
		}
	})
}
