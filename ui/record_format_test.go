package ui

import (
	"testing"
	"time"

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

	if got, w := timeText(d), want.Format("2 Jan 2006 15:04"); got != w {
		t.Errorf("timeText = %q, want %q (local time)", got, w)
	}
	if got, w := dayText(d), want.Format("2 Jan 2006"); got != w {
		t.Errorf("dayText = %q, want %q (local day)", got, w)
	}
	now := want.AddDate(0, 0, -1)
	if got, w := appointmentLine(record.Appointment{Start: d}, now), want.Format("Mon 2 Jan, 15:04")+" — Appointment"; got != w {
		t.Errorf("appointmentLine = %q, want %q", got, w)
	}
	day := record.Date{Time: time.Date(2030, 3, 14, 0, 0, 0, 0, time.UTC), Precision: record.PrecisionDay}
	if got := dayText(day); got != "14 Mar 2030" {
		t.Errorf("dayText of a date = %q, want it as written", got)
	}
}
