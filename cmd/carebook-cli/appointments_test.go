package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/carebook/carebook/practice"
	"github.com/carebook/carebook/practice/faults"
	"github.com/carebook/carebook/practice/store"
	"github.com/carebook/carebook/sync/outbox"
)

func listSlots(t *testing.T, dir string, args ...string) []slotJSON {
	t.Helper()
	code, out, errOut := cli(t, testPassphrase, append([]string{"slots", "--data", dir, "--json"}, args...)...)
	if code != exitOK {
		t.Fatalf("slots %v: %d %s", args, code, errOut)
	}
	var slots []slotJSON
	if err := json.Unmarshal([]byte(out), &slots); err != nil {
		t.Fatalf("slots --json: %v\n%s", err, out)
	}
	return slots
}

func listAppointments(t *testing.T, dir string) []appointmentJSON {
	t.Helper()
	code, out, errOut := cli(t, testPassphrase, "appointments", "--data", dir, "--json")
	if code != exitOK {
		t.Fatalf("appointments: %d %s", code, errOut)
	}
	var list []appointmentJSON
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("appointments --json: %v\n%s", err, out)
	}
	return list
}

func appointmentAt(list []appointmentJSON, slot string) (appointmentJSON, int) {
	var found appointmentJSON
	n := 0
	for _, a := range list {
		if a.Slot == slot {
			found = a
			n++
		}
	}
	return found, n
}

func slotStatus(t *testing.T, srv *practice.Server, id string) string {
	t.Helper()
	r, err := srv.Store().Read(context.Background(), "Slot", id)
	if err != nil {
		t.Fatal(err)
	}
	var m struct{ Status string }
	json.Unmarshal(r.JSON, &m)
	return m.Status
}

// TestAppointmentCommands runs slots, book, move, cancel and appointments
// against the reference practice for every outcome and its exit code:
// free times (JSON, UTC), a booking accepted (0, Appointment/id), the same
// time again (6, the practice's words and the nearest free times on
// stderr), a move, a cancellation refused within 24 hours (6, words and
// phone), one accepted, bad input (2), locked (5), a booking stored while
// the practice fails (4, local id, "waiting" until the next sync), a
// cancellation stored after the practice ended the access (3), and free
// times with the practice gone (4).
func TestAppointmentCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end against the practice server: skipped with -short")
	}
	srv, dir := connectPractice(t)
	from := time.Now().AddDate(0, 0, 3).Format(time.DateOnly)
	to := time.Now().AddDate(0, 0, 20).Format(time.DateOnly)

	slots := listSlots(t, dir, "--from", from, "--to", to, "--type", "follow-up")
	if len(slots) < 3 {
		t.Fatalf("%d free follow-up times", len(slots))
	}
	for _, s := range slots {
		start, err := time.Parse(time.RFC3339, s.Start)
		if err != nil || !strings.HasSuffix(s.Start, "Z") || s.ID == "" || s.Provider == "" || s.Type != "Follow-up visit" ||
			start.Before(time.Now().AddDate(0, 0, 2)) || start.After(time.Now().AddDate(0, 0, 22)) {
			t.Errorf("slot %+v", s)
		}
	}
	park := listSlots(t, dir, "--from", from, "--to", to, "--provider", "Practitioner/dr-park")
	for _, s := range park {
		if s.ProviderRef != "Practitioner/dr-park" {
			t.Errorf("--provider Practitioner/dr-park listed %+v", s)
		}
	}
	if code, out, _ := cli(t, testPassphrase, "slots", "--data", dir, "--from", from, "--to", to); code != exitOK || !strings.Contains(out, "Dr. ") {
		t.Errorf("slots (text): %d\n%s", code, out)
	}

	// Book one: accepted, the time busy at the practice.
	code, out, errOut := cli(t, testPassphrase, "book", "--data", dir, "--slot", slots[0].ID, "--reason", "Blood pressure check")
	ref := strings.TrimSpace(out)
	if code != exitOK || !strings.HasPrefix(ref, "Appointment/") {
		t.Fatalf("book: %d %q %s", code, out, errOut)
	}
	if st := slotStatus(t, srv, slots[0].ID); st != "busy" {
		t.Errorf("booked time is %s at the practice", st)
	}
	a, n := appointmentAt(listAppointments(t, dir), slots[0].ID)
	if n != 1 || a.ID == nil || "Appointment/"+*a.ID != ref || a.State != "booked" || !a.Upcoming || a.Reason != "Blood pressure check" || a.Address == "" {
		t.Fatalf("listed as %+v (%d)", a, n)
	}

	// The same time again: refused with the practice's words, and the
	// nearest free times to pick from.
	code, out, errOut = cli(t, testPassphrase, "book", "--data", dir, "--slot", slots[0].ID)
	if code != exitRefused || !strings.Contains(errOut, "This time was just taken by someone else") ||
		!strings.Contains(errOut, "the nearest free times:") || !strings.HasPrefix(out, "local-") {
		t.Fatalf("booking a taken time: exit %d, stdout %q, stderr %q", code, out, errOut)
	}

	// Move it.
	if code, out, errOut := cli(t, testPassphrase, "move", "--data", dir, "--appointment", *a.ID, "--slot", slots[1].ID); code != exitOK || strings.TrimSpace(out) != ref {
		t.Fatalf("move: %d %q %s", code, out, errOut)
	}
	if slotStatus(t, srv, slots[0].ID) != "free" || slotStatus(t, srv, slots[1].ID) != "busy" {
		t.Errorf("after the move: old %s, new %s", slotStatus(t, srv, slots[0].ID), slotStatus(t, srv, slots[1].ID))
	}
	if moved, n := appointmentAt(listAppointments(t, dir), slots[1].ID); n != 1 || *moved.ID != *a.ID {
		t.Errorf("after the move: %+v (%d)", moved, n)
	}

	// Cancel it: accepted.
	if code, out, errOut := cli(t, testPassphrase, "cancel", "--data", dir, "--appointment", *a.ID, "--reason", "Away that week"); code != exitOK || strings.TrimSpace(out) != ref {
		t.Fatalf("cancel: %d %q %s", code, out, errOut)
	}
	if c, _ := appointmentAt(listAppointments(t, dir), slots[1].ID); c.State != "cancelled" || c.Upcoming {
		t.Errorf("after cancelling: %+v", c)
	}

	// Within 24 hours the practice refuses: its words and phone number.
	soon := addSoonSlot(t, srv, 4*time.Hour)
	code, out, errOut = cli(t, testPassphrase, "book", "--data", dir, "--slot", soon)
	if code != exitOK {
		t.Fatalf("book in 4 hours: %d %q %s", code, out, errOut)
	}
	soonID := strings.TrimPrefix(strings.TrimSpace(out), "Appointment/")
	code, out, errOut = cli(t, testPassphrase, "cancel", "--data", dir, "--appointment", soonID)
	if code != exitRefused || !strings.Contains(errOut, "less than 24 hours") || !strings.Contains(errOut, "(555) 201-4400") {
		t.Fatalf("cancel in 4 hours: exit %d, stdout %q, stderr %q", code, out, errOut)
	}

	// Bad input and a locked cache store nothing.
	for _, args := range [][]string{
		{"slots", "--from", "tomorrow"},
		{"slots", "--from", to, "--to", from},
		{"slots", "--provider", "dr-park"},
		{"book"},
		{"book", "--slot", "no-such-slot"},
		{"book", "--slot", "../Patient/x"},
		{"book", "--slot", slots[2].ID, "--reason", strings.Repeat("x", 501)},
		{"move", "--appointment", soonID},
		{"cancel"},
		{"cancel", "--appointment", "no-such-appointment"},
		{"cancel", "--appointment", *a.ID}, // cancelled already
	} {
		if code, _, errOut := cli(t, testPassphrase, append([]string{args[0], "--data", dir}, args[1:]...)...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d (%s)", args, code, exitUsage, errOut)
		}
	}
	if code, _, _ := cli(t, "wrong passphrase", "book", "--data", dir, "--slot", slots[2].ID); code != exitLocked {
		t.Errorf("wrong passphrase: exit %d, want %d", code, exitLocked)
	}

	// The practice fails: stored (the time not held), exit 4, the local
	// id; the next sync books it.
	srv.Faults().Set(faults.Config{ErrorRate: 1, ErrorStatus: http.StatusServiceUnavailable, OnlyPaths: "/fhir/Appointment"})
	code, out, errOut = cli(t, testPassphrase, "book", "--data", dir, "--slot", slots[2].ID)
	local := strings.TrimSpace(out)
	if code != exitNetwork || !strings.HasPrefix(local, "local-") || !strings.Contains(errOut, "not held") {
		t.Fatalf("practice failing: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	// Its server answered 503: the booking may have reached it.
	if w, n := appointmentAt(listAppointments(t, dir), slots[2].ID); n != 1 || w.State != "waiting" || !w.MayHaveReached || w.ID != nil || *w.LocalID != local {
		t.Errorf("stored booking listed as %+v (%d)", w, n)
	}
	srv.Faults().Set(faults.Config{})
	if code, _, errOut := cli(t, testPassphrase, "sync", "--data", dir, "--quiet"); code != exitOK {
		t.Fatalf("sync: %d %s", code, errOut)
	}
	if w, n := appointmentAt(listAppointments(t, dir), slots[2].ID); n != 1 || w.State != "booked" || w.ID == nil || *w.LocalID != local {
		t.Errorf("after the sync: %+v (%d)", w, n)
	}
	if code, out, _ := cli(t, testPassphrase, "appointments", "--data", dir); code != exitOK || !strings.Contains(out, "coming up:") {
		t.Errorf("appointments (text): %d\n%s", code, out)
	}

	// The practice ends this device's access: a cancellation is stored
	// (exit 3, its local id) and waits for a new sign-in.
	booked, _ := appointmentAt(listAppointments(t, dir), slots[2].ID)
	acct := srv.DemoAccounts()[0]
	if err := srv.Auth().RevokeAccess(context.Background(), acct.Username, acct.PatientIDs[0]); err != nil {
		t.Fatal(err)
	}
	srv.Auth().ExpireAccessTokens()
	code, out, errOut = cli(t, testPassphrase, "cancel", "--data", dir, "--appointment", *booked.ID)
	if code != exitNeedsSignIn || !strings.HasPrefix(out, "local-") {
		t.Fatalf("cancel after access ended: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if w, _ := appointmentAt(listAppointments(t, dir), slots[2].ID); w.State != "booked" || w.Change != "Cancellation waiting to be sent" {
		t.Errorf("with the cancellation waiting: %+v", w)
	}
	if code, _, errOut := cli(t, testPassphrase, "slots", "--data", dir); code != exitNeedsSignIn {
		t.Errorf("slots after access ended: exit %d, want %d (%s)", code, exitNeedsSignIn, errOut)
	}

	// Free times need the practice.
	srv.Close()
	if code, _, errOut := cli(t, testPassphrase, "slots", "--data", dir); code != exitNetwork {
		t.Errorf("slots with the practice gone: exit %d, want %d (%s)", code, exitNetwork, errOut)
	}
}

// addSoonSlot adds a free sick-visit time of Dr. Park starting in d.
func addSoonSlot(t *testing.T, srv *practice.Server, d time.Duration) string {
	t.Helper()
	start := time.Now().Add(d).Truncate(time.Minute).UTC()
	id := "soon-" + start.Format("20060102-1504")
	body, _ := json.Marshal(map[string]any{"resourceType": "Slot", "status": "free",
		"schedule":    map[string]any{"reference": "Schedule/sched-dr-park-sick-visit"},
		"serviceType": []any{map[string]any{"coding": []any{map[string]any{"system": "http://carebook.app/fhir/CodeSystem/visit-type", "code": "sick-visit", "display": "Sick visit"}}}},
		"start":       start.Format(time.RFC3339), "end": start.Add(20 * time.Minute).Format(time.RFC3339)})
	if _, err := srv.Store().Put(context.Background(), "Slot", id, body); err != nil {
		t.Fatal(err)
	}
	return id
}

// serverBookings counts the practice's Appointments for Slot id that are
// not cancelled.
func serverBookings(t *testing.T, srv *practice.Server, slotID string) int {
	t.Helper()
	q, _, err := store.ParseQuery("Appointment", url.Values{"slot": {"Slot/" + slotID}}, false)
	if err != nil {
		t.Fatal(err)
	}
	rs, _, err := srv.Store().Search(context.Background(), "Appointment", q)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range rs {
		var m struct{ Status string }
		json.Unmarshal(r.JSON, &m)
		if m.Status != "cancelled" {
			n++
		}
	}
	return n
}

// TestBookSurvivesSIGKILL kills the real `carebook-cli book` 10 times (30
// with CAREBOOK_LONG=1), and more while the kills have not yet interrupted
// enough bookings (killLoop), at moments drawn from what a booking takes
// here, each time for another free time, while the practice is slow with
// the bookings it is sent, before it books and more after, before its
// reply. After every kill the cache opens; at least one kill must leave a
// booking committed at the practice but still waiting in the cache, its
// reply lost (a resend that does not look for it first books twice, or is
// refused the time it took itself). After a final sync every booking the
// cache kept is sent and at the practice exactly once, and the practice
// has no booking the cache does not know.
func TestBookSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and spawns carebook-cli")
	}
	bin := buildCLI(t)
	srv, dir := connectPractice(t)
	// The practice waits 40 ms before it books and 100 ms after, before
	// its reply; searches (for an identifier, before a resend) go through
	// at once. The send's part before the practice has the booking (its
	// capabilities, the search, the 40 ms, booking) takes about as long
	// as the 100 ms: kills land about as often before the practice has
	// the booking as after (measured; the log tells where they landed).
	srv.Faults().Set(faults.Config{Latency: 40 * time.Millisecond, ReplyLatency: 100 * time.Millisecond,
		OnlyPaths: "/fhir/Appointment", OnlyWrites: true})
	// A free time for each uncut run and each kill, extra kills included.
	slots := listSlots(t, dir, "--from", time.Now().AddDate(0, 0, 2).Format(time.DateOnly))
	kills := longLoop(10, 30) // CAREBOOK_LONG=1: 30
	if need := 3 + killCap*kills; len(slots) < need {
		t.Fatalf("the practice has %d free times from the day after tomorrow; the test needs %d: 3 uncut bookings and up to %d kills",
			len(slots), need, killCap*kills)
	}
	book := func(slot string) *exec.Cmd { return startCLI(t, bin, "book", "--data", dir, "--slot", slot) }
	targets := slots[3:]
	keptNow, leftWaiting := 0, 0
	lost := lostReplies{srv: srv, dir: dir, kind: outbox.KindAppointment, typ: "Appointment"}
	loop := killLoop{bin: bin, dir: dir, kills: kills,
		probe: func(i int) *exec.Cmd { return book(slots[i].ID) },
		start: func(i int) *exec.Cmd { return book(targets[i].ID) },
		afterKill: func(i int) {
			if code, _, errOut := cli(t, testPassphrase, "status", "--data", dir); code != exitOK {
				t.Fatalf("kill %d: cache unusable: %d %s", i, code, errOut)
			}
			if a, n := appointmentAt(listAppointments(t, dir), targets[i].ID); n == 1 {
				keptNow++
				if a.State == "waiting" {
					leftWaiting++
				}
			}
			lost.afterKill(t)
		},
		// A quarter of the kills must come after the booking is stored,
		// and one at least between the practice's commit and its reply.
		tooEarly: func(n int) bool { return keptNow < n/4 },
		missed:   func(int) bool { return lost.kills == 0 },
	}
	killed := loop.run(t)
	t.Logf("%d kills (%d extra), %d after the booking had finished, %d left a booking stored, %d of them waiting; %d left a booking committed at the practice but waiting in the cache (its reply lost); the kills landed %v",
		killed.kills, killed.extra, killed.finished, keptNow, leftWaiting, lost.kills, &lost)
	lost.requireHit(t, "booking", killed.kills)
	if killed.finished > killed.kills/2 {
		t.Fatalf("%d of %d kills came after the booking had finished: the test did not interrupt bookings", killed.finished, killed.kills)
	}
	srv.Faults().Set(faults.Config{})
	if code, _, errOut := cli(t, testPassphrase, "sync", "--data", dir, "--quiet"); code != exitOK {
		t.Fatalf("sync: %d %s", code, errOut)
	}
	list := listAppointments(t, dir)
	kept := 0
	for _, s := range targets[:killed.kills] {
		local, n := appointmentAt(list, s.ID)
		if n > 1 {
			t.Errorf("time %s is booked %d times in the cache", s.ID, n)
		}
		at := serverBookings(t, srv, s.ID)
		switch {
		case n == 1 && (local.State != "booked" && local.State != "requested" || local.ID == nil):
			t.Errorf("time %s: after the sync the cache shows %+v", s.ID, local)
		case at != n:
			t.Errorf("time %s: %d bookings at the practice, %d in the cache", s.ID, at, n)
		}
		kept += n
	}
	// And every booking in the outbox was sent, none refused: a resend of
	// a booking whose reply was lost, made without looking for it first,
	// is refused (its time is taken, by itself) even where the cache shows
	// the practice's copy. The test's bookings are those of its times.
	used := map[string]bool{}
	for _, s := range append(slots[:3:3], targets[:killed.kills]...) {
		used["Slot/"+s.ID] = true
	}
	sentOnce(t, srv, dir, outbox.KindAppointment, "Appointment", func(resource []byte) bool {
		var a struct{ Slot []struct{ Reference string } }
		if err := json.Unmarshal(resource, &a); err != nil {
			t.Fatal(err)
		}
		return len(a.Slot) == 1 && used[a.Slot[0].Reference]
	})
	t.Logf("%d of %d killed bookings were kept and are at the practice once; the others never reached the outbox", kept, killed.kills)
	if kept < killed.kills/4 {
		t.Errorf("only %d of %d killed bookings were stored: the kills came too early to test sending", kept, killed.kills)
	}
}
