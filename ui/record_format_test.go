package ui

import (
	"testing"
	"time"

	"github.com/carebook/carebook/app/locfmt"
	"github.com/carebook/carebook/app/record"
)

// TestTimesAreLocal: a time the practice wrote in its own zone is shown in
// this device's zone, the same on the dashboard and in the record; a date
// with no time of day is shown as written.
func TestTimesAreLocal(t *testing.T) {
	// Late evening in a zone far from this device's (whatever it is):
	// the local day or hour differs, so a screen that kept the practice's
	// zone would show another time.
	practiceZone := time.FixedZone("practice", -11*3600)
	if _, off := time.Now().Zone(); off == -11*3600 {
		practiceZone = time.FixedZone("practice", 12*3600)
	}
	at := time.Date(2030, 3, 14, 22, 30, 0, 0, practiceZone)
	d := record.Date{Time: at, Precision: record.PrecisionTime}
	want := at.Local()

	if got, w := timeText(d), appLocale().DateTime(want); got != w {
		t.Errorf("timeText = %q, want %q (local time)", got, w)
	}
	if got, w := dayText(d), appLocale().Date(want); got != w {
		t.Errorf("dayText = %q, want %q (local day)", got, w)
	}
	now := want.AddDate(0, 0, -1)
	if got, w := appointmentLine(record.Appointment{Start: d}, now), appLocale().WeekdayDateTime(want, false)+" — Appointment"; got != w {
		t.Errorf("appointmentLine = %q, want %q", got, w)
	}
	day := record.Date{Time: time.Date(2030, 3, 14, 0, 0, 0, 0, time.UTC), Precision: record.PrecisionDay}
	if got := dayText(day); got != "Mar 14, 2030" {
		t.Errorf("dayText of a date = %q, want it as written", got)
	}
}

// TestFormatsFollowTheLocale: the record's dates, numbers, money and body
// measurements follow the device's locale, with the measurement as
// recorded one tap away.
func TestFormatsFollowTheLocale(t *testing.T) {
	t.Cleanup(func() { locfmt.SetCurrent(locfmt.EnUS) })
	day := record.Date{Time: time.Date(2026, 12, 14, 0, 0, 0, 0, time.UTC), Precision: record.PrecisionDay}
	weight := record.Value{Kind: record.ValueQuantity, Quantity: record.Quantity{Value: 79.8, HasValue: true, Unit: "kg", Code: "kg"}}
	glucose := record.Value{Kind: record.ValueQuantity, Quantity: record.Quantity{Value: 1234.5, HasValue: true, Unit: "mg/dL"}}
	tests := []struct {
		locale, day, weight, original, glucose, money string
	}{
		{"en_US.UTF-8", "Dec 14, 2026", "175.9 lb", "79.8 kg", "1,234.5 mg/dL", "$49.00"},
		{"en_GB.UTF-8", "14 Dec 2026", "79.8 kg", "", "1,234.5 mg/dL", "US$49.00"},
		{"es_ES.UTF-8", "14 dic 2026", "79,8 kg", "", "1.234,5 mg/dL", "49,00\u00a0US$"},
		{"de_DE.UTF-8", "14.12.2026", "79,8 kg", "", "1.234,5 mg/dL", "49,00\u00a0$"},
		{"C", "Dec 14, 2026", "175.9 lb", "79.8 kg", "1,234.5 mg/dL", "$49.00"},
	}
	for _, tt := range tests {
		locfmt.SetCurrent(locfmt.Parse(tt.locale))
		if got := dayText(day); got != tt.day {
			t.Errorf("%s: dayText = %q, want %q", tt.locale, got, tt.day)
		}
		if got := valueText(weight); got != tt.weight {
			t.Errorf("%s: weight = %q, want %q", tt.locale, got, tt.weight)
		}
		if got := originalText(weight); got != tt.original {
			t.Errorf("%s: weight as recorded = %q, want %q", tt.locale, got, tt.original)
		}
		if got := valueText(glucose); got != tt.glucose {
			t.Errorf("%s: glucose = %q, want %q", tt.locale, got, tt.glucose)
		}
		if got := (record.Money{Value: 49, Currency: "USD"}).String(); got != tt.money {
			t.Errorf("%s: money = %q, want %q", tt.locale, got, tt.money)
		}
	}
}
