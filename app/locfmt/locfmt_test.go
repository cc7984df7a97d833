package locfmt

import (
	"fmt"
	"testing"
	"time"
)

var when = time.Date(2026, 12, 14, 15, 10, 0, 0, time.UTC)

func TestParse(t *testing.T) {
	tests := []struct{ in, want string }{
		{"en_US.UTF-8", "en-US"},
		{"en_GB.UTF-8", "en-GB"},
		{"es_ES.UTF-8", "es-ES"},
		{"de_DE.UTF-8@euro", "de-DE"},
		{"de-AT", "de-AT"},
		{"en", "en"},
		{"C", "en-US"},
		{"POSIX", "en-US"},
		{"C.UTF-8", "en-US"},
		{"", "en-US"},
		{"fr_FR.UTF-8", "en-US"},
		{"not a locale!", "en-US"},
	}
	for _, tt := range tests {
		if got := Parse(tt.in).String(); got != tt.want {
			t.Errorf("Parse(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFromEnv(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
		ok   bool
	}{
		{map[string]string{"LANG": "de_DE.UTF-8"}, "de-DE", true},
		{map[string]string{"LANG": "en_US.UTF-8", "LC_TIME": "en_GB.UTF-8"}, "en-GB", true},
		{map[string]string{"LANG": "en_US.UTF-8", "LC_TIME": "en_GB.UTF-8", "LC_ALL": "es_ES.UTF-8"}, "es-ES", true},
		{map[string]string{"LC_ALL": "C", "LANG": "de_DE.UTF-8"}, "de-DE", true},
		{map[string]string{"LANG": "C"}, "en-US", false},
		{map[string]string{"LANG": "POSIX"}, "en-US", false},
		{map[string]string{}, "en-US", false},
	}
	for _, tt := range tests {
		l, ok := FromEnv(func(k string) string { return tt.env[k] })
		if l.String() != tt.want || ok != tt.ok {
			t.Errorf("FromEnv(%v) = %q, %v; want %q, %v", tt.env, l, ok, tt.want, tt.ok)
		}
	}
}

func TestFormats(t *testing.T) {
	tests := []struct {
		locale                                          string
		date, dateTime, time, dayMonth, monthYear, long string
		weekday, number, money, euros                   string
	}{
		{"en-US", "Dec 14, 2026", "Dec 14, 2026, 3:10 PM", "3:10 PM", "Dec 14", "Dec 2026", "Monday, December 14, 2026",
			"Mon, Dec 14, 3:10 PM", "12,345.68", "$49.00", "€1,234.50"},
		{"en-GB", "14 Dec 2026", "14 Dec 2026, 15:10", "15:10", "14 Dec", "Dec 2026", "Monday 14 December 2026",
			"Mon 14 Dec, 15:10", "12,345.68", "US$49.00", "€1,234.50"},
		{"es-ES", "14 dic 2026", "14 dic 2026, 15:10", "15:10", "14 dic", "dic 2026", "lunes, 14 de diciembre de 2026",
			"lun, 14 dic, 15:10", "12.345,68", "49,00\u00a0US$", "1.234,50\u00a0€"},
		{"de-DE", "14.12.2026", "14.12.2026, 15:10", "15:10", "14.12.", "Dez. 2026", "Montag, 14. Dezember 2026",
			"Mo., 14.12., 15:10", "12.345,68", "49,00\u00a0$", "1.234,50\u00a0€"},
	}
	for _, tt := range tests {
		t.Run(tt.locale, func(t *testing.T) {
			l := Parse(tt.locale)
			check := func(what, got, want string) {
				t.Helper()
				if got != want {
					t.Errorf("%s = %q, want %q", what, got, want)
				}
			}
			check("Date", l.Date(when), tt.date)
			check("DateTime", l.DateTime(when), tt.dateTime)
			check("Time", l.Time(when), tt.time)
			check("DayMonth", l.DayMonth(when), tt.dayMonth)
			check("MonthYear", l.MonthYear(when), tt.monthYear)
			check("LongDate", l.LongDate(when), tt.long)
			check("WeekdayDateTime", l.WeekdayDateTime(when, false), tt.weekday)
			check("Number", l.Number(12345.678, 2), tt.number)
			check("Money", l.Money(49, "USD"), tt.money)
			check("Money EUR", l.Money(1234.5, "EUR"), tt.euros)
		})
	}
}

func TestTimeAroundNoonAndMidnight(t *testing.T) {
	us := Parse("en-US")
	for _, tt := range []struct {
		h    int
		want string
	}{{0, "12:05 AM"}, {9, "9:05 AM"}, {12, "12:05 PM"}, {23, "11:05 PM"}} {
		if got := us.Time(time.Date(2026, 1, 2, tt.h, 5, 0, 0, time.UTC)); got != tt.want {
			t.Errorf("Time(%d:05) = %q, want %q", tt.h, got, tt.want)
		}
	}
}

func TestMoneyEdges(t *testing.T) {
	us := Parse("en-US")
	for _, tt := range []struct {
		v    float64
		cur  string
		want string
	}{{-12.5, "USD", "-$12.50"}, {7, "", "7.00"}, {7, "XYZ", "7.00 XYZ"}, {1e6, "usd", "$1,000,000.00"}} {
		if got := us.Money(tt.v, tt.cur); got != tt.want {
			t.Errorf("Money(%v, %q) = %q, want %q", tt.v, tt.cur, got, tt.want)
		}
	}
}

func TestBodyMeasure(t *testing.T) {
	tests := []struct {
		locale string
		v      float64
		unit   string
		want   string
		conv   bool
	}{
		{"en-US", 79.8, "kg", "175.9 lb", true},
		{"en-US", 170, "cm", "5 ft 7 in", true},
		{"en-US", 37, "Cel", "98.6 °F", true},
		{"en-US", 176, "[lb_av]", "176 lb", false},
		{"en-GB", 79.8, "kg", "79.8 kg", false},
		{"de-DE", 79.8, "kg", "79,8 kg", false},
		{"es-ES", 176, "[lb_av]", "79,8 kg", true},
		{"de-DE", 98.6, "[degF]", "37 °C", true},
		{"en-US", 50, "cm", "1 ft 8 in", true}, {"en-US", 20, "cm", "7.9 in", true},
	}
	for _, tt := range tests {
		got, ok := Parse(tt.locale).BodyMeasure(tt.v, tt.unit)
		if !ok || got.Text != tt.want || got.Converted != tt.conv {
			t.Errorf("%s BodyMeasure(%v %s) = %+v, %v; want %q, converted %v", tt.locale, tt.v, tt.unit, got, ok, tt.want, tt.conv)
		}
	}
	if _, ok := EnUS.BodyMeasure(5, "mg/dL"); ok {
		t.Error("mg/dL converted")
	}
}

func TestCurrent(t *testing.T) {
	t.Cleanup(func() { SetCurrent(EnUS) })
	if Current() != EnUS {
		t.Fatalf("Current before SetCurrent = %v", Current())
	}
	SetCurrent(Parse("de_DE"))
	if Current().String() != "de-DE" {
		t.Errorf("Current = %v", Current())
	}
}

func TestBodyScale(t *testing.T) {
	tests := []struct {
		locale, unit, to string
		in, out          float64
		ok               bool
	}{
		{"en-US", "kg", "lb", 80, 176.37, true},
		{"en-US", "cm", "in", 170, 66.93, true},
		{"en-US", "Cel", "°F", 37, 98.6, true},
		{"en-US", "[lb_av]", "", 0, 0, false},
		{"de-DE", "[lb_av]", "kg", 176, 79.83, true},
		{"de-DE", "kg", "", 0, 0, false},
		{"en-GB", "mg/dL", "", 0, 0, false},
	}
	for _, tt := range tests {
		to, f, ok := Parse(tt.locale).BodyScale(tt.unit)
		if ok != tt.ok || to != tt.to {
			t.Errorf("%s BodyScale(%s) = %q, %v; want %q, %v", tt.locale, tt.unit, to, ok, tt.to, tt.ok)
			continue
		}
		if ok {
			if got := f(tt.in); got < tt.out-0.01 || got > tt.out+0.01 {
				t.Errorf("%s BodyScale(%s)(%v) = %v, want %v", tt.locale, tt.unit, tt.in, got, tt.out)
			}
		}
	}
}

// TestNumbersOfLocalesAtOnce: each locale keeps a printer of its own once
// made (numbers.go); goroutines writing numbers in several locales at
// once each get their locale's way (and -race finds no shared state).
func TestNumbersOfLocalesAtOnce(t *testing.T) {
	want := map[string]string{"en-US": "12,345.68", "es-ES": "12.345,68", "de-DE": "12.345,68", "en-GB": "12,345.68"}
	done := make(chan error)
	for range 4 {
		go func() {
			for range 50 {
				for tag, w := range want {
					if got := Parse(tag).Number(12345.678, 2); got != w {
						done <- fmt.Errorf("%s: Number = %q, want %q", tag, got, w)
						return
					}
				}
			}
			done <- nil
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
