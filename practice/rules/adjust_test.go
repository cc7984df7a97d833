package rules

import (
	"context"
	"strings"
	"testing"
	"time"
)

func typedSlot(id, visit string, start time.Duration) []byte {
	return mustJSON(obj{"resourceType": "Slot", "id": id, "status": "busy", "schedule": obj{"reference": "Schedule/s1"},
		"serviceType": []any{obj{"coding": []any{obj{"system": VisitTypeSystem, "code": visit}}}},
		"start":       at(start), "end": at(start + 20*time.Minute)})
}

// TestAdjust: what the practice adds to an accepted booking depends on the
// Slot's visit type, never on what the patient wrote.
func TestAdjust(t *testing.T) {
	f := world()
	f.res["Slot/video"] = typedSlot("video", "telehealth", 72*time.Hour)
	f.res["Slot/physical"] = typedSlot("physical", "annual-physical", 72*time.Hour)
	f.res["Slot/sick"] = typedSlot("sick", "sick-visit", 72*time.Hour)
	p := Policy{Now: func() time.Time { return now }, VideoBase: "http://practice.test/visit"}
	adjust := func(t *testing.T, appt obj, old obj) obj {
		t.Helper()
		r := Request{Method: "POST", Type: "Appointment", New: mustJSON(appt), Grant: patientGrant}
		if old != nil {
			r.Method, r.Old = "PUT", mustJSON(old)
		}
		out, err := p.Adjust(context.Background(), f, r)
		if err != nil {
			t.Fatal(err)
		}
		if out == nil {
			return appt
		}
		m, err := decode(out)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	tests := []struct {
		name, slot, status   string
		wantStatus           string
		wantLink             bool
		wantInstructionStart string
	}{
		{"sick visit booked as sent", "sick", "booked", "booked", false, "Please bring your insurance card"},
		{"physical waits for the office", "physical", "booked", "pending", false, "Please bring"},
		{"video visit gets a link", "video", "booked", "booked", true, "Join from a quiet"},
		// The patient's word on the type does not count: a sick-visit slot
		// with a serviceType of telehealth written by the app stays in person.
		{"the slot decides", "sick", "booked", "booked", false, "Please bring"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			appt := appointment(tc.slot, 72*time.Hour, tc.status, "p1")
			appt["serviceType"] = []any{obj{"coding": []any{obj{"system": VisitTypeSystem, "code": "telehealth"}}}}
			got := adjust(t, appt, nil)
			if str(got, "status") != tc.wantStatus {
				t.Errorf("status %q, want %q", str(got, "status"), tc.wantStatus)
			}
			link := joinLink(got)
			if tc.wantLink != (link != "") || (link != "" && !strings.HasPrefix(link, "http://practice.test/visit/")) {
				t.Errorf("join link %q (want one: %v)", link, tc.wantLink)
			}
			if !strings.HasPrefix(str(got, "patientInstruction"), tc.wantInstructionStart) {
				t.Errorf("patientInstruction %q", str(got, "patientInstruction"))
			}
		})
	}

	// Two video bookings get different rooms; a move keeps its link.
	a := adjust(t, appointment("video", 72*time.Hour, "booked", "p1"), nil)
	b := adjust(t, appointment("video", 72*time.Hour, "booked", "p1"), nil)
	if joinLink(a) == joinLink(b) {
		t.Errorf("two video visits share the room %s", joinLink(a))
	}
	if moved := adjust(t, a, a); joinLink(moved) != joinLink(a) {
		t.Errorf("an update changed the join link: %s -> %s", joinLink(a), joinLink(moved))
	}
	// A pending booking moved stays as the office has it; only creates
	// are set pending.
	booked := appointment("physical", 72*time.Hour, "booked", "p1")
	if got := adjust(t, booked, booked); str(got, "status") != "booked" {
		t.Errorf("an update of a confirmed physical became %q", str(got, "status"))
	}
	// A cancellation is stored as sent.
	cancelled := with(appointment("video", 72*time.Hour, "cancelled", "p1"))
	if got := adjust(t, cancelled, a); joinLink(got) != "" || str(got, "patientInstruction") != "" {
		t.Errorf("a cancellation was changed: %v", got)
	}
}
