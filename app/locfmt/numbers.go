package locfmt

import (
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
	p := l.printer()
	return p.Sprint(number.Decimal(v, number.MaxFractionDigits(maxFrac)))
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
