package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/carebook/carebook/practice/demo"
	"github.com/carebook/carebook/practice/faults"
	"github.com/carebook/carebook/practice/synth"
)

// TestSignInAgain: a parent's sign-in refused by the practice (sync exits
// 3) is renewed by `signin`; once the practice has ended her access to
// her daughter's record, `signin` says so (exit 6), the profile is kept,
// marked ended, and `sync` exits 6 too.
func TestSignInAgain(t *testing.T) {
	ctx := context.Background()
	d, dir := startDemoForCLI(t)
	// run as the parent, her browser signing in on the practice's pages
	// and choosing her daughter's record.
	run, nia := connectSynced(t, d, dir, "amara", synth.NiaID)

	// Her sign-in expires: sync asks for a new one, signin gives it.
	d.Server().Auth().ExpireSignIns()
	if code, _, out := run("sync", "--profile", nia); code != exitNeedsSignIn {
		t.Fatalf("sync with the sign-in expired: %d %s; want %d", code, out, exitNeedsSignIn)
	}
	if code, _, out := run("signin", "--profile", nia, "--timeout", "30s"); code != exitOK || !strings.Contains(out, "signed in again") {
		t.Fatalf("signin: %d %s", code, out)
	}
	if code, _, out := run("sync", "--profile", nia); code != exitOK {
		t.Fatalf("sync after signing in again: %d %s", code, out)
	}
	synced := statusFor(t, run, nia)
	if synced.LastSync == "" {
		t.Fatal("status after a sync: no last sync")
	}

	// The practice ends her access to her daughter's record.
	if err := d.RevokeAccess(ctx, "amara", synth.NiaID); err != nil {
		t.Fatal(err)
	}
	if code, _, out := run("sync", "--profile", nia); code != exitNeedsSignIn {
		t.Fatalf("sync after the practice ended the access: %d %s; want %d", code, out, exitNeedsSignIn)
	}
	if code, _, out := run("signin", "--profile", nia, "--timeout", "30s"); code != exitRefused || !strings.Contains(out, "no longer gives you access") {
		t.Fatalf("signin after the access ended: %d %s; want %d", code, out, exitRefused)
	}
	// Asked again, it says so at once, with no sign-in.
	if code, _, out := run("signin", "--profile", nia, "--no-browser", "--timeout", "1s"); code != exitRefused || strings.Contains(out, "/auth/authorize") {
		t.Fatalf("signin of the ended record: %d %s; want %d without a sign-in", code, out, exitRefused)
	}
	// It is kept, marked ended, and says when it was last synced.
	if ended := statusFor(t, run, nia); !ended.AccessEnded || ended.LastSync != synced.LastSync {
		t.Fatalf("status: %+v; want %s kept, its access ended, last synced %s", ended, nia, synced.LastSync)
	}
	if code, stdout, _ := run("status"); code != exitOK || !strings.Contains(stdout, "last sync: "+synced.LastSync) {
		t.Fatalf("status: %d %s; want its last sync, %s", code, stdout, synced.LastSync)
	}
	if code, _, out := run("sync", "--profile", nia); code != exitRefused {
		t.Fatalf("sync of the ended record: %d %s; want %d", code, out, exitRefused)
	}
}

// TestNotSentOnAnEndedRecord: a request, a booking and a message stored
// for a parent's son while the practice fails (exit 4), then the practice
// ends her access (signin exits 6): a request made then is stored and
// exits 6 (the access ended), and `requests`, `appointments` and
// `messages` list them all as not sent, and say why and where they are,
// instead of waiting to be sent.
func TestNotSentOnAnEndedRecord(t *testing.T) {
	ctx := context.Background()
	d, dir := startDemoForCLI(t)
	run, leo := connectSynced(t, d, dir, "amara", synth.LeoID)
	code, out, errOut := run("slots", "--profile", leo, "--json")
	var slots []slotJSON
	if code != exitOK || json.Unmarshal([]byte(out), &slots) != nil || len(slots) == 0 {
		t.Fatalf("slots: %d %s %s", code, out, errOut)
	}

	d.Server().Faults().Set(faults.Config{ErrorRate: 1, ErrorStatus: http.StatusServiceUnavailable, OnlyPaths: "/fhir/", OnlyWrites: true})
	for _, args := range [][]string{
		{"request", "--profile", leo, "--type", "referral", "--text", "A hearing test"},
		{"book", "--profile", leo, "--slot", slots[0].ID},
		{"message", "--profile", leo, "--to", "Organization/" + synth.PracticeOrgID, "--subject", "His ears", "--text", "He cannot hear well."},
	} {
		if code, _, out := run(args...); code != exitNetwork {
			t.Fatalf("%s with the practice failing: %d %s; want %d", args[0], code, out, exitNetwork)
		}
	}
	d.Server().Faults().Set(faults.Config{})
	if err := d.RevokeAccess(ctx, "amara", synth.LeoID); err != nil {
		t.Fatal(err)
	}
	d.Server().Auth().ExpireSignIns()
	if code, _, out := run("signin", "--profile", leo, "--timeout", "30s"); code != exitRefused {
		t.Fatalf("signin after the access ended: %d %s; want %d", code, out, exitRefused)
	}

	// A request made now is stored and says it cannot go (exit 6, its
	// local id), though earlier items wait, held back after the failures.
	code, out, errOut = run("request", "--profile", leo, "--type", "referral", "--text", "An eye test")
	if code != exitRefused || !strings.HasPrefix(out, "local-") || strings.Contains(errOut, "waiting to be sent") {
		t.Errorf("a request on the ended record: exit %d, stdout %q, stderr %q; want %d, its local id", code, out, errOut, exitRefused)
	}
	for _, tc := range []struct{ command, item string }{
		{"requests", "Referral: A hearing test"},
		{"requests", "Referral: An eye test"},
		{"appointments", "[local-"},
		{"messages", "He cannot hear well."},
	} {
		code, out, errOut := run(tc.command, "--profile", leo)
		if code != exitOK {
			t.Fatalf("%s: %d %s", tc.command, code, errOut)
		}
		line := ""
		for _, l := range strings.Split(out, "\n") {
			if strings.Contains(l, tc.item) {
				line = l
			}
		}
		if !strings.Contains(line, notSent) || strings.Contains(out, "waiting") ||
			!strings.Contains(out, "the practice ended your access to this record") ||
			!strings.Contains(out, "carebook-cli remove --profile "+leo) {
			t.Errorf("%s of the ended record:\n%s\nwant %q listed as %q, why, and where to find it", tc.command, out, tc.item, notSent)
		}
	}
	// Their JSON says the same: not-sent, the access ended, never waiting.
	for _, tc := range []struct {
		command string
		unsent  int
	}{{"requests", 2}, {"appointments", 1}, {"messages", 1}} {
		code, out, errOut := run(tc.command, "--profile", leo, "--json")
		var items []struct {
			State       string `json:"state"`
			AccessEnded bool   `json:"access_ended"`
		}
		if code != exitOK || json.Unmarshal([]byte(out), &items) != nil {
			t.Fatalf("%s --json: %d %s %s", tc.command, code, out, errOut)
		}
		unsent := 0
		for _, it := range items {
			if it.State == "not-sent" {
				unsent++
			}
			if it.State == "waiting" || !it.AccessEnded {
				t.Errorf("%s --json of the ended record: an item with state %q, access_ended %v; want not-sent, true", tc.command, it.State, it.AccessEnded)
			}
		}
		if unsent != tc.unsent {
			t.Errorf("%s --json of the ended record: %d items not-sent, want %d:\n%s", tc.command, unsent, tc.unsent, out)
		}
	}
}

// connectSynced connects the cache in dir to practice d, as user
// choosing patient's record on the practice's pages, and syncs it. It
// returns how to run a command on that cache, with that browser, and the
// profile's id.
func connectSynced(t *testing.T, d *demo.Practice, dir, user, patient string) (run func(args ...string) (int, string, string), id string) {
	t.Helper()
	ctx := context.Background()
	browser := playBrowser(t, func(authURL string) (*url.URL, error) {
		return d.SignInAs(ctx, authURL, user, patient)
	})
	run = func(args ...string) (int, string, string) { return runWith(ctx, dir, browser, args...) }
	code, id, errOut := run("connect", "--server", d.FHIRBase(), "--timeout", "30s")
	if code != exitOK {
		t.Fatalf("connect: %d %s", code, errOut)
	}
	id = strings.TrimSpace(id)
	if code, _, out := run("sync", "--profile", id); code != exitOK {
		t.Fatalf("sync: %d %s", code, out)
	}
	return run, id
}

// statusFor returns what `status --json` says of profile id.
func statusFor(t *testing.T, run func(args ...string) (int, string, string), id string) profileStatus {
	t.Helper()
	code, stdout, _ := run("status", "--json")
	var st []profileStatus
	if code != exitOK || json.Unmarshal([]byte(stdout), &st) != nil {
		t.Fatalf("status: %d %s", code, stdout)
	}
	i := slices.IndexFunc(st, func(s profileStatus) bool { return s.ID == id })
	if i < 0 {
		t.Fatalf("status: %s; want %s listed", stdout, id)
	}
	return st[i]
}

// TestSignInAgainAsSomeoneElse: a patient's `signin` that the browser
// completes for another record (another login on a shared computer) has
// not renewed this profile: it must not say it did, and exits 3 (the
// profile still needs sign-in); sync's advice after exit 3 names signin.
func TestSignInAgainAsSomeoneElse(t *testing.T) {
	ctx := context.Background()
	d, dir := startDemoForCLI(t)
	user, patient := "nia", synth.NiaID
	browser := playBrowser(t, func(authURL string) (*url.URL, error) {
		return d.SignInAs(ctx, authURL, user, patient)
	})
	run := func(args ...string) (code int, stdout, stderr string) { return runWith(ctx, dir, browser, args...) }
	code, nia, errOut := run("connect", "--server", d.FHIRBase(), "--timeout", "30s")
	if code != exitOK {
		t.Fatalf("connect: %d %s", code, errOut)
	}
	nia = strings.TrimSpace(nia)

	d.Server().Auth().ExpireSignIns()
	code, _, out := run("sync", "--profile", nia)
	if code != exitNeedsSignIn {
		t.Fatalf("sync with the sign-in expired: %d %s; want %d", code, out, exitNeedsSignIn)
	}
	if want := "carebook-cli signin --profile " + nia; !strings.Contains(out, want) {
		t.Errorf("sync with the sign-in expired says %q; want it to point to %q", out, want)
	}

	user, patient = "maya", synth.MayaID // someone else signs in
	code, _, out = run("signin", "--profile", nia, "--timeout", "30s")
	if code != exitNeedsSignIn || strings.Contains(out, "signed in again") {
		t.Errorf("signin completed for another record: %d %q; want %d, not signed in again", code, out, exitNeedsSignIn)
	}
	if code, _, out := run("sync", "--profile", nia); code != exitNeedsSignIn {
		t.Fatalf("sync after someone else signed in: %d %s; want %d", code, out, exitNeedsSignIn)
	}
}

// startDemoForCLI starts the demo practice (closed at the end of the test)
// and a new cache for the CLI; it skips with -short.
func startDemoForCLI(t *testing.T) (*demo.Practice, string) {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end against the demo practice: skipped with -short")
	}
	d, err := demo.Start(context.Background(), demo.Options{PasswordCost: 64, StaffDelay: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d, newCache(t)
}
