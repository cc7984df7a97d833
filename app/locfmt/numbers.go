package locfmt

import (
	"bytes"
	"math"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/text/currency"
	"golang.org/x/text/message"
	"golang.org/x/text/number"
)

// Number writes v with at most maxFrac decimals (trailing zeros dropped)
// and the locale's separators: 1234.5 is "1,234.5" in en-US, "1.234,5" in
// es-ES and de-DE.
func (l Locale) Number(v float64, maxFrac int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	if s, ok := l.plainNumber(v, maxFrac); ok {
		return s
	}
	return l.printedNumber(v, maxFrac)
}

// printedNumber is Number written by the locale's printer, for any v.
func (l Locale) printedNumber(v float64, maxFrac int) string {
	return l.printer().Sprint(number.Decimal(v, number.MaxFractionDigits(maxFrac)))
}

// plainNumber is Number without the printer where that is plain: most
// values of a record (a lab value, a vital sign) are under 1,000, so no
// digit is grouped, and have no more decimals than shown, so none is
// rounded; their digits are then strconv's shortest, with the locale's
// minus sign and decimal separator (numberSymbols). The printer took 2 µs
// and 13 allocations a number, a tenth of decoding an Observation. ok is
// false where the printer must write v.
//
// The printer rounds v's exact binary value to maxFrac decimals. The
// shortest decimal S that reads back as v is within half a unit in the
// last place of v (under 2⁻⁴⁴ below 1,000), so where S has at most maxFrac
// decimals and maxFrac is at most 12 (half of 10⁻¹² is more than 2⁻⁴⁴),
// that rounding gives S, trailing zeros dropped.
func (l Locale) plainNumber(v float64, maxFrac int) (string, bool) {
	if v <= -1000 || v >= 1000 || v == 0 && math.Signbit(v) || maxFrac < 0 || maxFrac > 12 {
		return "", false
	}
	sym := l.symbols()
	if !sym.ok {
		return "", false
	}
	return sym.write(v, maxFrac)
}

// numberSymbols is what the locale's printer writes around the digits of
// a number under 1,000 (plainNumber), learnt from the printer itself.
type numberSymbols struct {
	minus, decimal string
	ok             bool // the printer writes such numbers as plainNumber does
}

// write writes v as plainNumber does with these symbols; ok is false
// when v has more than maxFrac decimals.
func (sym numberSymbols) write(v float64, maxFrac int) (string, bool) {
	var buf [32]byte
	digits := strconv.AppendFloat(buf[:0], math.Abs(v), 'f', -1, 64)
	whole, frac, _ := bytes.Cut(digits, []byte("."))
	if len(frac) > maxFrac {
		return "", false
	}
	out := make([]byte, 0, len(sym.minus)+len(digits)+len(sym.decimal))
	if v < 0 {
		out = append(out, sym.minus...)
	}
	out = append(out, whole...)
	if len(frac) > 0 {
		out = append(out, sym.decimal...)
		out = append(out, frac...)
	}
	return string(out), true
}

// symbols holds each locale's numberSymbols, learnt once.
var symbols sync.Map

// symbols returns l's numberSymbols: what its printer writes for -12.5
// around "12" and "5", checked against other numbers; ok is false when
// it writes them otherwise (other digits, a sign after the number).
func (l Locale) symbols() numberSymbols {
	if s, ok := symbols.Load(l); ok {
		return s.(numberSymbols)
	}
	var sym numberSymbols
	if minus, rest, ok := strings.Cut(l.printedNumber(-12.5, 1), "12"); ok && strings.HasSuffix(rest, "5") {
		sym = numberSymbols{minus: minus, decimal: strings.TrimSuffix(rest, "5")}
		sym.ok = sym.minus != "" && sym.decimal != ""
		for _, probe := range []float64{0, 7, 999.125, -0.25} {
			if want, ok := sym.write(probe, 3); !ok || l.printedNumber(probe, 3) != want {
				sym.ok = false
			}
		}
	}
	s, _ := symbols.LoadOrStore(l, sym)
	return s.(numberSymbols)
}

// Money writes an amount in a currency (ISO 4217, "USD"; "" for an amount
// whose currency the record does not say) as the locale does: "$49.00" in
// en-US, "US$49.00" in en-GB, "49,00 US$" in es-ES, "49,00 $" in de-DE,
// "€49.00" for euros in en-US. An unknown currency code is written after
// the amount: "49.00 XYZ".
func (l Locale) Money(v float64, code string) string {
	p := l.printer()
	amount := p.Sprint(number.Decimal(math.Abs(v), number.MinFractionDigits(2), number.MaxFractionDigits(2)))
	sign := ""
	if v < 0 {
		sign = "-"
	}
	code = strings.ToUpper(strings.TrimSpace(code))
	if code == "" {
		return sign + amount
	}
	unit, err := currency.ParseISO(code)
	if err != nil {
		return sign + amount + " " + code
	}
	sym := strings.TrimSpace(p.Sprint(currency.Symbol(unit)))
	if l.norm().lang == "en" {
		return sign + sym + amount
	}
	return sign + amount + "\u00a0" + sym
}

// printers holds one printer per locale (a Locale maps to a
// *message.Printer): parsing the locale's tag and making its printer for
// every number cost more than writing the number. A Printer is not changed
// once made, so goroutines share it.
var printers sync.Map

// printer is the message printer of l.
func (l Locale) printer() *message.Printer {
	if p, ok := printers.Load(l); ok {
		return p.(*message.Printer)
	}
	p, _ := printers.LoadOrStore(l, message.NewPrinter(l.tag()))
	return p.(*message.Printer)
}
